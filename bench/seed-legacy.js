'use strict';
// bench/run.sh, target 2: gives ringmaster the Express baseline's clinics, numbers, time zones and
// bookings, read from the baseline's database (seeded by ../shared/bench/baseline-express/seed.js).
//   1. Clinics through ringmaster's own API: POST /ops/tenants per organization (8 at a time) with
//      its name, IANA zone and both numbers (labelled with the baseline's clinic_name).
//      Rules that reproduce the baseline's answers: Mon–Fri 09:00–17:00 and 30-min slots (the
//      defaults), min_notice_minutes 0 (the baseline has none) and buffer_minutes 0, because the
//      baseline's 15-min buffer follows each *existing* appointment only (it is in blocked_until
//      below), while ringmaster's buffer_minutes also pads the slot being offered.
//   2. Bookings with SQL into ringmaster's appointments table. The API cannot create them: the
//      tenant API only lists and cancels appointments, and reserve_slot/book_appointment accept
//      only free future starts on the slot grid, while the baseline's rows lie mostly in the past,
//      start on a 15-min grid from 08:00 and overlap each other (the exclusion constraint refuses
//      overlaps). So the rows that block a slot in the baseline (booked, and held with an unexpired
//      hold) are merged per clinic into non-overlapping 'booked' rows covering exactly the same
//      time, [starts_at, ends_at + 15 min) = [starts_at, blocked_until); cancelled rows and expired
//      holds are copied as 'cancelled' and 'expired'. Reminders are turned off for these clinics
//      (the baseline has none; they would queue texts for the future bookings).
// Env: BASELINE_URL, RM_DB_URL (superuser), RM_URL (http://127.0.0.1:port), OPERATOR_TOKEN.
// Prints one line: SEEDLEGACY tenants= numbers= baseline_rows= blocking= booked_rows= other_rows=
//                  api_ms= sql_ms=
const { Client } = require('pg');

const BUFFER_MS = 15 * 60 * 1000;
const env = (k) => { if (!process.env[k]) throw new Error(`${k} is required`); return process.env[k]; };

async function createTenants(orgs) {
  const url = `${env('RM_URL')}/ops/tenants`;
  const headers = { authorization: `Bearer ${env('OPERATOR_TOKEN')}`, 'content-type': 'application/json' };
  const ids = new Map();
  let next = 0;
  async function worker() {
    while (next < orgs.length) {
      const o = orgs[next++];
      const body = {
        name: o.name, time_zone: o.timezone, min_notice_minutes: 0, buffer_minutes: 0,
        numbers: o.numbers.map((n) => ({ e164: n.num, label: n.clinic })),
      };
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      const text = await r.text();
      if (r.status !== 201) throw new Error(`POST /ops/tenants for ${o.name}: ${r.status} ${text}`);
      ids.set(o.id, JSON.parse(text).id);
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

async function main() {
  const base = new Client({ connectionString: env('BASELINE_URL') });
  const rm = new Client({ connectionString: env('RM_DB_URL') });
  await base.connect();
  await rm.connect();

  const { rows: orgRows } = await base.query('SELECT id, name, timezone FROM organizations ORDER BY name');
  const { rows: numRows } = await base.query(
    `SELECT org_id, inbound_phone_number AS num, clinic_name AS clinic
       FROM phone_number_mapping WHERE is_active ORDER BY clinic_name`);
  const orgs = orgRows.map((o) => ({ ...o, numbers: numRows.filter((n) => n.org_id === o.id) }));
  const t0 = Date.now();
  const ids = await createTenants(orgs);
  const apiMs = Date.now() - t0;

  const { rows: appts } = await base.query(
    `SELECT org_id, starts_at, ends_at, status, hold_expires_at,
            (status = 'booked' OR (status = 'held' AND hold_expires_at > now())) AS blocking
       FROM appointments ORDER BY org_id, starts_at`);
  const cols = { org: [], status: [], starts: [], ends: [], blocked: [], hold: [] };
  const push = (org, status, s, e, b, hold) => {
    cols.org.push(org); cols.status.push(status); cols.starts.push(new Date(s));
    cols.ends.push(new Date(e)); cols.blocked.push(new Date(b)); cols.hold.push(hold);
  };
  let blocking = 0;
  let booked = 0;
  let open = null;  // the merged blocking interval being built: {org, s, b}
  const flush = () => { if (open) { push(open.org, 'booked', open.s, open.b - BUFFER_MS, open.b, null); booked++; } open = null; };
  for (const a of appts) {
    const org = ids.get(a.org_id);
    const s = a.starts_at.getTime();
    const b = a.ends_at.getTime() + BUFFER_MS;
    if (!a.blocking) {
      push(org, a.status === 'held' ? 'expired' : 'cancelled', s, a.ends_at.getTime(), b, a.hold_expires_at);
      continue;
    }
    blocking++;
    if (open && open.org === org && s < open.b) { open.b = Math.max(open.b, b); continue; }
    flush();
    open = { org, s, b };
  }
  flush();

  const t1 = Date.now();
  await rm.query('BEGIN');
  const BATCH = 10000;
  for (let i = 0; i < cols.org.length; i += BATCH) {
    const sl = (c) => c.slice(i, i + BATCH);
    await rm.query(
      `INSERT INTO appointments (org_id, status, starts_at, ends_at, blocked_until, hold_expires_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                            $5::timestamptz[], $6::timestamptz[])`,
      [sl(cols.org), sl(cols.status), sl(cols.starts), sl(cols.ends), sl(cols.blocked), sl(cols.hold)]);
  }
  await rm.query('UPDATE organizations SET reminders_enabled = false WHERE id = ANY($1::uuid[])', [[...ids.values()]]);
  await rm.query('COMMIT');
  await rm.query('ANALYZE appointments');
  const sqlMs = Date.now() - t1;
  console.log(`SEEDLEGACY tenants=${ids.size} numbers=${numRows.length} baseline_rows=${appts.length} ` +
    `blocking=${blocking} booked_rows=${booked} other_rows=${cols.org.length - booked} ` +
    `api_ms=${apiMs} sql_ms=${sqlMs}`);
  await base.end();
  await rm.end();
}

main().catch((err) => { console.error(err); process.exit(1); });
