-- After the call (issue 11): scoring, the lead pipeline, services pricing, dashboard actions,
-- reminders. docs/architecture.md "After the call" and docs/scoring.md describe the flow.
--
-- 1. A call moves reported → scored (call_events kind 'score', status 'scored'). Scoring columns
--    on calls are written by the scoring transaction only; transcript and summary hold the
--    *redacted* text (domain/scoring.hpp), the raw transcript is never stored.
-- 2. Contacts carry the lead pipeline (new → contacted → booked | lost) and the latest score.
-- 3. services: the tenant's price list (keywords matched against the transcript).
-- 4. message_outbox: messages that must be sent once (automatic reminders, hot-lead alerts),
--    claimed with a lease so two instances and a kill -9 never send one twice.
-- 5. audit_events: dashboard actions (follow-up, share, share use, export, reminder).
-- 6. recording_shares: the signed links handed out by "share recording".

-- ---- 1. calls: the scored state ----------------------------------------------------------------
ALTER TABLE calls DROP CONSTRAINT calls_state_check;
ALTER TABLE calls ADD CONSTRAINT calls_state_check
  CHECK (state IN ('ringing', 'in-progress', 'forwarding', 'ended', 'reported', 'scored'));
ALTER TABLE call_events DROP CONSTRAINT call_events_status_check;
ALTER TABLE call_events ADD CONSTRAINT call_events_status_check
  CHECK (status IN ('ringing', 'in-progress', 'forwarding', 'ended', 'reported', 'scored'));
ALTER TABLE call_events DROP CONSTRAINT call_events_kind_check;
ALTER TABLE call_events ADD CONSTRAINT call_events_kind_check
  CHECK (kind IN ('status', 'report', 'booking', 'hang', 'score', 'transfer'));

ALTER TABLE calls
  ADD COLUMN contact_id       uuid,
  ADD COLUMN sentiment_score  real CHECK (sentiment_score BETWEEN -1 AND 1),
  ADD COLUMN sentiment_label  text CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
  ADD COLUMN urgency          text CHECK (urgency IN ('low', 'normal', 'high')),
  ADD COLUMN sentiment_reason text,
  ADD COLUMN sentiment_source text CHECK (sentiment_source IN ('vapi', 'lexicon')),
  ADD COLUMN lead_score       int CHECK (lead_score BETWEEN 0 AND 100),
  ADD COLUMN lead_tier        text CHECK (lead_tier IN ('hot', 'warm', 'cold')),
  ADD COLUMN score_factors    jsonb,  -- {"booking_intent":…, …}: why the score is what it is
  ADD COLUMN financial_value  numeric(12, 2) CHECK (financial_value >= 0),
  ADD COLUMN matched_service  text,   -- the services row's name at scoring time
  ADD COLUMN recording_status text NOT NULL DEFAULT 'pending'
    CHECK (recording_status IN ('pending', 'processing', 'completed', 'failed')),
  ADD COLUMN transfer_to      text,
  ADD COLUMN transfer_time    timestamptz,
  ADD COLUMN transfer_reason  text,
  ADD COLUMN redactions       jsonb,  -- {"ssn":1,"card":2,…}: what redaction replaced
  ADD COLUMN scored_at        timestamptz,
  ADD CONSTRAINT calls_contact FOREIGN KEY (contact_id, org_id) REFERENCES contacts (id, org_id);

