-- The tool log's batches insert their results without ON CONFLICT first (issue 13, target 1).
-- A write-behind record is new almost always: the call actor answers a retried toolCallId from
-- memory and records each toolCallId once. ON CONFLICT DO NOTHING still paid for the rare
-- exception on every row (speculative insertion: a probe of the primary key, then a second WAL
-- record to confirm the row): batches of 160 rows with 16 new calls each cost PostgreSQL about 7 %
-- less CPU per row without it (bench/record-cost.sh, two passes each: 23.1 and 22.5 µs → 21.0 and
-- 21.5 µs).
--
-- rm_log_new_tool_calls is rm_log_tool_calls (migration 021) with that one difference: a row
-- whose (call_id, tool_call_id) is stored already makes the statement fail with unique_violation
-- (23505), and the writer then stores the same batch with rm_log_tool_calls in a new transaction
-- (actors/tool_log_writer.cpp), which keeps the first result. Same arguments, same answer (the
-- 1-based positions of the rows naming another org than their stored call's, not stored), same
-- tenant isolation; calls rows keep ON CONFLICT (id) DO NOTHING (a call's row is often inserted
-- concurrently by its first webhook's journal entry).
CREATE FUNCTION rm_log_new_tool_calls(p_call_ids text[], p_tool_call_ids text[],
                                      p_org_ids uuid[], p_names text[], p_arguments jsonb[],
                                      p_results text[], p_is_error boolean[], p_new_ids text[],
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
    RETURNING 1)
  SELECT i FROM foreign_rows ORDER BY i
$$;
REVOKE ALL ON FUNCTION rm_log_new_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                             boolean[], text[], uuid[], text[], text[], text[],
                                             text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_log_new_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                                boolean[], text[], uuid[], text[], text[], text[],
                                                text[]) TO ringmaster_app;
