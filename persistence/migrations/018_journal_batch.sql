-- The journal's set-based batch (actors/journal.cpp, issue 13 target 4). A call actor keeps its
-- events' identity and computes its projection itself (domain::project), so a lifecycle event
-- it already knows the whole history of is plain DATA: the call row (when the call is fresh),
-- the event row and the new projection. This function stores a whole batch of such rows, of
-- any number of calls and tenants, in ONE statement instead of ~8 per event.
--
-- Per row (`row_idx`: its 1-based position) `row_outcome` is:
--   'stored'   the event was inserted and the call's projection written (a fresh row: the call
--              row was inserted with the projection already in it);
--   'fallback' nothing of the row was written: a fresh row whose call is already stored (a
--              restart, another instance), or a known call whose stored events are not the
--              `known` ones the writer counted (another writer added some: the booking, the
--              scoring step, another instance), or an event already stored. The journal then
--              runs the entry's closure (load, record, re-project from all events) instead;
--   'foreign'  the call is stored under another org than the row names: nothing written.
-- Tenant isolation: a row writes only to a call of its own org (the org check above; a fresh
-- call is inserted with the row's org, and call_events' foreign key (call_id, org_id) → calls
-- holds too). The function returns nothing of any tenant's data. A batch holds at most one row
-- per call (a call actor awaits each of its events).
CREATE FUNCTION rm_journal_events(
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
    ON CONFLICT (id) DO NOTHING
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
REVOKE ALL ON FUNCTION rm_journal_events(text[], uuid[], boolean[], text[], text[], text[], text[],
                                         text[], text[], text[], bigint[], text[], jsonb[],
                                         integer[], text[], text[], text[], bigint[], bigint[])
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_journal_events(text[], uuid[], boolean[], text[], text[], text[],
                                            text[], text[], text[], text[], bigint[], text[],
                                            jsonb[], integer[], text[], text[], text[], bigint[],
                                            bigint[])
  TO ringmaster_app;
