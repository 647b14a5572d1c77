-- Credential store (docs/security.md "Stored credentials"): one row per tenant and provider.
--
-- Secrets are never stored in clear: `ciphertext` is AES-256-GCM under the deployment's master key
-- (RINGMASTER_MASTER_KEY / _FILE), with a fresh 96-bit `iv` per write, the 16-byte `tag`, and the
-- `key_id` of the master key that sealed it. The tag also covers (org_id, provider) as additional
-- authenticated data, so a row copied to another tenant or provider fails to open
-- (persistence/secret_box.hpp). Everything else here is not secret and stays readable.
--
-- Providers:
--   twilio        the tenant's own Twilio account: account_sid + the auth token (encrypted);
--                 friendly_name from Twilio; the Vapi credential made from it (vapi_credential_id,
--                 vapi_sync_status, vapi_sync_error).
--   vapi_webhook  the tenant's override of the deployment's Vapi webhook credential: auth_mode
--                 (secret | bearer | hmac) + the shared secret (encrypted).
--
-- org_twilio_accounts (001) kept auth tokens in clear. `ringmaster serve` moves its rows into
-- org_credentials at start-up (it needs the master key, which SQL does not have) and deletes them.

CREATE TABLE org_credentials (
  org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  provider           text NOT NULL CHECK (provider IN ('twilio', 'vapi_webhook')),
  account_sid        text CHECK (account_sid ~ '^AC[0-9a-zA-Z]+$'),
  friendly_name      text NOT NULL DEFAULT '',
  auth_mode          text CHECK (auth_mode IN ('secret', 'bearer', 'hmac')),
  vapi_credential_id text,
  vapi_sync_status   text CHECK (vapi_sync_status IN ('pending', 'synced', 'failed')),
  vapi_sync_error    text NOT NULL DEFAULT '',
  key_id             text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
  iv                 bytea NOT NULL CHECK (length(iv) = 12),
  tag                bytea NOT NULL CHECK (length(tag) = 16),
  ciphertext         bytea NOT NULL,
  connected_at       timestamptz NOT NULL DEFAULT now(),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, provider),
  CHECK (provider <> 'twilio' OR account_sid IS NOT NULL),
  CHECK (provider <> 'vapi_webhook' OR auth_mode IS NOT NULL)
);
CREATE TRIGGER org_credentials_touch BEFORE UPDATE ON org_credentials
  FOR EACH ROW EXECUTE FUNCTION rm_touch_updated_at();

ALTER TABLE org_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE org_credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON org_credentials
  USING (org_id = rm_current_org()) WITH CHECK (org_id = rm_current_org());
DO $$ BEGIN
  EXECUTE format('CREATE POLICY owner_access ON org_credentials TO %I USING (true) WITH CHECK (true)',
                 current_user);
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON org_credentials TO ringmaster_app;

COMMENT ON TABLE org_twilio_accounts IS
  'legacy (001): plaintext Twilio tokens; emptied into org_credentials by ringmaster serve at start-up';