-- Unfinished now includes reported-but-not-scored: recovery resumes scoring after a crash.
DROP INDEX calls_unfinished;
CREATE INDEX calls_unfinished ON calls (state) WHERE state NOT IN ('ended', 'scored');
CREATE INDEX calls_org_caller ON calls (org_id, caller, created_at);
CREATE OR REPLACE FUNCTION rm_unfinished_calls() RETURNS TABLE (id text, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, org_id FROM calls WHERE state NOT IN ('ended', 'scored') ORDER BY created_at
$$;

-- ---- 2. contacts: the lead pipeline ------------------------------------------------------------
ALTER TABLE contacts
  ADD COLUMN email             text CHECK (email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  ADD COLUMN lead_status       text NOT NULL DEFAULT 'new'
    CHECK (lead_status IN ('new', 'contacted', 'booked', 'lost')),
  ADD COLUMN last_contacted_at timestamptz,
  ADD COLUMN lead_score        int CHECK (lead_score BETWEEN 0 AND 100),
  ADD COLUMN lead_tier         text CHECK (lead_tier IN ('hot', 'warm', 'cold')),
  ADD COLUMN last_call_id      text,
  ADD COLUMN last_alert_at     timestamptz;  -- hot-lead alert: at most one per contact per hour
CREATE INDEX contacts_org_tier ON contacts (org_id, lead_tier);

-- ---- organizations: alert number, reminder lead time, default price ----------------------------
ALTER TABLE organizations
  ADD COLUMN alert_phone text NOT NULL DEFAULT ''
    CHECK (alert_phone = '' OR alert_phone ~ '^\+[1-9][0-9]{1,14}$'),
  ADD COLUMN reminders_enabled boolean NOT NULL DEFAULT true,
  -- how long before the appointment the automatic reminder goes out (default 24 h)
  ADD COLUMN reminder_lead_minutes int NOT NULL DEFAULT 1440
    CHECK (reminder_lead_minutes BETWEEN 15 AND 10080),
  -- the financial value of a call that matches no service (seed 001: a consultation)
  ADD COLUMN default_consultation_price numeric(12, 2) NOT NULL DEFAULT 150
    CHECK (default_consultation_price >= 0);

ALTER TABLE appointments
  ADD COLUMN confirmation_sent boolean NOT NULL DEFAULT false;

-- ---- 3. services -------------------------------------------------------------------------------
CREATE TABLE services (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  price      numeric(12, 2) NOT NULL CHECK (price >= 0),
  -- lower-case words or phrases matched against the redacted transcript
  keywords   text[] NOT NULL DEFAULT '{}' CHECK (cardinality(keywords) <= 50),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX services_org_name ON services (org_id, lower(name));
CREATE TRIGGER services_touch BEFORE UPDATE ON services
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- Seed 001's seven defaults, for every tenant at creation and for the tenants that exist now.
CREATE FUNCTION rm_seed_default_services(p_org uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO services (org_id, name, price, keywords) VALUES
    (p_org, 'Botox', 400, ARRAY['botox', 'wrinkle', 'injection']),
    (p_org, 'Facelift', 8000, ARRAY['facelift', 'face lift']),
    (p_org, 'Rhinoplasty', 6000, ARRAY['rhinoplasty', 'nose job']),
    (p_org, 'Breast Augmentation', 7500, ARRAY['breast augmentation', 'breast implant']),
    (p_org, 'Liposuction', 5000, ARRAY['liposuction', 'lipo']),
    (p_org, 'Fillers', 500, ARRAY['filler', 'fillers', 'lip filler']),
    (p_org, 'Consultation', 150, ARRAY['consultation', 'consult'])
  ON CONFLICT DO NOTHING
$$;
REVOKE ALL ON FUNCTION rm_seed_default_services(uuid) FROM PUBLIC;
CREATE FUNCTION rm_organizations_seed_services() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM rm_seed_default_services(NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER organizations_seed_services AFTER INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION rm_organizations_seed_services();
SELECT rm_seed_default_services(id) FROM organizations;

-- ---- 4. message_outbox -------------------------------------------------------------------------
-- A message that must go out exactly once. States: pending → sending (claimed: claim_token,
-- claimed_until) → sent | failed | cancelled. A 'sending' row whose lease ran out belongs to a
-- sender that died: the next claimer reconciles it with the provider before sending again.
CREATE TABLE message_outbox (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('reminder', 'hot_lead_alert')),
  channel        text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'email')),
  appointment_id uuid,
  contact_id     uuid,
  call_id        text,
  sender         text NOT NULL DEFAULT '',  -- E.164 (sms) or address (email); '' = choose at send
  recipient      text NOT NULL,
  subject        text NOT NULL DEFAULT '',
  body           text NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
  due_at         timestamptz NOT NULL,
  state          text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled')),
  attempts       int NOT NULL DEFAULT 0,
  claim_token    uuid,
  claimed_until  timestamptz,
  message_id     uuid,  -- the messages audit row of the attempt
  external_id    text,  -- the provider's id (Twilio SM… sid) once sent
  last_error     text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at        timestamptz,
  FOREIGN KEY (appointment_id) REFERENCES appointments (id) ON DELETE CASCADE,
  FOREIGN KEY (contact_id, org_id) REFERENCES contacts (id, org_id),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id),
  CHECK ((state = 'sending') = (claim_token IS NOT NULL AND claimed_until IS NOT NULL))
);
-- One automatic reminder per appointment, whoever schedules it.
CREATE UNIQUE INDEX message_outbox_one_reminder ON message_outbox (appointment_id)
  WHERE kind = 'reminder';
CREATE INDEX message_outbox_due ON message_outbox (due_at) WHERE state IN ('pending', 'sending');

-- ---- 5. audit_events ---------------------------------------------------------------------------
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  actor        text NOT NULL,  -- user id (JWT sub), or 'link:<share id>' for a share link's use
  action       text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{0,63}$'),  -- e.g. call.followup
  subject_type text NOT NULL DEFAULT '',
  subject_id   text NOT NULL DEFAULT '',
  detail       jsonb,  -- never a secret, never raw transcript text
  client_ip    text,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_events_org_created ON audit_events (org_id, created_at DESC);
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION rm_reject_change();

-- ---- 6. recording_shares -----------------------------------------------------------------------
CREATE TABLE recording_shares (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  call_id    text NOT NULL,
  email      text NOT NULL,
  created_by text NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (call_id, org_id) REFERENCES calls (id, org_id)
);
-- The public link (GET /share/recordings/{token}) names no tenant: once the token's HMAC
-- verified, this finds the share's tenant so the rest runs under it (ids and timing only).
CREATE FUNCTION rm_recording_share(p_id uuid)
RETURNS TABLE (id uuid, org_id uuid, call_id text, expires_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.id, s.org_id, s.call_id, s.expires_at FROM recording_shares s WHERE s.id = p_id
$$;
REVOKE ALL ON FUNCTION rm_recording_share(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_recording_share(uuid) TO ringmaster_app;

-- ---- messages: email and the audit of the actions ---------------------------------------------
ALTER TABLE messages ADD COLUMN subject text;

-- ---- row-level security and grants -------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON services, message_outbox, recording_shares TO ringmaster_app;
GRANT SELECT, INSERT ON audit_events TO ringmaster_app;
GRANT USAGE ON SEQUENCE audit_events_id_seq TO ringmaster_app;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['services', 'message_outbox', 'audit_events', 'recording_shares'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;

-- Which outbox rows are due, across tenants (the outbox actor then works on each row under its
-- tenant): ids and timing only, like 010's rm_agents_to_resume.
CREATE FUNCTION rm_outbox_due(p_now timestamptz, p_limit int)
RETURNS TABLE (id uuid, org_id uuid, state text, due_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.org_id, o.state, o.due_at FROM message_outbox o
   WHERE (o.state = 'pending' AND o.due_at <= p_now)
      OR (o.state = 'sending' AND o.claimed_until < p_now)
   ORDER BY o.due_at
   LIMIT p_limit
$$;

-- Booked appointments whose automatic reminder is due to be scheduled (no outbox row yet, the
-- tenant has reminders on, the reminder time has come and the appointment has not started).
CREATE FUNCTION rm_reminders_to_schedule(p_now timestamptz, p_limit int)
RETURNS TABLE (appointment_id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.id, a.org_id FROM appointments a
    JOIN organizations o ON o.id = a.org_id
   WHERE a.status = 'booked' AND o.reminders_enabled
     AND a.starts_at > p_now
     AND a.starts_at - make_interval(mins => o.reminder_lead_minutes) <= p_now
     AND NOT EXISTS (SELECT 1 FROM message_outbox m
                      WHERE m.appointment_id = a.id AND m.kind = 'reminder')
   ORDER BY a.starts_at
   LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION rm_outbox_due(timestamptz, int) FROM PUBLIC;
REVOKE ALL ON FUNCTION rm_reminders_to_schedule(timestamptz, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_outbox_due(timestamptz, int) TO ringmaster_app;
GRANT EXECUTE ON FUNCTION rm_reminders_to_schedule(timestamptz, int) TO ringmaster_app;
