// Writes psql scripts for bench/record-cost.sh: `batches` batches of 160 check_availability
// records (16 new calls of 10 reads each, over 1,000 tenants), each a transaction, in one of the
// shapes record-cost.sh compares. The rows are what the tool log stores in the bench's target 1:
// a ~560-byte JSON result (16 slots and the speech line), the date argument, fresh ids.
// Usage: node record-cost.js <shape> <batches> > file.sql
//   shape: function (rm_log_tool_calls), new-rows (rm_log_new_tool_calls), copy (COPY into
//   calls and tool_invocations: needs a role that bypasses RLS), copy-bare (COPY into
//   bare_records, a table with only the primary key: no calls, no foreign key, no RLS)
'use strict';
const [shape, batchesArg] = process.argv.slice(2);
const batches = Number(batchesArg || 500);
const per = 160, callsPer = 16;
const org = (i) => `00000000-0000-0000-0000-${String(i % 1000 + 1).padStart(12, '0')}`;
const slots = [];
for (let k = 0; k < 16; k++)
  slots.push(`2030-01-15T${String(9 + (k >> 1)).padStart(2, '0')}:${k % 2 ? '30' : '00'}:00-05:00`);
const result = JSON.stringify({
  date: '2030-01-15', time_zone: 'America/New_York', slots,
  speech: 'On Tuesday, January 15 I have 9 AM, 9:30 AM, 10 AM, 10:30 AM, 11 AM and 11 more ' +
          'times between 11:30 AM and 4:30 PM.'});
const args = '{"date":"2030-01-15"}';
const q = (s) => `'${s.replace(/'/g, "''")}'`;
const out = [];
const flush = () => { process.stdout.write(out.join('\n') + '\n'); out.length = 0; };
let n = 0;
for (let b = 0; b < batches; b++) {
  const calls = [];
  for (let i = 0; i < callsPer; i++) calls.push(b * callsPer + i + 1);
  const rows = [];
  for (let i = 0; i < per; i++) {
    const c = calls[Math.floor(i / (per / callsPer))];
    rows.push([`cost-c${c}`, `tc-${++n}`, org(c)]);
  }
  if (shape === 'function' || shape === 'new-rows') {
    const fn = shape === 'function' ? 'rm_log_tool_calls' : 'rm_log_new_tool_calls';
    const arr = (xs, cast) => `ARRAY[${xs.join(',')}]${cast || ''}`;
    out.push(`SELECT count(*) FROM ${fn}(${[
      arr(rows.map((r) => q(r[0]))), arr(rows.map((r) => q(r[1]))),
      arr(rows.map((r) => q(r[2])), '::uuid[]'), arr(rows.map(() => "'check_availability'")),
      arr(rows.map(() => q(args)), '::jsonb[]'), arr(rows.map(() => q(result))),
      arr(rows.map(() => 'false'), '::boolean[]'),
      arr(calls.map((c) => q(`cost-c${c}`))), arr(calls.map((c) => q(org(c))), '::uuid[]'),
      arr(calls.map(() => "'inbound'")), arr(calls.map(() => "'+14155550177'")),
      arr(calls.map(() => "'+12122000001'")), arr(calls.map(() => 'NULL'), '::text[]')].join(', ')});`);
  } else if (shape === 'copy' || shape === 'copy-bare') {
    out.push('BEGIN;');
    if (shape === 'copy') {
      out.push('COPY calls (id, org_id, direction, caller, dialled) FROM STDIN;');
      for (const c of calls) out.push(`cost-c${c}\t${org(c)}\tinbound\t+14155550177\t+12122000001`);
      out.push('\\.');
    }
    out.push(`COPY ${shape === 'copy' ? 'tool_invocations' : 'bare_records'} (call_id, ` +
             'tool_call_id, org_id, name, arguments, result, is_error, completed_at) FROM STDIN;');
    for (const r of rows)  // the result holds no tab, newline or backslash
      out.push(`${r[0]}\t${r[1]}\t${r[2]}\tcheck_availability\t${args}\t${result}\tf\t` +
               '2026-12-05 22:00:00+00');
    out.push('\\.', 'COMMIT;');
  } else {
    throw new Error(`unknown shape ${shape}`);
  }
  if (out.length > 1000) flush();
}
flush();
