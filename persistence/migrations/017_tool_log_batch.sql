-- The write-behind tool log (actors/tool_log_writer.cpp) stores the results of read-only tool
-- calls (check_availability, search_knowledge_base, refusals answered from memory) for many
-- tenants at once. Under row-level security that took a set_tenant and an INSERT per tenant per
-- batch; at thousands of checks a second over a thousand clinics those statements were most of
-- PostgreSQL's work (issue 13). This function stores a whole batch in one statement.
-- Tenant isolation holds in substance: tool_invocations' foreign key (call_id, org_id) →
-- calls (id, org_id) refuses a row whose call belongs to another org than the one it names, and
-- the function only inserts (it returns nothing of any tenant's data). An already stored
-- (call, toolCallId) keeps its first result. Returns the rows inserted.
CREATE FUNCTION rm_log_tool_calls(p_call_ids text[], p_tool_call_ids text[], p_org_ids uuid[],
                                  p_names text[], p_arguments jsonb[], p_results text[],
                                  p_is_error boolean[])
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH stored AS (
    INSERT INTO tool_invocations (call_id, tool_call_id, org_id, name, arguments, result,
                                  is_error, completed_at)
    SELECT c, t, o, n, a, r, e, now()
      FROM unnest(p_call_ids, p_tool_call_ids, p_org_ids, p_names, p_arguments, p_results,
                  p_is_error) AS u (c, t, o, n, a, r, e)
    ON CONFLICT (call_id, tool_call_id) DO NOTHING
    RETURNING 1)
  SELECT count(*)::integer FROM stored
$$;
REVOKE ALL ON FUNCTION rm_log_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                         boolean[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_log_tool_calls(text[], text[], uuid[], text[], jsonb[], text[],
                                            boolean[]) TO ringmaster_app;
