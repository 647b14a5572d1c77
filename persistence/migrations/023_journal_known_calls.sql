-- rm_journal_events (018, last restated in 022) looked up the stored calls of a batch's known
-- (not fresh) events with a join, r JOIN calls c ON c.id = r.call_id, and the planner chose it
-- from calls' statistics. Where those are stale (a new database, or calls grown quickly since
-- the last ANALYZE: they said 80 rows), it hashed the batch and scanned the whole calls table
-- for every batch with a known call: 10,000-14,000 rows read per journal transaction in the
-- bench's status-update rounds (auto_explain, issue 13's sixth round), PostgreSQL at 53 % of
-- the machine and ~325 µs of its CPU per acknowledged event. The cost grew with the table,
-- i.e. with every call ever stored. Each known call's row is now fetched by its key in a
-- subquery (kept as a per-row index probe; OFFSET 0 keeps the planner from flattening it into a
-- join again). Same arguments, same answer; only that CTE differs from 022's text.

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
    -- Each looked up by its key (a subquery per row, which the planner keeps as one: an index
    -- probe whatever the statistics say), not joined: see the header.
    SELECT k.i, k.stored_org,
           (SELECT count(*) FROM call_events e WHERE e.call_id = k.call_id) AS n
      FROM (SELECT r.i, r.call_id,
                   (SELECT c.org_id FROM calls c WHERE c.id = r.call_id) AS stored_org
              FROM r WHERE NOT r.fresh OFFSET 0) k
     WHERE k.stored_org IS NOT NULL),
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
