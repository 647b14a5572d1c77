-- Google Calendar "forever-link" (issue 12 §1; docs/integrations.md). The refresh token is an
-- org_credentials row (provider 'google'), sealed like the Twilio token; the rest is here.

ALTER TABLE org_credentials DROP CONSTRAINT org_credentials_provider_check;
ALTER TABLE org_credentials ADD CONSTRAINT org_credentials_provider_check
  CHECK (provider IN ('twilio', 'vapi_webhook', 'google'));

-- One link per clinic. status 'broken': Google refused the refresh token (invalid_grant); the
-- clinic must consent again, and availability falls back to the local calendar meanwhile.
CREATE TABLE google_links (
  org_id          uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  connected_email text NOT NULL DEFAULT '',
  google_sub      text NOT NULL DEFAULT '',  -- the account's stable id (the email may change)
  calendar_id     text NOT NULL DEFAULT 'primary' CHECK (length(calendar_id) BETWEEN 1 AND 255),
  status          text NOT NULL DEFAULT 'connected' CHECK (status IN ('connected', 'broken')),
  broken_reason   text NOT NULL DEFAULT '',
  connected_by    text NOT NULL DEFAULT '',
  connected_at    timestamptz NOT NULL DEFAULT now(),
  last_sync_at    timestamptz,               -- the last freeBusy read that succeeded
  last_error      text NOT NULL DEFAULT ''   -- the last failed read or sync ('' after a success)
);

-- The consent's single-use `state` nonces (GET /api/integrations/google/callback): a second use
-- of the same state meets the primary key. Rows past expires_at are deleted by the callback.
CREATE TABLE google_oauth_nonces (
  nonce      text PRIMARY KEY CHECK (length(nonce) BETWEEN 16 AND 64),
  org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  used_at    timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

-- The durable queue of Google event writes: one row per (appointment, action), written by the
-- trigger below in the booking's or cancellation's own transaction, worked by the google actor
-- with a lease (like message_outbox): pending → working (claimed_until) → done | failed.
CREATE TABLE google_event_syncs (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
  action         text NOT NULL CHECK (action IN ('insert', 'delete')),
  event_id       text NOT NULL CHECK (event_id ~ '^[a-v0-9]+$' AND length(event_id) BETWEEN 5 AND 1024),
  state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'working', 'done', 'failed')),
  attempts       int NOT NULL DEFAULT 0,
  due_at         timestamptz NOT NULL DEFAULT now(),
  claimed_until  timestamptz,
  claim_token    uuid,
  last_error     text NOT NULL DEFAULT '',
  created_at     timestamptz NOT NULL DEFAULT now(),
  done_at        timestamptz,
  UNIQUE (appointment_id, action)
);
CREATE INDEX google_event_syncs_due ON google_event_syncs (due_at) WHERE state IN ('pending', 'working');

-- Same transaction as the booking: an appointment that becomes booked gets an insert, one that
-- leaves booked (cancelled) a delete, when its clinic has a Google link (connected or broken: a
-- broken link's rows wait for the reconnect). Runs under the caller's RLS (same org).
CREATE FUNCTION rm_google_enqueue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM google_links WHERE org_id = NEW.org_id) THEN
    RETURN NEW;
  END IF;
  IF NEW.status = 'booked' AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'booked') THEN
    INSERT INTO google_event_syncs (org_id, appointment_id, action, event_id)
    VALUES (NEW.org_id, NEW.id, 'insert', replace(NEW.id::text, '-', ''))
    ON CONFLICT (appointment_id, action) DO NOTHING;
  ELSIF TG_OP = 'UPDATE' AND OLD.status = 'booked' AND NEW.status <> 'booked' THEN
    INSERT INTO google_event_syncs (org_id, appointment_id, action, event_id)
    VALUES (NEW.org_id, NEW.id, 'delete', replace(NEW.id::text, '-', ''))
    ON CONFLICT (appointment_id, action) DO NOTHING;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER appointments_google_enqueue AFTER INSERT OR UPDATE OF status ON appointments
  FOR EACH ROW EXECUTE FUNCTION rm_google_enqueue();

-- Across tenants, for the google actor (it then works under each row's tenant): the linked
-- clinics, and the due queue rows (pending and due, or working with an expired lease).
CREATE FUNCTION rm_google_linked_orgs()
RETURNS TABLE (org_id uuid, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT l.org_id, l.status FROM google_links l ORDER BY l.org_id
$$;
CREATE FUNCTION rm_google_syncs_due(p_now timestamptz, p_limit int)
RETURNS TABLE (id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT s.id, s.org_id FROM google_event_syncs s
    JOIN google_links l ON l.org_id = s.org_id AND l.status = 'connected'
   WHERE (s.state = 'pending' AND s.due_at <= p_now)
      OR (s.state = 'working' AND s.claimed_until < p_now)
   ORDER BY s.due_at
   LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION rm_google_linked_orgs() FROM PUBLIC;
REVOKE ALL ON FUNCTION rm_google_syncs_due(timestamptz, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_google_linked_orgs() TO ringmaster_app;
GRANT EXECUTE ON FUNCTION rm_google_syncs_due(timestamptz, int) TO ringmaster_app;

-- ---- row-level security and grants -------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON google_links, google_oauth_nonces, google_event_syncs
  TO ringmaster_app;

SELECT rm_enable_tenant_rls(ARRAY['google_links', 'google_oauth_nonces', 'google_event_syncs']);
