-- An active Vapi phone-number id belongs to at most one number, hence to at most one tenant
-- (issue 9 §11; docs/api.md "Phone mappings"). Vapi names the number a call came in on by that id;
-- until now two active rows could carry the same id and the call then went to whichever
-- rm_route_by_vapi_id listed first (find_route_by_vapi_id takes the lowest row id).
--
-- Writers: POST /ops/tenants (create_tenant), the tenant API's phone mappings
-- (save_phone_mapping) and the Vapi import of bought or imported numbers (mark_linked). Each
-- checks first and answers 409 vapi_phone_number_id_taken; this index is the guarantee when two
-- race. A unique index is not subject to row-level security: it sees every tenant's rows.

-- 1. '' was never an id (the writers store NULL for "none"); make sure no row says otherwise.
UPDATE phone_numbers SET vapi_phone_number_id = NULL WHERE vapi_phone_number_id = '';

-- 2. Existing duplicates among active rows: the row that routes the id today (the lowest id)
--    keeps it; the others lose it. They still route by their own number, so no call goes
--    elsewhere than before. Reported as a warning in the migration's log.
DO $$
DECLARE
  cleared integer;
BEGIN
  WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY vapi_phone_number_id ORDER BY id) AS rank
      FROM phone_numbers WHERE active AND vapi_phone_number_id IS NOT NULL)
  UPDATE phone_numbers p SET vapi_phone_number_id = NULL
    FROM ranked r WHERE p.id = r.id AND r.rank > 1;
  GET DIAGNOSTICS cleared = ROW_COUNT;
  IF cleared > 0 THEN
    RAISE WARNING 'migration 009: % active numbers shared a Vapi phone-number id with another '
                  'active number; their copy of the id was cleared (they route by number)',
                  cleared;
  END IF;
END $$;

-- 3. The guarantee (replaces 001's plain index on the same column; the predicate is implied by
--    `vapi_phone_number_id = $1 AND active`, so route lookups still use it).
DROP INDEX phone_numbers_active_vapi_id;
CREATE UNIQUE INDEX phone_numbers_active_vapi_id_unique ON phone_numbers (vapi_phone_number_id)
  WHERE active AND vapi_phone_number_id IS NOT NULL;
