-- call_events' foreign key org_id → organizations is dropped, as tool_invocations' was in 021:
-- its composite key (call_id, org_id) → calls(id, org_id) already names an existing org
-- (calls.org_id → organizations, which has no ON DELETE CASCADE, so an org with calls is never
-- deleted), so the second check proved nothing more. It cost the journal, per stored event, a
-- trigger running a query and a FOR KEY SHARE lock on the organization's row: a WAL record and
-- a dirtied page of organizations, and a MultiXact when two journal transactions locked the
-- same org's row at once (issue 13's target 4, seventh round).
ALTER TABLE call_events DROP CONSTRAINT call_events_org_id_fkey;
