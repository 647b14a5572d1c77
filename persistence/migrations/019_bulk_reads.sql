-- Set-based reads across tenants for two paths that are not a tenant's: the call registry's
-- start-up recovery (every unfinished call of every tenant) and the operator's listing of the
-- live calls (GET /sessions/calls, Bearer operator token, authorised for every tenant). Under
-- row-level security each took a set_tenant and ~4 statements per tenant; with 10,000 live calls
-- over 1,000 clinics PostgreSQL spent the second parsing and planning those statements
-- (issue 13 §5). These functions answer each in one statement for all tenants.
--
-- Only those two paths call them (actors/call_store.cpp: calls::load_unfinished, the recovery,
-- and calls::views_json, the operator's listing of ids taken from the live call registry);
-- tenant-facing paths keep reading under RLS with their tenant named, which these functions do
-- not change. Like 002's narrow functions they are SECURITY DEFINER with a fixed search_path,
-- read only, and return the columns the C++ row readers take (persistence/detail/readers.hpp);
-- a call's whole row is returned because the operator's view shows all of it.

-- The calls named by `p_call_ids` (unknown ids are left out), each with has_booking_event as
-- read_call needs it.
CREATE FUNCTION rm_calls_by_ids(p_call_ids text[])
RETURNS TABLE (call_row calls, has_booking_event boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c, EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'booking')
    FROM calls c WHERE c.id = ANY (p_call_ids)
$$;

-- The events of those calls.
CREATE FUNCTION rm_call_events_by_call_ids(p_call_ids text[]) RETURNS SETOF call_events
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM call_events WHERE call_id = ANY (p_call_ids)
$$;

-- The appointments (holds and bookings) of those calls.
CREATE FUNCTION rm_appointments_by_call_ids(p_call_ids text[]) RETURNS SETOF appointments
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM appointments WHERE call_id = ANY (p_call_ids)
$$;

-- Every unfinished call of every tenant (the condition of rm_unfinished_calls, migration 011),
-- oldest first, with has_booking_event.
CREATE FUNCTION rm_unfinished_call_rows()
RETURNS TABLE (call_row calls, has_booking_event boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c, EXISTS (SELECT 1 FROM call_events e WHERE e.call_id = c.id AND e.kind = 'booking')
    FROM calls c WHERE c.state NOT IN ('ended', 'scored') ORDER BY c.created_at
$$;

-- The completed tool results of those calls (a call actor's replay cache).
CREATE FUNCTION rm_unfinished_tool_results()
RETURNS TABLE (call_id text, tool_call_id text, result text, is_error boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.call_id, t.tool_call_id, t.result, t.is_error
    FROM tool_invocations t JOIN calls c ON c.id = t.call_id
   WHERE c.state NOT IN ('ended', 'scored') AND t.result IS NOT NULL
$$;

REVOKE ALL ON FUNCTION rm_calls_by_ids(text[]), rm_call_events_by_call_ids(text[]),
  rm_appointments_by_call_ids(text[]), rm_unfinished_call_rows(), rm_unfinished_tool_results()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rm_calls_by_ids(text[]), rm_call_events_by_call_ids(text[]),
  rm_appointments_by_call_ids(text[]), rm_unfinished_call_rows(), rm_unfinished_tool_results()
  TO ringmaster_app;
