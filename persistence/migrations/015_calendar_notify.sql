-- The tenant actor holds its calendar in memory (docs/architecture.md, "State placement"). Every
-- change to a tenant's appointments — by this instance, another ringmaster instance on the same
-- database, the tenant API or by hand — announces the tenant on channel rm_calendar, delivered at
-- commit; each instance's calendar_notices actor LISTENs and has that tenant reload its intervals.
-- PostgreSQL folds identical (channel, payload) pairs of one transaction into one notification,
-- so a row-level trigger costs one notice per tenant and transaction. pg_notify needs no table
-- privilege, so the trigger works under ringmaster_app and row-level security.
CREATE FUNCTION rm_calendar_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('rm_calendar', OLD.org_id::text);
  ELSE
    PERFORM pg_notify('rm_calendar', NEW.org_id::text);
  END IF;
  RETURN NULL;
END
$$;

-- Updates that cannot change what is busy (e.g. confirmation_sent, contact_id) announce nothing.
CREATE TRIGGER appointments_notify AFTER INSERT OR DELETE
  OR UPDATE OF org_id, status, starts_at, ends_at, blocked_until, hold_expires_at ON appointments
  FOR EACH ROW EXECUTE FUNCTION rm_calendar_notify();
