// The dashboard actions of a call (docs/api.md "Dashboard actions"): Send follow-up (SMS to the
// caller), Share recording (e-mailed link), Export transcript (.txt download), Send reminder (of
// the call's booked appointment). Each opens a small form where it needs input.
import { html, useState } from '../lib.js';
import { api, session } from '../api.js';
import { Field, ErrorNotice, Notice, useAction, when } from '../ui.js';

const path = (id, tail) => '/api/calls-dashboard/' + encodeURIComponent(id) + tail;

export function Actions({ call, onDone }) {
  const [open, setOpen] = useState(null);
  const toggle = (name) => setOpen(open === name ? null : name);
  const button = (name, label) => html`<button type="button" aria-expanded=${open === name}
      aria-controls=${'action-' + name} onClick=${() => toggle(name)}>${label}</button>`;
  return html`<div class="actions">
    <div class="button-row" role="group" aria-label="Actions">
      ${button('followup', 'Send follow-up')}${button('share', 'Share recording')}
      ${button('export', 'Export transcript')}${button('reminder', 'Send reminder')}
    </div>
    ${open === 'followup' ? html`<${FollowUp} call=${call} onDone=${onDone} />` : null}
    ${open === 'share' ? html`<${Share} call=${call} />` : null}
    ${open === 'export' ? html`<${Export} call=${call} />` : null}
    ${open === 'reminder' ? html`<${Reminder} call=${call} />` : null}
  </div>`;
}

function FollowUp({ call, onDone }) {
  const [message, setMessage] = useState('');
  const act = useAction();
  async function submit(e) {
    e.preventDefault();
    const r = await act.run(() => api('POST', path(call.id, '/followup'), { message }));
    if (r) { setMessage(''); onDone && onDone(); }
  }
  return html`<form id="action-followup" class="card" onSubmit=${submit}>
    <h2>Send follow-up</h2>
    <${Field} id="followup-message" label="Message" hint=${message.length + ' of 160 characters; sent by SMS to the caller.'}>
      <textarea id="followup-message" maxlength="160" rows="3" required aria-describedby="followup-message-hint"
                value=${message} onInput=${(e) => setMessage(e.target.value)}></textarea>
    <//>
    <button type="submit" disabled=${act.busy}>Send</button>
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Follow-up sent to ${act.result.phone}.<//>` : null}
  </form>`;
}

function Share({ call }) {
  const [email, setEmail] = useState('');
  const act = useAction();
  const submit = (e) => { e.preventDefault(); act.run(() => api('POST', path(call.id, '/share'), { email })); };
  return html`<form id="action-share" class="card" onSubmit=${submit}>
    <h2>Share recording</h2>
    <p class="muted">E-mails a link to the recording, valid for 24 hours.</p>
    <${Field} id="share-email" label="E-mail address">
      <input id="share-email" type="email" required autocomplete="email" value=${email}
             onInput=${(e) => setEmail(e.target.value)} />
    <//>
    <button type="submit" disabled=${act.busy}>Send link</button>
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Link sent to ${act.result.email}; it expires ${when(act.result.expires_at)}.<//>` : null}
  </form>`;
}

function Export({ call }) {
  const act = useAction();
  async function download() {
    const res = await fetch(path(call.id, '/transcript/export'), {
      method: 'POST', cache: 'no-store', credentials: 'omit',
      headers: { Authorization: 'Bearer ' + session.token(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ format: 'txt' }),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      const err = new Error((body.error && body.error.message) || 'HTTP ' + res.status);
      throw err;
    }
    const text = await res.text();
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'call-' + String(call.id).replace(/[^A-Za-z0-9._-]/g, '_') + '-transcript.txt';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return { chars: text.length };
  }
  return html`<div id="action-export" class="card">
    <h2>Export transcript</h2>
    <p class="muted">Downloads the redacted transcript as a text file.</p>
    <button type="button" disabled=${act.busy} onClick=${() => act.run(download)}>Download .txt</button>
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Transcript exported (${act.result.chars} characters).<//>` : null}
  </div>`;
}

function Reminder({ call }) {
  const booked = (call.appointments || []).filter((a) => a.status === 'booked');
  const [appointment, setAppointment] = useState(booked.length ? booked[0].id : '');
  const [method, setMethod] = useState('sms');
  const act = useAction();
  if (!booked.length)
    return html`<div id="action-reminder" class="card"><h2>Send reminder</h2>
      <p>This call has no booked appointment to remind the caller of.</p></div>`;
  const submit = (e) => {
    e.preventDefault();
    act.run(() => api('POST', '/api/appointments/' + encodeURIComponent(appointment) + '/send-reminder', { method }));
  };
  return html`<form id="action-reminder" class="card" onSubmit=${submit}>
    <h2>Send reminder</h2>
    <${Field} id="reminder-appointment" label="Appointment">
      <select id="reminder-appointment" value=${appointment} onChange=${(e) => setAppointment(e.target.value)}>
        ${booked.map((a) => html`<option value=${a.id}>${when(a.start)}</option>`)}
      </select>
    <//>
    <fieldset><legend>Send by</legend>
      <label class="inline"><input type="radio" name="reminder-method" value="sms" checked=${method === 'sms'}
        onChange=${() => setMethod('sms')} /> SMS</label>
      <label class="inline"><input type="radio" name="reminder-method" value="email" checked=${method === 'email'}
        onChange=${() => setMethod('email')} /> E-mail</label>
    </fieldset>
    <button type="submit" disabled=${act.busy}>Send</button>
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Reminder sent to ${act.result.recipient} by ${act.result.method}.<//>` : null}
  </form>`;
}
