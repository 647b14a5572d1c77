// One call (GET /api/calls/{id}): its scoring, event timeline, redacted transcript, recording
// status, and the four dashboard actions. Re-read when the live stream reports a change to it.
import { html, useRef } from '../lib.js';
import { Page, Loading, LiveBadge, Tag, useGet, useLive, money, when, duration, dash } from '../ui.js';
import { Actions } from './actions.js';

export function CallPage({ id }) {
  const state = useGet('/api/calls/' + encodeURIComponent(id));
  const timer = useRef(null);
  const status = useLive('/api/events', (e) => {
    if (e.call_id !== id) return;
    clearTimeout(timer.current);
    timer.current = setTimeout(state.reload, 300);
  }, state.reload);
  const c = state.data;
  return html`<${Page} title="Call" actions=${html`<${LiveBadge} status=${status} />`}>
    <p><a href="#/calls">← All calls</a></p>
    <${Loading} state=${state} />
    ${c ? html`
      <dl class="facts">
        <div><dt>Caller</dt><dd>${dash(c.caller)}</dd></div>
        <div><dt>Dialled</dt><dd>${dash(c.dialled)}</dd></div>
        <div><dt>Started</dt><dd>${when(c.started_at || c.created_at)}</dd></div>
        <div><dt>Duration</dt><dd>${duration(c.duration_seconds)}</dd></div>
        <div><dt>State</dt><dd><${Tag} value=${c.state} kind="state" /></dd></div>
        <div><dt>Outcome</dt><dd><${Tag} value=${c.outcome} kind="outcome" /></dd></div>
        <div><dt>Lead score</dt><dd>${dash(c.lead_score)} <${Tag} value=${c.lead_tier} kind="tier" /></dd></div>
        <div><dt>Value</dt><dd>${money(c.financial_value)}${c.matched_service ? html` <span class="muted">(${c.matched_service})</span>` : null}</dd></div>
        <div><dt>Sentiment</dt><dd>${c.sentiment ? c.sentiment.label + ', urgency ' + c.sentiment.urgency : '—'}</dd></div>
        <div><dt>Recording</dt><dd><${Tag} value=${c.recording_status} kind="recording" /></dd></div>
        <div><dt>Ended because</dt><dd>${dash(c.ended_reason)}</dd></div>
      </dl>
      <${Actions} call=${c} onDone=${state.reload} />
      <h2>Summary</h2>
      <p class="summary">${c.summary || html`<span class="muted">No summary yet.</span>`}</p>
      <h2>Transcript</h2>
      ${c.transcript ? html`<pre class="transcript" tabindex="0" aria-label="Transcript">${c.transcript}</pre>`
                     : html`<p class="muted">No transcript yet.</p>`}
      <h2>Timeline</h2>
      <ol class="timeline">
        ${(c.events || []).map((e) => html`<li>
          <time>${when(new Date(e.occurred_at_ms).toISOString())}</time>
          <span> ${e.kind}${e.status ? ': ' + e.status : ''}${e.ended_reason ? ' (' + e.ended_reason + ')' : ''}</span>
        </li>`)}
      </ol>
      ${(c.appointments || []).length ? html`<h2>Appointments</h2>
        <ul>${c.appointments.map((a) => html`<li>${when(a.start)} – <${Tag} value=${a.status} /></li>`)}</ul>` : null}
    ` : null}
  <//>`;
}
