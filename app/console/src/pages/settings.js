// The clinic's settings (GET/PATCH /api/org/settings): opening hours, slot and buffer, the alert
// phone; and its services and prices (/api/services). Changes need the admin role.
import { html, useState, useEffect } from '../lib.js';
import { api } from '../api.js';
import { Page, Field, ErrorNotice, Notice, Loading, useGet, useAction } from '../ui.js';
import { Services } from './services.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
              ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const hoursText = (windows) => (windows || []).map(([a, b]) => a + '-' + b).join(', ');
function parseHours(text) {
  const t = text.trim();
  if (!t) return [];
  return t.split(',').map((w) => w.trim().split(/\s*[-–]\s*/));
}

export function Settings({ who }) {
  const state = useGet('/api/org/settings');
  const [form, setForm] = useState(null);
  const act = useAction();
  const s = state.data;
  useEffect(() => {
    if (!s) return;
    const hours = {};
    for (const [d] of DAYS) hours[d] = hoursText(s.working_hours && s.working_hours[d]);
    setForm({ hours, slot: String(s.slot_minutes), buffer: String(s.buffer_minutes), alert: s.alert_phone || '' });
  }, [s]);
  const set = (k, v) => setForm((f) => ({ ...f, [k]: v }));
  const admin = who.role === 'admin';
  async function submit(e) {
    e.preventDefault();
    const working_hours = {};
    for (const [d] of DAYS) working_hours[d] = parseHours(form.hours[d]);
    const body = { working_hours, slot_minutes: Number(form.slot), buffer_minutes: Number(form.buffer),
                   alert_phone: form.alert.trim() };
    const r = await act.run(() => api('PATCH', '/api/org/settings', body));
    if (r) state.reload();
  }
  return html`<${Page} title="Settings">
    <${Loading} state=${state} />
    ${s && form ? html`<form class="card" onSubmit=${submit}>
      <h2>Opening hours</h2>
      <p class="muted" id="hours-hint">Time zone ${s.time_zone}. Write windows as 09:00-17:00; several with commas
        (09:00-12:00, 13:00-17:00); leave empty when closed.</p>
      <div class="grid">
        ${DAYS.map(([d, label]) => html`<${Field} id=${'hours-' + d} label=${label}>
          <input id=${'hours-' + d} value=${form.hours[d]} aria-describedby="hours-hint" disabled=${!admin}
                 onInput=${(e) => set('hours', { ...form.hours, [d]: e.target.value })} />
        <//>`)}
      </div>
      <h2>Appointments</h2>
      <div class="grid">
        <${Field} id="slot-minutes" label="Slot length (minutes)">
          <input id="slot-minutes" type="number" min="5" max="480" required value=${form.slot} disabled=${!admin}
                 onInput=${(e) => set('slot', e.target.value)} />
        <//>
        <${Field} id="buffer-minutes" label="Buffer after each appointment (minutes)">
          <input id="buffer-minutes" type="number" min="0" max="240" required value=${form.buffer} disabled=${!admin}
                 onInput=${(e) => set('buffer', e.target.value)} />
        <//>
      </div>
      <h2>Alerts</h2>
      <${Field} id="alert-phone" label="Alert phone" hint="Hot leads are texted to this number; leave empty for none.">
        <input id="alert-phone" type="tel" value=${form.alert} aria-describedby="alert-phone-hint" disabled=${!admin}
               onInput=${(e) => set('alert', e.target.value)} />
      <//>
      ${admin ? html`<button type="submit" disabled=${act.busy}>Save settings</button>`
              : html`<p class="muted">Changing settings needs the admin role.</p>`}
      <${ErrorNotice} error=${act.error} />
      ${act.result ? html`<${Notice}>Settings saved.<//>` : null}
    </form>` : null}
    <${Services} admin=${admin} />
  <//>`;
}
