-- Hybrid telephony (seed 001 §17.3): caller-ID verification sessions, the sends that the rate
-- limit counts, and carrier forwarding configurations. No one-time code is ever stored: only an
-- argon2id hash (libsodium crypto_pwhash_str), cleared when the session ends.
-- Every timestamp a rule depends on is written from the application's clock (`p_now`), so that
-- tests can drive time; created_at/updated_at are bookkeeping only.

CREATE TABLE verified_caller_ids (
  id                           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  phone_number                 text NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  friendly_name                text,
  channel                      text NOT NULL DEFAULT 'sms' CHECK (channel IN ('call', 'sms')),
  status                       text NOT NULL DEFAULT 'pending'
                                 CHECK (status IN ('pending', 'verified', 'failed', 'expired')),
  verification_code_hash       text,  -- argon2id string; NULL once the session has ended
  verification_code_expires_at timestamptz,
  verification_attempts        integer NOT NULL DEFAULT 0
                                 CHECK (verification_attempts BETWEEN 0 AND 5),
  locked_until                 timestamptz,  -- set when the 3rd wrong code failed the session
  twilio_caller_id_sid         text,         -- OutgoingCallerId PN… once Twilio validated it
  twilio_call_sid              text,         -- Twilio's validation call CA…
  twilio_validation_status     text,         -- NULL | 'validating' | 'success' | 'failed'
  verified_at                  timestamptz,
  finished_at                  timestamptz,  -- when it became failed or expired (retention)
  created_at                   timestamptz NOT NULL DEFAULT now(),
  updated_at                   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT unique_org_phone UNIQUE (org_id, phone_number),
  UNIQUE (id, org_id),
  CHECK (status <> 'pending' OR (verification_code_hash IS NOT NULL
                                 AND verification_code_expires_at IS NOT NULL))
);
CREATE INDEX verified_caller_ids_pending ON verified_caller_ids (verification_code_expires_at)
  WHERE status = 'pending';
CREATE TRIGGER verified_caller_ids_touch BEFORE UPDATE ON verified_caller_ids
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- One row per code sent (the rate limit counts them per number over a sliding hour).
CREATE TABLE verification_initiations (
  id           bigserial PRIMARY KEY,
  org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  phone_number text NOT NULL,
  initiated_at timestamptz NOT NULL
);
CREATE INDEX verification_initiations_number ON verification_initiations (phone_number,
                                                                          initiated_at);

CREATE TABLE hybrid_forwarding_configs (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  verified_caller_id          uuid NOT NULL,
  sim_phone_number            text NOT NULL CHECK (sim_phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  forwarding_type             text NOT NULL CHECK (forwarding_type IN ('total_ai', 'safety_net')),
  carrier                     text NOT NULL
                                CHECK (carrier IN ('att', 'tmobile', 'verizon', 'other_gsm')),
  twilio_forwarding_number    text NOT NULL
                                CHECK (twilio_forwarding_number ~ '^\+[1-9][0-9]{6,14}$'),
  -- 3GPP TS 29.002 NoReplyConditionTime 5..30 (the seed's 5..60 is wrong); NULL = network's timer
  ring_time_seconds           integer CHECK (ring_time_seconds BETWEEN 5 AND 30),
  generated_activation_code   text NOT NULL,
  generated_deactivation_code text NOT NULL,
  status_check_code           text NOT NULL DEFAULT '',
  instructions                jsonb NOT NULL DEFAULT '[]',
  notes                       jsonb NOT NULL DEFAULT '[]',
  status                      text NOT NULL DEFAULT 'pending_setup'
                                CHECK (status IN ('pending_setup', 'active', 'disabled')),
  user_confirmed_setup        boolean NOT NULL DEFAULT false,
  confirmed_at                timestamptz,
  disabled_at                 timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (verified_caller_id, org_id) REFERENCES verified_caller_ids (id, org_id)
    ON DELETE CASCADE
);
-- One live configuration per SIM (the seed's unique_org_sim, minus disabled ones so a clinic can
-- set forwarding up again after turning it off).
CREATE UNIQUE INDEX hybrid_forwarding_configs_live_sim
  ON hybrid_forwarding_configs (org_id, sim_phone_number) WHERE status <> 'disabled';
CREATE INDEX hybrid_forwarding_configs_caller_id
  ON hybrid_forwarding_configs (verified_caller_id);
CREATE TRIGGER hybrid_forwarding_configs_touch BEFORE UPDATE ON hybrid_forwarding_configs
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

-- ---- row-level security (002's pattern) ----------------------------------------------------

GRANT SELECT, INSERT, UPDATE, DELETE ON verified_caller_ids, verification_initiations,
  hybrid_forwarding_configs TO ringmaster_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ringmaster_app;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['verified_caller_ids', 'verification_initiations',
                           'hybrid_forwarding_configs'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (org_id = rm_current_org()) '
                   'WITH CHECK (org_id = rm_current_org())', t);
    EXECUTE format('CREATE POLICY owner_access ON %I TO %I USING (true) WITH CHECK (true)',
                   t, current_user);
  END LOOP;
END $$;

-- ---- the cross-tenant reads and the housekeeping (SECURITY DEFINER, fixed search_path) --------

-- Every pending session, for resuming their actors at start-up (no hash, no code).
CREATE FUNCTION rm_pending_verifications()
RETURNS TABLE (id uuid, org_id uuid, phone_number text, expires_at timestamptz,
               attempts integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, org_id, phone_number, verification_code_expires_at, verification_attempts
    FROM verified_caller_ids WHERE status = 'pending' ORDER BY verification_code_expires_at
$$;

-- Codes sent to a number since `p_since`, whichever tenant sent them: the rate limit protects the
-- number's owner, who may be pestered through several tenants.
CREATE FUNCTION rm_recent_verification_sends(p_phone text, p_since timestamptz)
RETURNS SETOF timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT initiated_at FROM verification_initiations
   WHERE phone_number = p_phone AND initiated_at > p_since
$$;

-- Expires pending sessions whose code has expired, deletes failed/expired sessions finished more
-- than `p_retention` ago (unless a forwarding configuration references them) and send records
-- older than a day. Returns how many rows it expired and deleted.
CREATE FUNCTION rm_verification_housekeeping(p_now timestamptz, p_retention interval)
RETURNS TABLE (expired bigint, deleted bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n_expired bigint;
  n_deleted bigint;
BEGIN
  UPDATE verified_caller_ids
     SET status = 'expired', verification_code_hash = NULL, finished_at = p_now
   WHERE status = 'pending' AND verification_code_expires_at <= p_now;
  GET DIAGNOSTICS n_expired = ROW_COUNT;
  DELETE FROM verified_caller_ids v
   WHERE v.status IN ('failed', 'expired')
     AND coalesce(v.finished_at, v.updated_at) <= p_now - p_retention
     AND coalesce(v.locked_until, p_now) <= p_now
     AND NOT EXISTS (SELECT 1 FROM hybrid_forwarding_configs f WHERE f.verified_caller_id = v.id);
  GET DIAGNOSTICS n_deleted = ROW_COUNT;
  DELETE FROM verification_initiations WHERE initiated_at <= p_now - p_retention;
  RETURN QUERY SELECT n_expired, n_deleted;
END $$;

REVOKE ALL ON FUNCTION rm_pending_verifications(),
  rm_recent_verification_sends(text, timestamptz),
  rm_verification_housekeeping(timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_pending_verifications(),
  rm_recent_verification_sends(text, timestamptz),
  rm_verification_housekeeping(timestamptz, interval) TO ringmaster_app;
