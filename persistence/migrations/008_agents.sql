-- Agents, campaigns, outbound call-back and admin notifications (issue 4 §3 last bullet, §5;
-- seeds 002, 003, 004). Owner: adapters/http/agent_routes.cpp, persistence/agent_queries.cpp.
--
-- Every table here is a tenant table: org_id, row-level security ENABLED and FORCED with the
-- policies of 002 (tenant_isolation on rm_current_org(), owner_access for the owner), DML grants
-- to ringmaster_app. Child rows reference (id, org_id) pairs so nothing can point into another
-- tenant.

-- Composite target for the tenant-consistent foreign keys below (phone_numbers has only its id
-- as key). IF NOT EXISTS: another migration may add the same pair.
CREATE UNIQUE INDEX IF NOT EXISTS phone_numbers_id_org ON phone_numbers (id, org_id);

-- ---- agents (seed 004) ------------------------------------------------------------------------
-- One row per AI agent: a Vapi assistant and, unless provision_phone is false, a number of its
-- own. Creation runs in steps (assistant, then number); each step's result is recorded, so a
-- failure leaves a precise status (failed_step + error_message) and a retry does only what is
-- missing — never half a state that looks whole.
CREATE TABLE agents (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  language          text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$'),
  area_code         text CHECK (area_code ~ '^[2-9][0-9]{2}$'),  -- NANP; NULL = any
  provision_phone   boolean NOT NULL DEFAULT true,
  vapi_assistant_id text,  -- set once Vapi created the assistant
  phone_number_id   uuid,  -- the number provisioned for (or linked to) the agent
  status            text NOT NULL DEFAULT 'creating'
                    CHECK (status IN ('creating', 'ready', 'failed')),
  failed_step       text CHECK (failed_step IN ('assistant', 'phone_number')),
  error_message     text,
  attempts          int NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  created_by        text,  -- JWT sub
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id),
  FOREIGN KEY (phone_number_id, org_id) REFERENCES phone_numbers (id, org_id),
  CHECK ((status = 'failed') = (failed_step IS NOT NULL)),
  CHECK (status <> 'failed' OR error_message IS NOT NULL),
  CHECK (failed_step IS DISTINCT FROM 'phone_number' OR vapi_assistant_id IS NOT NULL),
  CHECK (status <> 'ready' OR vapi_assistant_id IS NOT NULL),
  CHECK (status <> 'ready' OR NOT provision_phone OR phone_number_id IS NOT NULL)
);
CREATE INDEX agents_org_created ON agents (org_id, created_at);

-- 007 added the agent a number (and a provisioning order) is for, without a foreign key since
-- this table did not exist yet; tenant-consistent keys now.
ALTER TABLE phone_numbers ADD CONSTRAINT phone_numbers_agent
  FOREIGN KEY (agent_id, org_id) REFERENCES agents (id, org_id);
ALTER TABLE provisioning_orders ADD CONSTRAINT provisioning_orders_agent
  FOREIGN KEY (agent_id, org_id) REFERENCES agents (id, org_id);
CREATE TRIGGER agents_touch BEFORE UPDATE ON agents
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- ---- campaigns (seed 003) ---------------------------------------------------------------------
CREATE TABLE campaigns (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name),
  UNIQUE (id, org_id)
);
CREATE TRIGGER campaigns_touch BEFORE UPDATE ON campaigns
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- A campaign's caller-ID numbers. A number serves at most one campaign (seed 003's
-- phoneNumber.campaignId), hence the primary key on the number alone.
CREATE TABLE campaign_numbers (
  phone_number_id uuid PRIMARY KEY,
  campaign_id     uuid NOT NULL,
  org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_by      text,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (campaign_id, org_id) REFERENCES campaigns (id, org_id) ON DELETE CASCADE,
  FOREIGN KEY (phone_number_id, org_id) REFERENCES phone_numbers (id, org_id) ON DELETE CASCADE
);
CREATE INDEX campaign_numbers_campaign ON campaign_numbers (campaign_id);

-- The contact's campaign (NULL: none). MATCH SIMPLE: a NULL campaign_id is not checked.
ALTER TABLE contacts ADD COLUMN campaign_id uuid,
  ADD CONSTRAINT contacts_campaign FOREIGN KEY (campaign_id, org_id)
    REFERENCES campaigns (id, org_id);
CREATE INDEX contacts_campaign ON contacts (campaign_id) WHERE campaign_id IS NOT NULL;

-- Round-robin cursors of the caller-ID choice (domain/caller_id.hpp), persisted so that the
-- rotation survives restarts. scope: 'pool' (the tenant's numbers outside campaigns) or
-- 'campaign:<uuid>'. `position` counts the choices made in that scope.
CREATE TABLE caller_id_cursors (
  org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  scope      text NOT NULL CHECK (scope = 'pool' OR scope ~ '^campaign:[0-9a-f-]{36}$'),
  position   bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, scope)
);
CREATE TRIGGER caller_id_cursors_touch BEFORE UPDATE ON caller_id_cursors
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- ---- admin notifications (seed 002 admin_notifications) ---------------------------------------
-- Something an admin must know or act on: a failed provisioning step, with what failed and how
-- to retry. Never holds a secret (messages are written by our code, not copied from requests).
CREATE TABLE org_notifications (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),  -- e.g. agent.failed
  severity     text NOT NULL DEFAULT 'error' CHECK (severity IN ('info', 'warning', 'error')),
  subject_type text NOT NULL DEFAULT '',  -- 'agent', 'phone_number', …
  subject_id   text NOT NULL DEFAULT '',
  message      text NOT NULL CHECK (length(message) BETWEEN 1 AND 2000),
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  read_at      timestamptz,
  read_by      text,
  CHECK ((read_at IS NULL) = (read_by IS NULL))
);
CREATE INDEX org_notifications_org_created ON org_notifications (org_id, created_at DESC);

-- ---- row-level security and grants -------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON agents, campaigns, campaign_numbers, caller_id_cursors,
  org_notifications TO ringmaster_app;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agents', 'campaigns', 'campaign_numbers', 'caller_id_cursors',
                           'org_notifications'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;
