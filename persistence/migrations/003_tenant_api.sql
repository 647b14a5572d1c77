-- The tenant API (adapters/http/tenant_routes.cpp): who changed what, on the rows a clinic's
-- users manage themselves. The users are the JWT's `sub` (adapters/http/jwt.hpp): any non-empty
-- string, a UUID with Supabase, so the columns are text and reference nothing.
--
-- No new table and no new policy: these columns live in tables that 002 already put under FORCED
-- row-level security, and table-level GRANTs cover columns added later. The cross-tenant
-- questions of the tenant API (is this number or Vapi id active for another tenant? which tenant
-- owns a number, for the service-token lookup) are answered by 002's rm_route_by_number and
-- rm_route_by_vapi_id, which reveal nothing beyond what routing itself needs.

-- Phone mappings (seed 000's phone_number_mapping: inbound_phone_number = e164,
-- clinic_name = label, is_active = active). A soft delete records who and when; posting the
-- number again reactivates the same row and clears both.
ALTER TABLE phone_numbers
  ADD COLUMN created_by     text,  -- NULL for numbers created by the operator API
  ADD COLUMN deactivated_by text,
  ADD CONSTRAINT phone_numbers_deactivated_by_inactive CHECK (deactivated_by IS NULL OR NOT active);

-- Cancellation from the dashboard. A cancelled row leaves appointments_no_overlap (which covers
-- held and booked rows only), so the slot is free again at once.
ALTER TABLE appointments
  ADD COLUMN cancelled_at timestamptz,
  ADD COLUMN cancelled_by text,
  ADD CONSTRAINT appointments_cancelled_fields
    CHECK (status = 'cancelled' OR (cancelled_at IS NULL AND cancelled_by IS NULL));

-- GET /api/appointments?from=&to= reads one tenant's rows by start time.
CREATE INDEX appointments_org_starts ON appointments (org_id, starts_at);
