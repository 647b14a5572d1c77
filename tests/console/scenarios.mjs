// The console's scenarios (run.mjs runs them in order; each gets a fresh browser context).
import assert from 'node:assert/strict';
import { http, vapi, callSpec, statusUpdate, eventually, sleep, fakeMessages, OPERATOR_TOKEN } from './env.mjs';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
            "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const scenarios = [
  ['headers', async (h) => {
    const redirect = await http(h.base, 'GET', '/console');
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), '/console/');
    for (const [p, status, type] of [['/console/', 200, 'text/html; charset=utf-8'],
                                     ['/console/main.js', 200, 'text/javascript; charset=utf-8'],
                                     ['/console/vendor/preact.js', 200, 'text/javascript; charset=utf-8'],
                                     ['/console/app.css', 200, 'text/css; charset=utf-8'],
                                     ['/console/nothing-here.js', 404, null]]) {
      const r = await http(h.base, 'GET', p);
      assert.equal(r.status, status, p);
      if (type) assert.equal(r.headers.get('content-type'), type, p);
      assert.equal(r.headers.get('content-security-policy'), CSP, p);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer', p);
      assert.ok(r.headers.get('cache-control'), p);
    }
    const index = await http(h.base, 'GET', '/console/');
    assert.doesNotMatch(index.text, /<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script or style');
    const again = await fetch(h.base + '/console/main.js', { headers: { 'If-None-Match': index.headers.get('etag') } });
    assert.equal(again.status, 200, 'another file\'s ETag does not match');
  }],

  ['sign-in', async (h) => {
    await h.open();
    await h.checkPage('sign-in');
    await h.page.getByLabel('Token').fill('not-a-valid-token-at-all');
    await h.page.getByRole('button', { name: 'Sign in' }).click();
    await h.page.getByText('The server refused this token.').waitFor();
    h.errors.length = 0;  // the refused sign-in's 401 is logged by the browser, as it should be
    await h.signIn(h.clinics.a.admin);
    assert.equal(await h.page.evaluate(() => document.cookie), '');
    assert.ok(!h.page.url().includes(h.clinics.a.admin.slice(0, 20)), 'token never in the URL');
    assert.equal(await h.page.evaluate(() => Object.keys(sessionStorage).length), 1);
    await h.page.getByRole('button', { name: 'Sign out' }).click();
    await h.page.getByLabel('Token').waitFor();
    assert.equal(await h.page.evaluate(() => Object.keys(sessionStorage).length), 0);
  }],

  ['operator-live', async (h) => {
    await h.open();
    await h.signIn(OPERATOR_TOKEN);
    await h.page.getByRole('heading', { name: 'Live calls' }).waitFor();
    await h.page.locator('.live-status[data-status="live"]').waitFor({ timeout: 10000 });
    const call = callSpec(h.clinics.a, '+14155550166');
    const row = h.page.locator(`tr[data-call="${call.id}"]`);
    const t0 = Date.now();
    await vapi(h.w, statusUpdate(call, 'ringing'));
    await row.waitFor({ timeout: 1000 });
    const appeared = Date.now() - t0;
    assert.ok(appeared <= 1000, 'appeared after ' + appeared + ' ms');
    await row.getByText('Harbor Dental').waitFor({ timeout: 2000 });
    await row.getByText('…0166').waitFor({ timeout: 1000 });
    await row.locator('.tag[data-value="ringing"]').waitFor({ timeout: 1000 });
    await vapi(h.w, statusUpdate(call, 'in-progress'));
    await row.locator('.tag[data-value="in-progress"]').waitFor({ timeout: 1000 });
    await sleep(1200);  // the duration ticks while the call goes on
    assert.notEqual((await row.locator('td').nth(3).textContent()).trim(), '0:00');
    await h.checkPage('operator-live-calls');
    await vapi(h.w, statusUpdate(call, 'ended', 'customer-ended-call'));
    await row.locator('.tag[data-value="ended"]').waitFor({ timeout: 1000 });
  }],

  ['operator-tenants-verifications', async (h) => {
    await h.open();
    await h.signIn(OPERATOR_TOKEN);
    await h.page.getByRole('link', { name: 'Tenants' }).click();
    await h.page.getByRole('cell', { name: /Other Clinic/ }).waitFor();
    await h.page.locator('.tag[data-value="closed"]').first().waitFor();
    await h.checkPage('operator-tenants');
    // A verification in progress (clinic B's): listed with the number's last four digits, never
    // its code.
    const mobile = '+14155550134';
    const started = await http(h.base, 'POST', '/api/telephony/verify-caller-id/initiate',
                               { token: h.clinics.b.admin, body: { phoneNumber: mobile, channel: 'sms' } });
    assert.equal(started.status, 200, started.text);
    const code = await eventually(async () => {
      const m = (await fakeMessages(h.w)).filter((x) => x.to === mobile).pop();
      return m && /\b(\d{6})\b/.exec(m.body)[1];
    }, { what: 'the verification SMS' });
    await h.page.getByRole('link', { name: 'Verifications' }).click();
    await h.page.getByRole('heading', { name: 'Verification sessions' }).waitFor();
    const row = h.page.getByRole('row').filter({ hasText: started.json.verificationId });
    await row.getByText('…0134').waitFor();
    await row.getByText('pending').waitFor();
    assert.ok(!(await h.page.content()).includes(code), 'a verification code is shown');
    await h.checkPage('operator-verifications');
  }],

  ['clinic-calls', async (h) => {
    await h.open();
    await h.signIn(h.clinics.a.admin);
    await h.page.getByRole('heading', { name: 'Calls' }).waitFor();
    const mine = h.page.locator(`tr[data-call="${h.callA.id}"]`);
    await mine.waitFor();
    await mine.locator('.tag[data-value="scored"]').waitFor();
    await mine.locator('.tag[data-value="hot"], .tag[data-value="warm"], .tag[data-value="cold"]').waitFor();
    assert.equal(await h.page.locator(`tr[data-call="${h.callB.id}"]`).count(), 0, "another clinic's call is listed");
    assert.ok(!(await h.page.content()).includes('+14155550188'), "another clinic's caller is shown");
    // Live: this clinic's new call appears within a second; the other clinic's never does.
    await h.page.locator('.live-status[data-status="live"]').waitFor({ timeout: 10000 });
    const other = callSpec(h.clinics.b, '+14155550199');
    const ours = callSpec(h.clinics.a, '+14155550155');
    await vapi(h.w, statusUpdate(other, 'ringing'));
    await vapi(h.w, statusUpdate(ours, 'ringing'));
    await h.page.locator(`tr[data-call="${ours.id}"]`).waitFor({ timeout: 1000 });
    await h.page.locator(`tr[data-call="${ours.id}"] .tag[data-value="ringing"]`).waitFor({ timeout: 1000 });
    await sleep(1500);
    assert.equal(await h.page.locator(`tr[data-call="${other.id}"]`).count(), 0, "another clinic's live call appeared");
    await h.checkPage('clinic-calls');
  }],

  ['clinic-call-page-and-follow-up', async (h) => {
    await h.open('#/calls/' + h.callA.id);
    await h.signIn(h.clinics.a.admin);
    const transcript = h.page.locator('pre.transcript');
    await transcript.waitFor();
    // Markup in the transcript is text: the literal is visible, no element was made, nothing ran.
    assert.ok((await transcript.textContent()).includes(h.xss), 'the transcript shows the markup as text');
    await h.page.getByText(h.xss).first().waitFor();
    assert.equal(await h.page.locator('main img').count(), 0);
    await sleep(300);
    assert.deepEqual(h.dialogs, []);
    assert.ok(await h.page.getByText('Recording', { exact: true }).isVisible());
    await h.page.getByRole('list').filter({ hasText: 'report' }).waitFor();
    for (const name of ['Send follow-up', 'Share recording', 'Export transcript', 'Send reminder'])
      await h.page.getByRole('button', { name }).waitFor();
    // Export transcript: the browser downloads the redacted transcript.
    await h.page.getByRole('button', { name: 'Export transcript' }).click();
    const [download] = await Promise.all([h.page.waitForEvent('download'),
                                          h.page.getByRole('button', { name: 'Download .txt' }).click()]);
    assert.match(download.suggestedFilename(), /^call-.*-transcript\.txt$/);
    const exported = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
    assert.ok(exported.includes(h.xss), 'the export is the stored transcript');
    await h.page.getByText(/Transcript exported/).waitFor();
    // Send reminder: an SMS about the call's booked appointment.
    await h.page.getByRole('button', { name: 'Send reminder' }).click();
    await h.page.getByRole('button', { name: 'Send', exact: true }).click();
    await h.page.getByText('Reminder sent to +14155550177 by sms.').waitFor();
    await h.page.getByRole('button', { name: 'Send reminder' }).click();  // closes it
    await h.checkPage('clinic-call');
    const before = (await fakeMessages(h.w)).length;
    await h.page.getByRole('button', { name: 'Send follow-up' }).click();
    const text = 'Hi from Harbor Dental: we can see you Tuesday at 2 PM. ' + Date.now();
    await h.page.getByLabel('Message').fill(text);
    await h.page.getByRole('button', { name: 'Send', exact: true }).click();
    await h.page.getByText('Follow-up sent to +14155550177.').waitFor();
    const sms = await eventually(async () => {
      const messages = await fakeMessages(h.w);
      return messages.length > before && messages.find((m) => m.body === text);
    }, { what: 'the follow-up at the fake Twilio' });
    assert.equal(sms.to, '+14155550177');
    await h.checkPage('clinic-call-follow-up');
  }],

  ['clinic-pages', async (h) => {
    await h.open();
    await h.signIn(h.clinics.a.admin);
    await h.page.getByRole('link', { name: 'Leads' }).click();
    await h.page.getByText('+14155550177').waitFor();
    await h.page.locator('.stats dd').first().waitFor();
    await h.checkPage('clinic-leads');
    await h.page.getByRole('link', { name: 'Appointments' }).click();
    const booked = h.page.getByRole('row').filter({ hasText: 'Ada Lovelace' });
    await booked.locator('.tag[data-value="booked"]').waitFor();
    await h.checkPage('clinic-appointments');
    await booked.getByRole('button', { name: /^Cancel the appointment/ }).click();
    await booked.getByRole('button', { name: 'Yes, cancel' }).click();
    await h.page.getByText('Appointment cancelled; the slot is free again.').waitFor();
    await booked.locator('.tag[data-value="cancelled"]').waitFor();
    await h.page.getByRole('link', { name: 'Numbers' }).click();
    await h.page.getByText('+14155550100').first().waitFor();
    await h.page.locator('.tag[data-value="connected"]').waitFor();
    await h.checkPage('clinic-numbers');
    await h.page.getByRole('link', { name: 'Settings' }).click();
    await h.page.getByLabel('Slot length (minutes)').waitFor();
    await h.page.getByLabel('Alert phone').fill('(415) 555-0142');
    await h.page.getByRole('button', { name: 'Save settings' }).click();
    await h.page.getByText('Settings saved.').waitFor();
    const s = await http(h.base, 'GET', '/api/org/settings', { token: h.clinics.a.admin });
    assert.equal(s.json.alert_phone, '+14155550142');
    await h.page.getByRole('cell', { name: 'Botox', exact: true }).waitFor();
    await h.page.getByLabel('Name', { exact: true }).fill('Teeth Whitening');
    await h.page.getByLabel('Price (USD)', { exact: true }).fill('299.99');
    await h.page.getByLabel('Keywords', { exact: true }).fill('whitening, bleach');
    await h.page.getByRole('button', { name: 'Add service' }).click();
    await h.page.getByRole('cell', { name: 'Teeth Whitening', exact: true }).waitFor();
    await h.page.getByRole('cell', { name: 'whitening, bleach' }).waitFor();
    await h.checkPage('clinic-settings');
  }],

  ['wizard', async (h) => {
    await h.open('#/caller-id');
    await h.signIn(h.clinics.a.admin);
    const mobile = '+14155550123';
    await h.page.getByLabel('Mobile number').fill(mobile);
    await h.checkPage('wizard-1-number');
    await h.page.getByRole('button', { name: 'Send code' }).click();
    await h.page.getByLabel('Code', { exact: true }).waitFor();
    const code = await eventually(async () => {
      const messages = await fakeMessages(h.w);
      const m = messages.filter((x) => x.to === mobile).pop();
      return m && /\b(\d{6})\b/.exec(m.body)[1];
    }, { what: 'the verification SMS at the fake Twilio' });
    await h.checkPage('wizard-2-code');
    await h.page.getByLabel('Code', { exact: true }).fill(code);
    await h.page.getByRole('button', { name: 'Verify' }).click();
    await h.page.getByLabel('Carrier').selectOption('tmobile');
    await h.page.getByLabel('Every call').check();
    await h.checkPage('wizard-3-carrier');
    await h.page.getByRole('button', { name: 'Get the codes' }).click();
    const dial = h.page.getByTestId('activation-code');
    await dial.waitFor();
    assert.equal((await dial.textContent()).trim(), '**21*14155550100#');
    await h.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.base });
    await h.page.getByRole('button', { name: 'Copy code' }).click();
    await h.page.getByText(/Copied \*\*21\*14155550100# to the clipboard|Selected the code/).waitFor();
    await h.checkPage('wizard-4-dial-codes');
    await h.page.getByRole('button', { name: 'I dialled it' }).click();
    await h.page.getByText(/Forwarding is active/).waitFor();
    await h.checkPage('wizard-5-confirmation');
    const r = await http(h.base, 'GET', '/api/telephony/verified-numbers', { token: h.clinics.a.admin });
    assert.ok(r.json.numbers.some((n) => n.phoneNumber === mobile && n.hasForwardingConfig));
  }],

  ['narrow-and-dark', async (h) => {
    await h.page.setViewportSize({ width: 375, height: 812 });
    await h.page.emulateMedia({ colorScheme: 'dark' });
    await h.open('#/calls/' + h.callA.id);
    await h.signIn(h.clinics.a.admin);
    await h.page.locator('pre.transcript').waitFor();
    const overflow = await h.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, 'the page is ' + overflow + ' px wider than 375 px');
    await h.checkPage('clinic-call-375px-dark');
    // Keyboard: Tab reaches the navigation with a visible focus ring.
    await h.page.keyboard.press('Tab');
    await h.page.keyboard.press('Tab');
    const outline = await h.page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'focused element has no outline');
  }],
];
