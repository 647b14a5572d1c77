-- Twilio webhooks (adapters/http/twilio_routes.cpp, docs/telephony.md "Twilio webhooks").
--
-- 1. Where a clinic's calls go: the agent's SIP address (e.g. its Vapi SIP URI), else the front
--    desk's number; with neither, the voice webhook apologises and hangs up.
-- 2. Inbound SMS are stored once per Twilio MessageSid (webhook retries and fallbacks repeat).
-- 3. The status callback finds a call by its Twilio CallSid within the tenant.
-- 4. The number's owner, active or not, so a webhook for a released number can still be verified
--    with that tenant's Twilio token before it is answered <Reject/>.

ALTER TABLE organizations
  ADD COLUMN agent_sip_uri text NOT NULL DEFAULT ''
    CHECK (agent_sip_uri = '' OR agent_sip_uri ~ '^sips?:[^[:space:][:cntrl:]]+$'),
  ADD COLUMN fallback_number text NOT NULL DEFAULT ''
    CHECK (fallback_number = '' OR fallback_number ~ '^\+[1-9][0-9]{1,14}$');

CREATE UNIQUE INDEX messages_inbound_external_id ON messages (org_id, external_message_id)
  WHERE direction = 'inbound' AND external_message_id IS NOT NULL;

CREATE INDEX calls_provider_call_sid ON calls (org_id, provider_call_sid)
  WHERE provider_call_sid IS NOT NULL;

-- Dialled number → its owner: the active row when there is one, else the most recently
-- deactivated one. Returns the tenant and whether the number is active; nothing else, so the
-- caller still reads the tenant's Twilio token under that tenant's row-level security.
CREATE FUNCTION rm_number_owner(p_e164 text) RETURNS TABLE (org_id uuid, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id, active FROM phone_numbers WHERE e164 = p_e164
   ORDER BY active DESC, deactivated_at DESC NULLS LAST, created_at DESC LIMIT 1
$$;
REVOKE ALL ON FUNCTION rm_number_owner(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_number_owner(text) TO ringmaster_app;
