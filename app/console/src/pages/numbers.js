// The clinic's numbers (GET /api/phone-numbers): buy one by area code (POST /api/phone-numbers),
// release one (DELETE /api/phone-numbers/{id}, confirmed in place); and the Twilio connection's
// status (GET /api/integrations/twilio).
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { Page, Table, Loading, Tag, Field, ErrorNotice, Notice, useGet, useAction, when } from '../ui.js';

export function Numbers({ who }) {
  const twilio = useGet('/api/integrations/twilio');
  const numbers = useGet('/api/phone-numbers');
  const [area, setArea] = useState('');
  const [confirming, setConfirming] = useState(null);
  const buy = useAction();
  const release = useAction();
  const t = twilio.data;
  const list = (numbers.data && numbers.data.phone_numbers) || [];
  const orders = (numbers.data && numbers.data.orders) || [];
  const admin = who.role === 'admin';
  async function submit(e) {
    e.preventDefault();
    const r = await buy.run(() => api('POST', '/api/phone-numbers', { area_code: area }));
    if (r) { setArea(''); numbers.reload(); }
  }
  async function doRelease(n) {
    const r = await release.run(() => api('DELETE', '/api/phone-numbers/' + encodeURIComponent(n.id)));
    setConfirming(null);
    if (r) numbers.reload();
  }
  return html`<${Page} title="Numbers">
    <h2>Twilio connection</h2>
    <${Loading} state=${twilio} />
    ${t ? (t.connected ? html`<p class="status-line"><${Tag} value="connected" kind="ok" />
          Account ${t.account_sid}${t.friendly_name ? ' (' + t.friendly_name + ')' : ''}; Vapi sync: ${t.vapi_sync || '—'}.</p>`
        : html`<p class="status-line"><${Tag} value="not connected" kind="bad" /> Connect the clinic's Twilio account to buy numbers.</p>`) : null}
    <h2>Numbers</h2>
    ${numbers.error ? html`<${ErrorNotice} error=${numbers.error} />` : html`<${Loading} state=${numbers} />`}
    <${ErrorNotice} error=${release.error} />
    ${release.result ? html`<${Notice}>Released ${release.result.number && release.result.number.phone_number}; it stays in quarantine for a while.<//>` : null}
    <${Table} label="Phone numbers" head=${['Number', 'Label', 'Status', 'Source', 'Since', '']}
              empty=${numbers.data && !list.length ? 'No numbers yet.' : null}>
      ${list.map((n) => html`<tr key=${n.id}>
        <td>${n.phone_number}</td><td>${n.label || '—'}</td>
        <td><${Tag} value=${n.status} /></td><td>${n.source}</td><td>${when(n.created_at)}</td>
        <td>${admin && n.is_active ? (confirming === n.id
          ? html`<span class="confirm">Release ${n.phone_number}?
              <button type="button" class="danger" disabled=${release.busy} onClick=${() => doRelease(n)}>Yes, release</button>
              <button type="button" class="secondary" onClick=${() => setConfirming(null)}>Keep it</button></span>`
          : html`<button type="button" class="secondary" aria-label=${'Release ' + n.phone_number}
              onClick=${() => { release.reset(); setConfirming(n.id); }}>Release</button>`) : null}</td>
      </tr>`)}
    <//>
    ${orders.length ? html`<p class="muted">Orders in progress: ${orders.map((o) => o.state + (o.phone_number ? ' ' + o.phone_number : '')).join(', ')}</p>` : null}
    <h2>Buy a number</h2>
    ${admin ? html`<form class="card inline-form" onSubmit=${submit}>
      <${Field} id="area-code" label="Area code" hint="Three digits, e.g. 415.">
        <input id="area-code" inputmode="numeric" pattern="[2-9][0-9]{2}" maxlength="3" required
               aria-describedby="area-code-hint" value=${area} onInput=${(e) => setArea(e.target.value)} />
      <//>
      <button type="submit" disabled=${buy.busy}>Buy a number</button>
      <${ErrorNotice} error=${buy.error} />
      ${buy.result ? html`<${Notice}>${buy.result.number ? 'Bought ' + buy.result.number.phone_number + '.' : buy.result.message}<//>` : null}
    </form>` : html`<p class="muted">Buying and releasing numbers needs the admin role.</p>`}
  <//>`;
}
