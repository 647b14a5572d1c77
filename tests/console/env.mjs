// The world the console tests run against: a scratch database on the test PostgreSQL
// (RINGMASTER_TEST_DATABASE_URL, as tests/integration does it), the fake Twilio executable, and a
// real `ringmaster serve`; plus helpers to call its API, mint tenant JWTs and post Vapi webhooks
// built from the shared samples (../shared/contracts/vapi-samples).
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { openSync, readFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const OPERATOR_TOKEN = 'console-test-operator-token-0123456789';
export const JWT_SECRET = 'console-test-jwt-secret-0123456789abcdef';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(name + ' must be set (ctest sets it; scripts/test.sh starts the PostgreSQL)');
  return v;
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function eventually(fn, { timeout = 20000, every = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what + (last ? ': ' + last.message : ''));
    await sleep(every);
  }
}

// Starts the whole service; returns {base, fake, stop(), ...}.
export async function startWorld(artifacts) {
  mkdirSync(artifacts, { recursive: true });
  const children = [];
  const server = need('RINGMASTER_TEST_DATABASE_URL');
  const dbName = 'rm_console_' + process.pid + '_' + Date.now();
  const psql = (sql) => execFileSync('psql', [server, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
  psql(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(server);
  dbUrl.pathname = '/' + dbName;

  const accounts = {
    a: { sid: 'AC' + 'a'.repeat(32), token: 'console-auth-token-a' },
    b: { sid: 'AC' + 'b'.repeat(32), token: 'console-auth-token-b' },
  };
  const fakeLog = path.join(artifacts, 'fake-twilio.log');
  const fake = spawn(need('RM_FAKE_TWILIO_BIN'), ['--port', '0', '--account', accounts.a.sid + ':' + accounts.a.token,
                                                  '--account', accounts.b.sid + ':' + accounts.b.token],
                     { stdio: ['ignore', openSync(fakeLog, 'w'), 'inherit'] });
  children.push(fake);
  const fakeUrl = await eventually(() => {
    const m = /listening on (\d+\.\d+\.\d+\.\d+:\d+)/.exec(readFileSync(fakeLog, 'utf8'));
    return m && 'http://' + m[1];
  }, { what: 'the fake Twilio to start' });

  const port = await freePort();
  const base = 'http://127.0.0.1:' + port;
  const env = { ...process.env,
    DATABASE_URL: dbUrl.toString(), RINGMASTER_APP_DATABASE_URL: '',
    RINGMASTER_LISTEN: '127.0.0.1:' + port, RINGMASTER_PUBLIC_URL: base,
    RINGMASTER_OPERATOR_TOKEN: OPERATOR_TOKEN, RINGMASTER_JWT_SECRET: JWT_SECRET,
    RINGMASTER_VAPI_AUTH: 'none', RINGMASTER_VAPI_SECRET: '', RINGMASTER_VAPI_BEARER_TOKEN: '',
    RINGMASTER_VAPI_HMAC_SECRET: '', RINGMASTER_TWILIO_API_BASE: fakeUrl,
    RINGMASTER_MASTER_KEY: randomBytes(32).toString('base64'), RINGMASTER_MASTER_KEY_FILE: '',
    RINGMASTER_LOG_FORMAT: 'text', RINGMASTER_OUTBOX_POLL_MS: '0',
    // Streams the browser closed are noticed at the next write: keep-alives every 2 s free them soon.
    RINGMASTER_EVENT_KEEPALIVE_MS: '2000' };
  const rmLog = path.join(artifacts, 'ringmaster.log');
  const rm = spawn(need('RINGMASTER_BIN'), ['serve'], { env, stdio: ['ignore', openSync(rmLog, 'w'), openSync(rmLog, 'a')] });
  children.push(rm);
  let exited = false;
  rm.on('exit', () => { exited = true; });
  await eventually(async () => {
    if (exited) throw new Error('ringmaster exited; see ' + rmLog);
    return (await fetch(base + '/readyz')).status === 200;
  }, { timeout: 90000, what: 'ringmaster /readyz' });

  async function stop() {
    for (const c of children.reverse()) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await Promise.race([new Promise((r) => c.once('exit', r)), sleep(15000)]);
        if (c.exitCode === null) c.kill('SIGKILL');
      }
    }
    try { psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); } catch (e) { /* best effort */ }
  }
  return { base, fakeUrl, accounts, stop, rmLog };
}

