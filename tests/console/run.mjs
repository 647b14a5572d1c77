// End-to-end tests of the console (issue 15) in headless Chromium (Debian's /usr/bin/chromium
// driven by playwright-core) against a real ringmaster, PostgreSQL and the fake Twilio
// (env.mjs). CTest runs it as console_browser. Every page is checked with axe-core (no serious or
// critical violation) and for JavaScript errors (console errors, uncaught exceptions, CSP
// violations), and screenshotted into $RM_CONSOLE_ARTIFACTS. Prints "N passed, N failed".
// Env: RINGMASTER_BIN, RM_FAKE_TWILIO_BIN, RINGMASTER_TEST_DATABASE_URL, RM_CONSOLE_ARTIFACTS,
//      RM_CHROMIUM (default /usr/bin/chromium), RM_SHARED_DIR; argv: scenario names to run only those.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { startWorld, http, jwt, vapi, toolCall, weekdayAhead, callSpec, statusUpdate, endOfCallReport, eventually,
         OPERATOR_TOKEN } from './env.mjs';
import { scenarios } from './scenarios.mjs';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const artifacts = process.env.RM_CONSOLE_ARTIFACTS || path.resolve('console-artifacts');
const only = process.argv.slice(2);

const results = [];
let world;
let browser;
try {
  world = await startWorld(artifacts);
  browser = await chromium.launch({ executablePath: process.env.RM_CHROMIUM || '/usr/bin/chromium',
                                    args: ['--no-sandbox'] });
  const ctx = await seed(world);
  for (const [name, fn] of scenarios) {
    if (only.length && !only.includes(name)) continue;
    const t0 = Date.now();
    const h = await harness(browser, ctx, name);
    try {
      await fn(h);
      await h.finish();
      results.push([name, null]);
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push([name, e]);
      console.log(`FAIL ${name}: ${e && e.stack || e}`);
      await h.page.screenshot({ path: path.join(artifacts, 'FAILED-' + name + '.png'), fullPage: true }).catch(() => {});
    } finally {
      await h.context.close().catch(() => {});
    }
  }
} catch (e) {
  results.push(['setup', e]);
  console.log('FAIL setup: ' + (e && e.stack || e));
} finally {
  if (browser) await browser.close().catch(() => {});
  if (world) await world.stop();
}
const failed = results.filter(([, e]) => e).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
if (failed && world) console.log('ringmaster log: ' + world.rmLog);
process.exit(failed || !results.length ? 1 : 0);

// Two clinics, each with a Twilio account at the fake; clinic A has a scored call whose
// transcript holds markup, clinic B a call of its own.
async function seed(w) {
  const clinics = {
    a: { name: 'Harbor Dental', number: '+14155550100', vapiId: 'c41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e80', account: w.accounts.a },
    b: { name: 'Other Clinic', number: '+14155550111', vapiId: '0b7c2d3e-4f50-4a61-8b72-9c8d0e1f2a3b', account: w.accounts.b },
  };
  for (const c of Object.values(clinics)) {
    const r = await http(w.base, 'POST', '/ops/tenants', { token: OPERATOR_TOKEN, body: {
      name: c.name, time_zone: 'America/New_York',
      numbers: [{ e164: c.number, vapi_phone_number_id: c.vapiId }],
      assistant_id: '7d2f9a10-6c4b-4e8a-a1d3-2b5c8e0f9a64',
      twilio: { account_sid: c.account.sid, auth_token: c.account.token } } });
    if (r.status !== 201) throw new Error('POST /ops/tenants ' + r.status + ' ' + r.text);
    c.id = r.json.id;
    c.admin = jwt({ org: c.id, role: 'admin' });
  }
  const xss = '<img src=x onerror=alert(1)>';
  const transcriptA = 'AI: Thanks for calling Harbor Dental.\nUser: I would like botox please. ' + xss +
                      '\nAI: Of course, we will call you back.\n';
  const callA = await fullCall(w, clinics.a, '+14155550177', transcriptA, 'Caller asked about botox ' + xss, true);
  const callB = await fullCall(w, clinics.b, '+14155550188', 'User: OTHER-CLINIC-ONLY transcript\n', 'OTHER-CLINIC-ONLY');
  return { w, clinics, callA, callB, xss };
}

async function fullCall(w, clinic, caller, transcript, summary, book = false) {
  const call = callSpec(clinic, caller);
  await vapi(w, statusUpdate(call, 'ringing'));
  await vapi(w, statusUpdate(call, 'in-progress'));
  if (book) {  // an appointment at 10:00 on a weekday of the week ahead, for Ada
    const hold = await toolCall(w, call, call.id + '-hold', 'reserve_slot', { start: weekdayAhead() + 'T10:00' });
    await toolCall(w, call, call.id + '-book', 'book_appointment', { hold_id: hold.hold_id, name: 'Ada Lovelace' });
  }
  await vapi(w, statusUpdate(call, 'ended', 'customer-ended-call'));
  await vapi(w, endOfCallReport(call, transcript, summary));
  await eventually(async () => {
    const r = await http(w.base, 'GET', '/api/calls/' + call.id, { token: clinic.admin });
    return r.status === 200 && r.json.state === 'scored';
  }, { what: 'call ' + call.id + ' to be scored' });
  return call;
}

// What each scenario gets: a fresh browser context (its own sessionStorage), the page, the seeded
// world, and checks that every page visited is free of JavaScript errors and serious axe findings.
async function harness(browser, ctx, scenario) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  const dialogs = [];
  // Failed loads are reported with their URL (the console message alone does not name it).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.request().method() + ' ' + r.url()); });
  page.on('requestfailed', (r) => {
    const why = r.failure() && r.failure().errorText;
    if (why !== 'net::ERR_ABORTED') errors.push('request failed: ' + r.url() + ' ' + why);
  });
  page.on('pageerror', (e) => errors.push('uncaught: ' + e.message));
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  const h = {
    ...ctx, page, context, errors, dialogs, base: ctx.w.base,
    async open(hash = '') { await page.goto(ctx.w.base + '/console/' + hash); },
    async signIn(token) {
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
    },
    // axe-core on the current page (serious and critical violations fail), JavaScript errors so
    // far, and a full-page screenshot named after the page.
    async checkPage(name) {
      await page.evaluate(AXE);
      const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      if (bad.length)
        throw new Error('axe on ' + name + ': ' + bad.map((v) => v.id + ' (' + v.impact + '): ' +
          v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')).join(' | '));
      if (errors.length) throw new Error('JavaScript errors on ' + name + ': ' + errors.join(' | '));
      await page.screenshot({ path: path.join(artifacts, name + '.png'), fullPage: true });
    },
    async finish() {
      if (errors.length) throw new Error('JavaScript errors: ' + errors.join(' | '));
      if (dialogs.length) throw new Error('dialogs opened: ' + dialogs.join(' | '));
    },
  };
  return h;
}
