-- 013: global Vapi tools (issue 12 §4). Moved out of 012, which databases in the field already
-- ran with its knowledge-base section only. 014 is the Google Calendar link's.

-- Vapi tools registered once for the platform key (seed 001 §4, §11 mistake 2): one row per tool
-- definition for the whole deployment, versioned by the SHA-256 of its canonical JSON
-- (adapters/vapi/tool_sync.hpp). No tenant data and no secret (Vapi ids and hashes), so no RLS:
-- the CLI (as the owner) and the service's tools sync actor (as ringmaster_app) keep it.
CREATE TABLE vapi_tools (
  tool_name       text PRIMARY KEY CHECK (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
  vapi_tool_id    text NOT NULL UNIQUE CHECK (length(vapi_tool_id) BETWEEN 1 AND 200),
  definition_hash text NOT NULL CHECK (definition_hash ~ '^[0-9a-f]{64}$'),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Which global tool (id and version) a tenant's assistants link: one row per (org, tool).
CREATE TABLE org_tools (
  org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  tool_name       text NOT NULL CHECK (tool_name ~ '^[A-Za-z0-9_-]{1,64}$'),
  vapi_tool_id    text NOT NULL CHECK (length(vapi_tool_id) BETWEEN 1 AND 200),
  definition_hash text NOT NULL CHECK (definition_hash ~ '^[0-9a-f]{64}$'),
  linked_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, tool_name)
);

-- The tools sync of one agent's assistant (GET /api/agents/{id} "tools_sync").
CREATE TABLE agent_tool_syncs (
  agent_id        uuid PRIMARY KEY,
  org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'synced', 'failed')),
  reason          text,  -- failed: why (Vapi's message); pending: the last attempt's failure
  attempts        int NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- Vapi attempts of the last run
  synced_at       timestamptz,  -- when the last sync ended synced; NULL before
  updated_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (agent_id, org_id) REFERENCES agents (id, org_id) ON DELETE CASCADE,
  CHECK (status <> 'failed' OR reason IS NOT NULL),
  CHECK (status <> 'synced' OR reason IS NULL)
);
-- The sync actor resumes pending rows at start (all tenants, as the schema owner).
CREATE INDEX agent_tool_syncs_pending ON agent_tool_syncs (updated_at) WHERE status = 'pending';

GRANT SELECT, INSERT, UPDATE, DELETE ON org_tools, agent_tool_syncs TO ringmaster_app;
GRANT SELECT, INSERT, UPDATE ON vapi_tools TO ringmaster_app;

-- Every tenant's pending syncs: the sync actor resumes them at start and GET /sessions/tenants
-- counts them (both run as ringmaster_app, which RLS limits to one tenant).
CREATE FUNCTION rm_tool_syncs_pending()
RETURNS TABLE (agent_id uuid, org_id uuid, status text, reason text, attempts int,
               synced_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.agent_id, s.org_id, s.status, s.reason, s.attempts, s.synced_at, s.updated_at
    FROM agent_tool_syncs s WHERE s.status = 'pending' ORDER BY s.updated_at LIMIT 10000
$$;
REVOKE ALL ON FUNCTION rm_tool_syncs_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_tool_syncs_pending() TO ringmaster_app;

-- Every tenant table from here on gets the same row-level security as 002 gave the first ones:
-- RLS forced, the tenant_isolation policy on org_id, and full access for the owner (the role
-- that runs the migrations). One definition instead of a DO block per migration.
CREATE OR REPLACE FUNCTION rm_enable_tenant_rls(tables text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION rm_enable_tenant_rls(text[]) FROM PUBLIC;

SELECT rm_enable_tenant_rls(ARRAY['org_tools', 'agent_tool_syncs']);
