-- The write-behind tool log's batch now carries the rows of the calls it needs (issue 13 §2, §3).
-- A read answered on an HTTP worker for a call nobody has stored yet (a call whose first webhooks
-- are check_availability) no longer waits for a journal entry that loads the call and inserts its
-- row: the call actor hands the read's record and the call's identity to the tool log, and this
-- function inserts the missing calls rows and the tool results of the whole batch, of any number
-- of calls and tenants, in ONE statement. Replaces migration 017's version.
--
-- Tenant isolation: a calls row is inserted with the org its identity names, only when no call of
-- that id exists (ON CONFLICT DO NOTHING: an existing call, of whichever org, is left untouched).
-- A result row is refused (not stored, its 1-based position returned) when its call is stored
-- under another org than the row names; a row whose call this statement cannot see yet (another
-- transaction inserting it concurrently) is checked by tool_invocations' foreign key
-- (call_id, org_id) → calls, which sees committed rows: a mismatch makes the statement fail, and
-- the writer then stores the rows one by one. An already stored (call, toolCallId) keeps its first
-- result. The function returns nothing of any tenant's data.
DROP FUNCTION rm_log_tool_calls(text[], text[], uuid[], text[], jsonb[], text[], boolean[]);

CREATE FUNCTION rm_log_tool_calls(p_call_ids text[], p_tool_call_ids text[], p_org_ids uuid[],
                                  p_names text[], p_arguments jsonb[], p_results text[],
                                  p_is_error boolean[],
                                  p_new_ids text[], p_new_orgs uuid[], p_new_directions text[],
                                  p_new_callers text[], p_new_dialled text[], p_new_sids text[])
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
  foreign_rows AS (
    SELECT u.i FROM u
     WHERE EXISTS (SELECT 1 FROM calls k WHERE k.id = u.c AND k.org_id <> u.o)
        OR EXISTS (SELECT 1 FROM new_calls k WHERE k.id = u.c AND k.org_id <> u.o)),
  stored AS (
    INSERT INTO tool_invocations (call_id, tool_call_id, org_id, name, arguments, result,
                                  is_error, completed_at)
    SELECT u.c, u.t, u.o, u.n, u.a, u.r, u.e, now()
      FROM u WHERE u.i NOT IN (SELECT i FROM foreign_rows)
    ON CONFLICT (call_id, tool_call_id) DO NOTHING
    RETURNING 1)
  SELECT i FROM foreign_rows ORDER BY i
$$;
REVOKE ALL ON FUNCTION rm_log_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                         boolean[], text[], uuid[], text[], text[], text[],
                                         text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_log_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                            boolean[], text[], uuid[], text[], text[], text[],
                                            text[]) TO ringmaster_app;
