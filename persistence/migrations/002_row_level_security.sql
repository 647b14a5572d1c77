-- Hard multi-tenancy: every tenant table has row-level security, enabled and FORCED.
--
-- Roles. The role that runs migrations owns the schema. Request work runs as `ringmaster_app`,
-- which owns nothing, cannot bypass RLS, and sees a row only when the transaction has named its
-- tenant with  SELECT set_config('ringmaster.org_id', '<uuid>', true)  (SET LOCAL semantics).
-- A transaction that forgets to name its tenant sees no rows and can write none.
-- ringmaster SET ROLEs to ringmaster_app on every pool connection; a DBA may instead give it a
-- login role of its own that is a member of ringmaster_app (RINGMASTER_APP_DATABASE_URL).
--
-- The owner passes the policies only through an explicit policy of its own (FORCE would otherwise
-- filter it too): that is what lets the few SECURITY DEFINER functions below answer the
-- cross-tenant questions a webhook has before it knows its tenant (dialled number → tenant).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ringmaster_app') THEN
    CREATE ROLE ringmaster_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  -- The owner must be able to SET ROLE to it (a superuser always can).
  IF NOT pg_has_role(current_user, 'ringmaster_app', 'MEMBER') THEN
    EXECUTE format('GRANT ringmaster_app TO %I', current_user);
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO ringmaster_app;
GRANT SELECT ON schema_migrations TO ringmaster_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, org_twilio_accounts, phone_numbers, calls,
  tool_invocations, contacts, appointments, messages TO ringmaster_app;
GRANT SELECT, INSERT ON call_events TO ringmaster_app;  -- append-only
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ringmaster_app;

-- The tenant named by the current transaction, NULL when none (an empty setting counts as none).
CREATE FUNCTION rm_current_org() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('ringmaster.org_id', true), '')::uuid
$$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['org_twilio_accounts', 'phone_numbers', 'calls', 'call_events',
                           'tool_invocations', 'contacts', 'appointments', 'messages'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
  USING (id = rm_current_org()) WITH CHECK (id = rm_current_org());
DO $$ BEGIN
  EXECUTE format('CREATE POLICY owner_access ON organizations TO %I USING (true) WITH CHECK (true)',
                 current_user);
END $$;

-- ---- the narrow cross-tenant reads (SECURITY DEFINER, fixed search_path) ---------------------

-- Dialled number → tenant (active numbers only).
CREATE FUNCTION rm_route_by_number(p_e164 text)
RETURNS TABLE (org_id uuid, phone_number_id uuid, e164 text, label text,
               vapi_phone_number_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id, id, e164, label, vapi_phone_number_id
    FROM phone_numbers WHERE e164 = p_e164 AND active
$$;

-- Vapi phone-number id → tenant (active numbers only).
CREATE FUNCTION rm_route_by_vapi_id(p_vapi_id text)
RETURNS TABLE (org_id uuid, phone_number_id uuid, e164 text, label text,
               vapi_phone_number_id text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id, id, e164, label, vapi_phone_number_id
    FROM phone_numbers WHERE vapi_phone_number_id = p_vapi_id AND active
$$;

-- The tenant of a call id (webhooks without a resolvable number; call actors rebuilt by id).
CREATE FUNCTION rm_call_org(p_call_id text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id FROM calls WHERE id = p_call_id
$$;

-- Calls that have not ended, for rebuilding their actors at start-up.
CREATE FUNCTION rm_unfinished_calls() RETURNS TABLE (id text, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, org_id FROM calls WHERE state NOT IN ('ended', 'reported') ORDER BY created_at
$$;

-- Every tenant with its active numbers, for the operator's inspection API.
CREATE FUNCTION rm_list_tenants()
RETURNS TABLE (id uuid, name text, time_zone text, numbers text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.name, o.time_zone,
         coalesce(array_agg(p.e164 ORDER BY p.e164) FILTER (WHERE p.id IS NOT NULL), '{}')
    FROM organizations o LEFT JOIN phone_numbers p ON p.org_id = o.id AND p.active
   GROUP BY o.id ORDER BY o.created_at, o.id
$$;

REVOKE ALL ON FUNCTION rm_route_by_number(text), rm_route_by_vapi_id(text), rm_call_org(text),
  rm_unfinished_calls(), rm_list_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_route_by_number(text), rm_route_by_vapi_id(text), rm_call_org(text),
  rm_unfinished_calls(), rm_list_tenants() TO ringmaster_app;
