'use strict';
// bench/run.sh, target 2: do the Express baseline and ringmaster give the same answers? Sends the
// same legacy calendar-check bodies (a seeded number, one of calendar-check.lua's dates) to both
// and compares the slot lists: Express's toolResult.content.availableSlots with ringmaster's
// toolResult.content.slots (the field names differ; ../shared/bench/baseline-express/check.js
// expects availableSlots, so it cannot check ringmaster as is). Mismatches are reported, split
// into past dates (ringmaster never offers a start before now; the baseline does) and the rest.
// Env: EXPRESS_URL, RM_URL, VAPI_SECRET; argument: samples (default 300).
// Prints: COMPARE samples= same= differ= differ_past= differ_other= failed= ; the first few
// mismatches go to stderr.
const SAMPLES = Number(process.argv[2] || 300);
const DATES = ['2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-30',
  '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-07', '2026-12-08'];

async function slots(base, phone, date, secret) {
  const r = await fetch(`${base}/api/vapi/tools/calendar/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { 'x-vapi-secret': secret } : {}) },
    body: JSON.stringify({ toolCall: { arguments: { inboundPhoneNumber: phone, date } } }),
  });
  const body = await r.json();
  const c = JSON.parse(body.toolResult.content);
  return { status: r.status, success: c.success, slots: c.availableSlots ?? c.slots };
}

async function main() {
  const today = new Date().toISOString().slice(0, 10);
  let seed = 11;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const out = { same: 0, differ: 0, differ_past: 0, differ_other: 0, failed: 0 };
  let shown = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const phone = `+1212555${String(rnd(2000)).padStart(4, '0')}`;
    const date = DATES[rnd(DATES.length)];
    let a, b;
    try {
      [a, b] = await Promise.all([slots(process.env.EXPRESS_URL, phone, date, ''),
        slots(process.env.RM_URL, phone, date, process.env.VAPI_SECRET)]);
    } catch (e) {
      out.failed++;
      if (shown++ < 5) console.error(`failed ${phone} ${date}: ${e.message}`);
      continue;
    }
    if (a.status === b.status && a.success === b.success && JSON.stringify(a.slots) === JSON.stringify(b.slots)) {
      out.same++;
      continue;
    }
    out.differ++;
    if (date <= today) out.differ_past++; else out.differ_other++;
    if (date > today || shown < 3) {
      if (shown++ < 8) console.error(`differ ${phone} ${date}\n  express    ${a.status} ${JSON.stringify(a.slots)}\n  ringmaster ${b.status} ${JSON.stringify(b.slots)}`);
    }
  }
  console.log(`COMPARE samples=${SAMPLES} same=${out.same} differ=${out.differ} ` +
    `differ_past=${out.differ_past} differ_other=${out.differ_other} failed=${out.failed}`);
}

main().catch((err) => { console.error(err); process.exit(1); });