export async function http(base, method, p, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

const b64url = (b) => Buffer.from(b).toString('base64url');
// An HS256 tenant JWT as ringmaster verifies it (sub, app_metadata.org_id and role, exp).
export function jwt({ org, role = 'admin', sub = 'user-' + role }) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ sub, iat: now, exp: now + 3600, app_metadata: { org_id: org, role } }));
  const sig = createHmac('sha256', JWT_SECRET).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}

const SAMPLES = path.join(process.env.RM_SHARED_DIR || path.resolve(import.meta.dirname, '../../../shared'),
                          'contracts/vapi-samples');
const sample = (name) => JSON.parse(readFileSync(path.join(SAMPLES, name + '.json'), 'utf8'));

// A clinic: its dialled number, Vapi phone-number id and caller for the webhooks below.
export function callSpec(clinic, caller) {
  return { id: randomUUID(), dialled: clinic.number, phoneNumberId: clinic.vapiId, caller };
}
function retarget(m, call) {
  m.call.id = call.id;
  m.call.phoneNumberId = call.phoneNumberId;
  m.call.customer.number = call.caller;
  m.phoneNumber.id = call.phoneNumberId;
  m.phoneNumber.number = call.dialled;
  m.customer.number = call.caller;
}
export function statusUpdate(call, status, endedReason) {
  const body = sample(endedReason ? 'status-update-ended' : 'status-update-ringing');
  retarget(body.message, call);
  body.message.status = status;
  body.message.timestamp = Date.now();
  if (endedReason) body.message.endedReason = endedReason; else delete body.message.endedReason;
  return body;
}
export function endOfCallReport(call, transcript, summary) {
  const body = sample('end-of-call-report');
  const m = body.message;
  retarget(m, call);
  m.timestamp = Date.now();
  m.endedReason = 'customer-ended-call';
  m.transcript = transcript;
  if (m.artifact) m.artifact.transcript = transcript;
  m.summary = summary;
  if (m.analysis) m.analysis.summary = summary;
  return body;
}

export async function vapi(w, body) {
  const r = await http(w.base, 'POST', '/webhooks/vapi', { body });
  if (r.status !== 200) throw new Error('POST /webhooks/vapi ' + r.status + ' ' + r.text);
  return r;
}

// The SMS the fake Twilio accepted, oldest first.
export async function fakeMessages(w) {
  const body = await (await fetch(w.fakeUrl + '/_fake/messages')).json();
  return Array.isArray(body) ? body : body.messages;
}

// A tool-calls message with one tool call (the sample's three shapes: toolCallList, toolCalls with
// JSON-string arguments, toolWithToolCallList); returns the parsed result (throws on an error).
export async function toolCall(w, call, id, name, args) {
  const body = sample('tool-calls-check-availability');
  const m = body.message;
  retarget(m, call);
  const fn = { name, arguments: args };
  const template = m.toolWithToolCallList[0];
  m.toolCallList = [{ id, type: 'function', function: fn }];
  m.toolCalls = [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }];
  m.toolWithToolCallList = [{ ...template, function: { ...template.function, name },
                              toolCall: { id, type: 'function', function: fn } }];
  const r = await vapi(w, body);
  const result = r.json.results[0];
  if (result.result === undefined) throw new Error(name + ': ' + JSON.stringify(result));
  return JSON.parse(result.result);
}

// A weekday at least two days ahead (in New York), as YYYY-MM-DD: always within the week ahead.
export function weekdayAhead() {
  for (let days = 2; ; ++days) {
    const d = new Date(Date.now() + days * 86400000);
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short',
    }).formatToParts(d).map((p) => [p.type, p.value]));
    if (parts.weekday !== 'Sat' && parts.weekday !== 'Sun') return `${parts.year}-${parts.month}-${parts.day}`;
  }
}
