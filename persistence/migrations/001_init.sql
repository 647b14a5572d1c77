-- ringmaster schema, version 1. PostgreSQL is the single source of truth: invariants that must
-- hold across processes (one tenant per active number, no double booking, one execution per
-- toolCallId, an append-only event log) are constraints here, not checks in C++.
-- Every tenant-owned row carries org_id (a later migration adds row-level security on it).
-- Child rows reference (id, org_id) pairs so a row can never point into another tenant.

CREATE EXTENSION IF NOT EXISTS btree_gist;  -- `org_id WITH =` inside a GiST exclusion constraint

CREATE FUNCTION rm_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

-- ---- tenants --------------------------------------------------------------------------------

CREATE TABLE organizations (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name               text NOT NULL,
  time_zone          text NOT NULL,  -- IANA name, validated by domain::validate()
  -- {"mon":[["09:00","17:00"]], …, "sun":[]} as written by domain::working_hours_to_json
  working_hours      jsonb NOT NULL CHECK (jsonb_typeof(working_hours) = 'object'),
  slot_minutes       int NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 5 AND 480),
  buffer_minutes     int NOT NULL DEFAULT 15 CHECK (buffer_minutes BETWEEN 0 AND 240),
  min_notice_minutes int NOT NULL DEFAULT 60 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
  hold_minutes       int NOT NULL DEFAULT 5 CHECK (hold_minutes BETWEEN 1 AND 60),
  assistant_id       text NOT NULL DEFAULT '',  -- Vapi assistant id, '' when none
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- The tenant's own Twilio account (BYOC). Credentials are stored in plain text for now; a later
-- migration replaces auth_token with an encrypted column.
CREATE TABLE org_twilio_accounts (
  org_id      uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  account_sid text NOT NULL CHECK (account_sid ~ '^AC[0-9a-zA-Z]+$'),
  auth_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER org_twilio_accounts_touch BEFORE UPDATE ON org_twilio_accounts
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

CREATE TABLE phone_numbers (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  e164                 text NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{1,14}$'),
  label                text NOT NULL DEFAULT '',
  vapi_phone_number_id text,  -- NULL when the number is not (yet) imported into Vapi
  provider             text NOT NULL DEFAULT 'twilio',
  provider_sid         text,  -- Twilio PN… sid when known
  active               boolean NOT NULL DEFAULT true,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  deactivated_at       timestamptz,
  CHECK (active = (deactivated_at IS NULL))
);
-- An active number routes to exactly one tenant; released numbers may be reassigned.
CREATE UNIQUE INDEX phone_numbers_active_e164 ON phone_numbers (e164) WHERE active;
CREATE INDEX phone_numbers_active_vapi_id ON phone_numbers (vapi_phone_number_id) WHERE active;
CREATE INDEX phone_numbers_org ON phone_numbers (org_id);
CREATE TRIGGER phone_numbers_touch BEFORE UPDATE ON phone_numbers
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- ---- calls ----------------------------------------------------------------------------------

CREATE TABLE calls (
  id                 text PRIMARY KEY,  -- Vapi call.id
  org_id             uuid NOT NULL REFERENCES organizations (id),
  direction          text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  caller             text NOT NULL DEFAULT '',
  dialled            text NOT NULL DEFAULT '',
  provider_call_sid  text,
  -- projection of call_events (domain::project); rebuilt from them, never the other way round
  state              text NOT NULL DEFAULT 'ringing'
                     CHECK (state IN ('ringing', 'in-progress', 'forwarding', 'ended', 'reported')),
  outcome            text CHECK (outcome IN ('booked', 'lost')),
  ended_reason       text,  -- open set: Vapi has hundreds of values
  started_at         timestamptz,
  ended_at           timestamptz,
  reported_at        timestamptz,
  transcript         text,
  summary            text,
  recording_url      text,
  duration_seconds   numeric,
  cost_usd           numeric,
  success_evaluation text,
  structured_data    jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, org_id)  -- target of the tenant-consistent foreign keys below
);
CREATE INDEX calls_org_created ON calls (org_id, created_at);
CREATE INDEX calls_unfinished ON calls (state) WHERE state NOT IN ('ended', 'reported');
CREATE TRIGGER calls_touch BEFORE UPDATE ON calls
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- Every lifecycle webhook as received. Append-only: the projection in `calls` is a function of
-- this set, so rewriting history here would silently change past calls.
CREATE TABLE call_events (
  id             bigserial PRIMARY KEY,
  call_id        text NOT NULL,
  org_id         uuid NOT NULL REFERENCES organizations (id),
  kind           text NOT NULL CHECK (kind IN ('status', 'report', 'booking', 'hang')),
  status         text NOT NULL
                 CHECK (status IN ('ringing', 'in-progress', 'forwarding', 'ended', 'reported')),
  ended_reason   text NOT NULL DEFAULT '',
  occurred_at_ms bigint NOT NULL DEFAULT 0,  -- provider timestamp, 0 when unknown
  dedup_key      text NOT NULL,
  payload        jsonb,
  received_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id),
  UNIQUE (call_id, dedup_key)  -- duplicated webhooks are dropped here
);

