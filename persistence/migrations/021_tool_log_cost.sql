-- The tool log's write-behind statement costs PostgreSQL less per row (issue 13 §2's target 1:
-- PostgreSQL's share of a check_availability was ~43 µs of CPU per read, most of it in this
-- statement). Measured with EXPLAIN ANALYZE and timed batches of 160 rows (16 new calls):
-- * The check that a row's call is not stored under another org ran two subqueries per row, one
--   of them a scan of the statement's new calls (rows × new calls). It is now one set: the
--   owners of the batch's call ids, joined by hash.
-- * tool_invocations' foreign key org_id → organizations is dropped: its composite key
--   (call_id, org_id) → calls(id, org_id) already names an existing org (calls.org_id →
--   organizations), so the second check proved nothing more and cost a trigger per row.
-- Same arguments, same answer (the 1-based positions of the refused rows), same isolation: a row
-- naming another org than its stored call's is refused; a row whose call another transaction is
-- inserting concurrently is still checked by the composite foreign key.
ALTER TABLE tool_invocations DROP CONSTRAINT tool_invocations_org_id_fkey;

CREATE OR REPLACE FUNCTION rm_log_tool_calls(p_call_ids text[], p_tool_call_ids text[],
                                             p_org_ids uuid[], p_names text[],
                                             p_arguments jsonb[], p_results text[],
                                             p_is_error boolean[], p_new_ids text[],
                                             p_new_orgs uuid[], p_new_directions text[],
                                             p_new_callers text[], p_new_dialled text[],
                                             p_new_sids text[])
RETURNS SETOF integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH new_calls AS (
    INSERT INTO calls (id, org_id, direction, caller, dialled, provider_call_sid)
    SELECT * FROM unnest(p_new_ids, p_new_orgs, p_new_directions, p_new_callers, p_new_dialled,
                         p_new_sids)
    ON CONFLICT (id) DO NOTHING
    RETURNING id, org_id),
  u AS (
    SELECT u.*, u.ord::integer AS i
      FROM unnest(p_call_ids, p_tool_call_ids, p_org_ids, p_names, p_arguments, p_results,
                  p_is_error) WITH ORDINALITY AS u (c, t, o, n, a, r, e, ord)),
  -- The calls stored before this statement (its snapshot does not see new_calls) and the ones
  -- it inserts.
  owners AS (
    SELECT id, org_id FROM calls WHERE id = ANY (p_call_ids)
    UNION ALL
    SELECT id, org_id FROM new_calls),
  foreign_rows AS (
    SELECT DISTINCT u.i FROM u JOIN owners k ON k.id = u.c AND k.org_id <> u.o),
  stored AS (
    INSERT INTO tool_invocations (call_id, tool_call_id, org_id, name, arguments, result,
                                  is_error, completed_at)
    SELECT u.c, u.t, u.o, u.n, u.a, u.r, u.e, now()
      FROM u WHERE u.i NOT IN (SELECT i FROM foreign_rows)
    ON CONFLICT (call_id, tool_call_id) DO NOTHING
    RETURNING 1)
  SELECT i FROM foreign_rows ORDER BY i
$$;
