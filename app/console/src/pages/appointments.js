// The week ahead (GET /api/appointments from today to six days on) with cancellation
// (POST /api/appointments/{id}/cancel), confirmed in place.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { Page, Table, Loading, Tag, ErrorNotice, Notice, useGet, useAction, when, dash } from '../ui.js';

const ymd = (d) => d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');

export function Appointments() {
  const today = new Date();
  const end = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 6);
  const state = useGet('/api/appointments?from=' + ymd(today) + '&to=' + ymd(end));
  const [confirming, setConfirming] = useState(null);
  const act = useAction();
  const list = (state.data && state.data.appointments) || [];
  async function cancel(a) {
    const r = await act.run(() => api('POST', '/api/appointments/' + encodeURIComponent(a.id) + '/cancel'));
    setConfirming(null);
    if (r) state.reload();
  }
  return html`<${Page} title="Appointments">
    <p class="muted">The week ahead: ${ymd(today)} to ${ymd(end)}.</p>
    <${Loading} state=${state} />
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Appointment cancelled; the slot is free again.<//>` : null}
    <${Table} label="Appointments this week" head=${['When', 'Name', 'Phone', 'Status', '']}
              empty=${state.data && !list.length ? 'No appointments this week.' : null}>
      ${list.map((a) => html`<tr key=${a.id}>
        <td>${when(a.start)}</td>
        <td>${a.contact_name || html`<span class="muted">unknown</span>`}</td>
        <td>${dash(a.phone_number)}</td>
        <td><${Tag} value=${a.status} /></td>
        <td>${a.status === 'booked' || a.status === 'held' ? (confirming === a.id
          ? html`<span class="confirm">Cancel this appointment?
              <button type="button" class="danger" disabled=${act.busy} onClick=${() => cancel(a)}>Yes, cancel</button>
              <button type="button" class="secondary" onClick=${() => setConfirming(null)}>Keep it</button></span>`
          : html`<button type="button" class="secondary" aria-label=${'Cancel the appointment of ' + when(a.start)}
              onClick=${() => { act.reset(); setConfirming(a.id); }}>Cancel</button>`) : null}</td>
      </tr>`)}
    <//>
  <//>`;
}