CREATE FUNCTION rm_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER call_events_append_only BEFORE UPDATE OR DELETE ON call_events
  FOR EACH ROW EXECUTE FUNCTION rm_reject_change();
CREATE TRIGGER call_events_no_truncate BEFORE TRUNCATE ON call_events
  FOR EACH STATEMENT EXECUTE FUNCTION rm_reject_change();

-- Exactly-once tool execution per (call, toolCallId): the first transaction to insert the key
-- owns it; `result` stays NULL until that transaction completes the invocation.
CREATE TABLE tool_invocations (
  call_id      text NOT NULL,
  tool_call_id text NOT NULL,
  org_id       uuid NOT NULL REFERENCES organizations (id),
  name         text NOT NULL,
  arguments    jsonb,
  result       text,
  is_error     boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (call_id, tool_call_id),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id),
  CHECK ((result IS NULL) = (completed_at IS NULL))
);

-- ---- contacts, appointments, messages -------------------------------------------------------

CREATE TABLE contacts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES organizations (id),
  phone_e164 text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{1,14}$'),
  name       text NOT NULL DEFAULT '',
  opted_out  boolean NOT NULL DEFAULT false,  -- replied STOP: no further SMS
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, phone_e164),
  UNIQUE (id, org_id)
);
CREATE TRIGGER contacts_touch BEFORE UPDATE ON contacts
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

CREATE TABLE appointments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id          uuid NOT NULL REFERENCES organizations (id),
  contact_id      uuid,
  call_id         text,
  tool_call_id    text,
  status          text NOT NULL CHECK (status IN ('held', 'booked', 'cancelled', 'expired')),
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  blocked_until   timestamptz NOT NULL,  -- ends_at + the tenant's buffer
  hold_expires_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),  -- orders rows of one tx
  updated_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts (id, org_id),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id),
  CHECK (ends_at > starts_at AND blocked_until >= ends_at),
  CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),  -- a hold without expiry blocks forever
  -- No double booking, enforced by PostgreSQL for every process at once: live rows of one tenant
  -- may not overlap, buffer included. Expired holds are flipped to 'expired' (expire_holds)
  -- before a competing insert, so they stop blocking.
  CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
    org_id WITH =, tstzrange(starts_at, blocked_until, '[)') WITH &&
  ) WHERE (status IN ('held', 'booked'))
);
CREATE INDEX appointments_call ON appointments (call_id);
CREATE INDEX appointments_live_holds ON appointments (org_id, hold_expires_at)
  WHERE status = 'held';
CREATE TRIGGER appointments_touch BEFORE UPDATE ON appointments
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- Audit trail of every message sent or received for a tenant (seed 001 `messages`, plus the
-- provider's error and 'voice' as a method).
CREATE TABLE messages (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id              uuid NOT NULL REFERENCES organizations (id),
  contact_id          uuid,
  call_id             text,
  direction           text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  method              text NOT NULL CHECK (method IN ('sms', 'email', 'voice')),
  recipient           text NOT NULL,
  content             text NOT NULL,
  status              text NOT NULL DEFAULT 'sent',
  service_provider    text NOT NULL DEFAULT 'twilio',
  external_message_id text,  -- Twilio SM… sid
  error_code          text,
  error_message       text,
  sent_at             timestamptz,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),  -- orders rows of one tx
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts (id, org_id),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id)
);
CREATE INDEX messages_org_created ON messages (org_id, created_at);
CREATE INDEX messages_call ON messages (call_id) WHERE call_id IS NOT NULL;
CREATE INDEX messages_status ON messages (org_id, status);
