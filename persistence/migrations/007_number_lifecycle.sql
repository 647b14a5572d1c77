-- The number lifecycle (docs/telephony.md "Number lifecycle"; domain/number_lifecycle.hpp):
--
--   available (Twilio's search, not stored) → owned → linked → released → aging (quarantine)
--
-- 1. phone_numbers gains the lifecycle: `status` (owned: the tenant's and routed by our webhooks;
--    linked: also imported into Vapi; released: given back), where the number came from
--    (`source`: purchased through us, imported from the tenant's Twilio account, or mapped by
--    hand through /api/inbound/phone-mappings or the operator API), when it was released and
--    until when it stays in quarantine, and the agent that answers it.
--    `active` stays the routing truth (002's functions, the unique active index, 003's soft
--    delete); a trigger keeps `status` consistent with it for writers that only know `active`.
-- 2. The quarantine: a number released through DELETE /api/phone-numbers/{id} cannot become
--    active for ANOTHER tenant before `quarantine_until` (so calls and texts meant for the old
--    clinic never reach a new one). Enforced here by a SECURITY DEFINER trigger (row-level
--    security hides other tenants' rows from the application role), and asked politely first by
--    rm_number_quarantine so the API answers 409 before it buys anything.
-- 3. provisioning_orders: the durable record of the purchase saga, written BEFORE Twilio is
--    called, so a crash between the purchase and its recording is reconciled by listing the
--    account's numbers (actors/number_service.hpp).

ALTER TABLE phone_numbers
  ADD COLUMN status text NOT NULL DEFAULT 'linked'
    CHECK (status IN ('owned', 'linked', 'released')),
  ADD COLUMN source text NOT NULL DEFAULT 'mapped'
    CHECK (source IN ('purchased', 'imported', 'mapped')),
  ADD COLUMN released_at timestamptz,
  -- NULL: no quarantine (a mapping soft-deleted by hand, or a purchase compensated before use).
  ADD COLUMN quarantine_until timestamptz,
  -- The agent (branch `agents`, migration 008) that answers the number; no foreign key here,
  -- since the agents table does not exist yet when this migration runs.
  ADD COLUMN agent_id uuid;

UPDATE phone_numbers SET status = 'released', released_at = deactivated_at WHERE NOT active;

ALTER TABLE phone_numbers
  ADD CONSTRAINT phone_numbers_status_active CHECK (active = (status <> 'released')),
  ADD CONSTRAINT phone_numbers_quarantine_released
    CHECK (quarantine_until IS NULL OR status = 'released');

-- One row per PN SID among the numbers a tenant holds (an import run twice finds its rows).
CREATE UNIQUE INDEX phone_numbers_active_provider_sid ON phone_numbers (provider_sid)
  WHERE active AND provider_sid IS NOT NULL;
CREATE INDEX phone_numbers_quarantine ON phone_numbers (e164, quarantine_until)
  WHERE quarantine_until IS NOT NULL;

-- Writers that only flip `active` (003's soft delete and reactivation, the operator API) keep
-- `status` right: deactivating releases, reactivating a released row makes it linked again
-- (a hand-made mapping is routed as soon as it is active).
CREATE FUNCTION rm_phone_numbers_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.active AND NEW.status = 'released' THEN
    NEW.status := 'linked';
    NEW.released_at := NULL;
    NEW.quarantine_until := NULL;
  ELSIF NOT NEW.active AND NEW.status <> 'released' THEN
    NEW.status := 'released';
    NEW.released_at := coalesce(NEW.released_at, NEW.deactivated_at, now());
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER phone_numbers_status BEFORE INSERT OR UPDATE ON phone_numbers
  FOR EACH ROW EXECUTE FUNCTION rm_phone_numbers_status();

-- The end of the quarantine that keeps `p_e164` from tenant `p_org`: the latest quarantine_until
-- of a row of ANOTHER tenant still in the future, NULL when the number is free for p_org.
-- Reveals nothing else (not the other tenant).
CREATE FUNCTION rm_number_quarantine(p_e164 text, p_org uuid) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT max(quarantine_until) FROM phone_numbers
   WHERE e164 = p_e164 AND org_id <> p_org AND quarantine_until > now()
$$;

-- The guarantee: no row becomes active for a tenant while another tenant's quarantine on the
-- number runs. SQLSTATE RMQ01 (persistence::number_quarantined maps it).
CREATE FUNCTION rm_enforce_number_quarantine() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  until timestamptz;
BEGIN
  IF NEW.active AND (TG_OP = 'INSERT' OR NOT OLD.active OR OLD.e164 <> NEW.e164
                     OR OLD.org_id <> NEW.org_id) THEN
    until := rm_number_quarantine(NEW.e164, NEW.org_id);
    IF until IS NOT NULL THEN
      RAISE EXCEPTION 'number % is in quarantine until %', NEW.e164, until
        USING ERRCODE = 'RMQ01';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER phone_numbers_quarantine BEFORE INSERT OR UPDATE ON phone_numbers
  FOR EACH ROW EXECUTE FUNCTION rm_enforce_number_quarantine();

-- ---- the provisioning saga ------------------------------------------------------------------
--
-- pending      recorded before Twilio is called; the purchase may or may not have happened
-- purchased    bought and recorded (phone_numbers row, owned); the Vapi import is outstanding
-- completed    imported into Vapi and linked
-- failed       nothing was bought (Twilio refused, or reconciliation found no number)
-- compensating bought but to be given back (recording refused, Vapi refused for good)
-- released     given back to Twilio after a failure
CREATE TABLE provisioning_orders (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  requested_by         text,
  requested_number     text CHECK (requested_number ~ '^\+[1-9][0-9]{1,14}$'),
  area_code            text CHECK (area_code ~ '^[0-9]{2,6}$'),
  country              text NOT NULL DEFAULT 'US' CHECK (country ~ '^[A-Z]{2}$'),
  agent_id             uuid,
  state                text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'purchased', 'completed', 'failed', 'compensating',
                     'released')),
  e164                 text CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
  pn_sid               text,
  phone_number_id      uuid REFERENCES phone_numbers (id) ON DELETE SET NULL,
  vapi_phone_number_id text,
  attempts             integer NOT NULL DEFAULT 0,  -- Vapi imports / releases tried
  error_code           text,
  error_message        text,
  -- The request that owns the order works until then; the sweep leaves it alone meanwhile.
  lease_until          timestamptz NOT NULL DEFAULT now() + interval '2 minutes',
  next_attempt_at      timestamptz NOT NULL DEFAULT now(),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((requested_number IS NULL) <> (area_code IS NULL)),
  CHECK (state IN ('pending', 'failed') OR (e164 IS NOT NULL AND pn_sid IS NOT NULL))
);
CREATE INDEX provisioning_orders_open ON provisioning_orders (next_attempt_at)
  WHERE state IN ('pending', 'purchased', 'compensating');
CREATE INDEX provisioning_orders_org ON provisioning_orders (org_id, created_at);
CREATE TRIGGER provisioning_orders_touch BEFORE UPDATE ON provisioning_orders
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

GRANT SELECT, INSERT, UPDATE, DELETE ON provisioning_orders TO ringmaster_app;
ALTER TABLE provisioning_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE provisioning_orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON provisioning_orders
  USING (org_id = rm_current_org()) WITH CHECK (org_id = rm_current_org());
DO $$ BEGIN
  EXECUTE format('CREATE POLICY owner_access ON provisioning_orders TO %I USING (true) '
                 'WITH CHECK (true)', current_user);
END $$;

-- Orders the sweep should look at now (open, lease expired, attempt due), of every tenant; the
-- sweep then works on each under that tenant's row-level security.
CREATE FUNCTION rm_due_provisioning_orders(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, org_id FROM provisioning_orders
   WHERE state IN ('pending', 'purchased', 'compensating')
     AND lease_until <= now() AND next_attempt_at <= now()
   ORDER BY next_attempt_at, created_at LIMIT p_limit
$$;

-- Released numbers whose Vapi copy could not be deleted at release time (retried by the sweep).
ALTER TABLE phone_numbers ADD COLUMN vapi_cleanup_pending boolean NOT NULL DEFAULT false;
CREATE FUNCTION rm_pending_vapi_cleanups(p_limit integer)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, org_id FROM phone_numbers WHERE vapi_cleanup_pending ORDER BY updated_at
   LIMIT p_limit
$$;

REVOKE ALL ON FUNCTION rm_number_quarantine(text, uuid), rm_due_provisioning_orders(integer),
  rm_pending_vapi_cleanups(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_number_quarantine(text, uuid), rm_due_provisioning_orders(integer),
  rm_pending_vapi_cleanups(integer) TO ringmaster_app;
