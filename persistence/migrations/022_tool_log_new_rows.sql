-- Two changes to the batch statements that insert calls rows (issue 13, target 1).
--
-- 1. A calls row goes in with ON CONFLICT DO NOTHING on ANY unique index, not only the primary
--    key. calls has two: (id) and (id, org_id). ON CONFLICT (id) arbitrates the first only, so
--    two transactions inserting the same new call at once (the tool log's two batches in
--    flight both carry the row of a call whose reads they split; a status-update's journal
--    batch and a read's batch) could fail with unique_violation on calls_id_org_id_key instead
--    of one of them skipping the row. The bench showed it: "a batch of 1024 rows was refused
--    (23505 … calls_id_org_id_key); storing them one by one", i.e. 1,024 transactions and
--    fsyncs, the workers' backlog full meanwhile, reads waiting up to their 1 s limit (p99 of
--    0.85 s in a target-1 round). A conflict on (id, org_id) implies one on (id), so skipping on
--    either is the same answer. Changed here in rm_journal_events (018), rm_log_tool_calls
--    (021, restated whole below with that one line changed) and rm_log_new_tool_calls; the
--    single-row ensure_call (persistence/repositories_calls.cpp) likewise.
--
-- 2. The tool log's batches insert their results without ON CONFLICT first. A write-behind
--    record is new almost always: the call actor answers a retried toolCallId from memory and
--    records each toolCallId once, yet ON CONFLICT DO NOTHING paid for the rare exception on
--    every row (speculative insertion: a probe of the primary key, then a second WAL record to
--    confirm the row). Batches of 160 rows with 16 new calls each cost PostgreSQL about 7 % less
--    CPU per row without it (bench/record-cost.sh, two passes each: 23.1 and 22.5 µs → 21.0
--    and 21.5 µs). rm_log_new_tool_calls is rm_log_tool_calls with that one difference: a row
--    whose (call_id, tool_call_id) is stored already makes the statement fail with
--    unique_violation (23505), and the writer then stores the same batch with
--    rm_log_tool_calls in a new transaction (actors/tool_log_writer.cpp), which keeps the first
--    result. Same arguments, same answer (the 1-based positions of the rows naming another org
--    than their stored call's, not stored), same tenant isolation.

CREATE OR REPLACE FUNCTION rm_journal_events(
    p_call_ids text[], p_org_ids uuid[], p_fresh boolean[], p_directions text[],
    p_callers text[], p_dialled text[], p_sids text[],
    p_kinds text[], p_statuses text[], p_event_reasons text[], p_occurred bigint[],
    p_dedup text[], p_payloads jsonb[], p_known integer[],
    p_states text[], p_outcomes text[], p_reasons text[], p_started bigint[], p_ended bigint[])
RETURNS TABLE (row_idx integer, row_outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH r AS (
    SELECT u.*, u.ord::integer AS i
      FROM unnest(p_call_ids, p_org_ids, p_fresh, p_directions, p_callers, p_dialled, p_sids,
                  p_kinds, p_statuses, p_event_reasons, p_occurred, p_dedup, p_payloads, p_known,
                  p_states, p_outcomes, p_reasons, p_started, p_ended)
           WITH ORDINALITY AS u (call_id, org_id, fresh, direction, caller, dialled, sid,
                                 kind, status, event_reason, occurred, dedup, payload, known,
                                 state, outcome, reason, started, ended, ord)),
  known_calls AS (  -- the stored org and event count of the known (not fresh) calls
    SELECT r.i, c.org_id AS stored_org,
           (SELECT count(*) FROM call_events e WHERE e.call_id = r.call_id) AS n
      FROM r JOIN calls c ON c.id = r.call_id
     WHERE NOT r.fresh),
  new_calls AS (
    INSERT INTO calls (id, org_id, direction, caller, dialled, provider_call_sid, state,
                       outcome, ended_reason, started_at, ended_at, reported_at)
    SELECT r.call_id, r.org_id, r.direction, r.caller, r.dialled, r.sid, r.state, r.outcome,
           r.reason,
           CASE WHEN r.started > 0
             THEN 'epoch'::timestamptz + r.started * interval '1 millisecond' END,
           CASE WHEN r.ended > 0
             THEN 'epoch'::timestamptz + r.ended * interval '1 millisecond' END,
           CASE WHEN r.state IN ('reported', 'scored') THEN now() END
      FROM r WHERE r.fresh
    ON CONFLICT DO NOTHING  -- any unique index (022)
    RETURNING id),
  ok AS (
    SELECT r.* FROM r JOIN new_calls n ON n.id = r.call_id WHERE r.fresh
    UNION ALL
    SELECT r.* FROM r JOIN known_calls k ON k.i = r.i
     WHERE k.stored_org = r.org_id AND k.n = r.known),
  new_events AS (
    INSERT INTO call_events (call_id, org_id, kind, status, ended_reason, occurred_at_ms,
                             dedup_key, payload)
    SELECT ok.call_id, ok.org_id, ok.kind, ok.status, ok.event_reason, ok.occurred, ok.dedup,
           ok.payload
      FROM ok
    ON CONFLICT (call_id, dedup_key) DO NOTHING
    RETURNING call_id, dedup_key),
  projected AS (
    UPDATE calls c
       SET state = ok.state, outcome = ok.outcome, ended_reason = ok.reason,
           started_at = CASE WHEN ok.started > 0
             THEN 'epoch'::timestamptz + ok.started * interval '1 millisecond' END,
           ended_at = CASE WHEN ok.ended > 0
             THEN 'epoch'::timestamptz + ok.ended * interval '1 millisecond' END,
           reported_at = CASE WHEN ok.state IN ('reported', 'scored')
             THEN coalesce(c.reported_at, now()) END
      FROM ok JOIN new_events e ON e.call_id = ok.call_id AND e.dedup_key = ok.dedup
     WHERE c.id = ok.call_id AND NOT ok.fresh
    RETURNING c.id)
  SELECT r.i,
         CASE WHEN e.call_id IS NOT NULL THEN 'stored'
              WHEN k.stored_org IS NOT NULL AND k.stored_org <> r.org_id THEN 'foreign'
              ELSE 'fallback' END
    FROM r
    LEFT JOIN new_events e ON e.call_id = r.call_id AND e.dedup_key = r.dedup
    LEFT JOIN known_calls k ON k.i = r.i
   ORDER BY r.i;
END $$;

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
    ON CONFLICT DO NOTHING  -- any unique index (022)
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
    ON CONFLICT DO NOTHING
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
