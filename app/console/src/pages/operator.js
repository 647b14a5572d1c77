// The operator's view (operator token): live calls across every tenant, updated from
// GET /sessions/events; tenants with their circuit breakers; caller-ID verification sessions.
import { html, useState, useCallback, useRef } from '../lib.js';
import { api } from '../api.js';
import { Page, Table, Loading, LiveBadge, Tag, useGet, useLive, useTick, duration, last4, when, dash, ErrorNotice } from '../ui.js';

const ONGOING = new Set(['ringing', 'in-progress', 'forwarding']);
const ms = (iso) => (iso ? Date.parse(iso) : NaN);

// A row from GET /sessions/calls's call view.
function fromView(v) {
  const events = v.events || [];
  const first = events.length ? events[0].occurred_at_ms : NaN;
  const endEvent = events.find((e) => e.kind === 'status' && e.status === 'ended');
  const report = v.report || {};
  return {
    id: v.id, org: v.tenant_id, state: v.state, last4: last4(v.caller),
    started: first, ended: endEvent ? endEvent.occurred_at_ms : NaN,
    seconds: report.duration_seconds,
  };
}

// Applies one live event to the row (or makes the row: the call's first webhook).
function fromEvent(row, e) {
  const r = row ? { ...row } : { id: e.call_id, seconds: undefined, ended: NaN };
  r.org = e.org_id || r.org;
  r.state = e.state;
  if (e.caller_last4) r.last4 = e.caller_last4;
  if (e.started_at) r.started = ms(e.started_at);
  if (!ONGOING.has(e.state) && isNaN(r.ended)) r.ended = ms(e.updated_at);
  if (isNaN(r.started)) r.started = ms(e.updated_at);
  return r;
}

function seconds(r, now) {
  if (r.seconds !== undefined && r.seconds !== null) return r.seconds;
  if (isNaN(r.started)) return null;
  const end = ONGOING.has(r.state) ? now : (isNaN(r.ended) ? now : r.ended);
  return (end - r.started) / 1000;
}

export function LiveCalls() {
  const [rows, setRows] = useState(new Map());
  const [error, setError] = useState(null);
  const tenants = useGet('/sessions/tenants');
  const names = new Map(((tenants.data && tenants.data.tenants) || []).map((t) => [t.id, t.name]));
  const refetchedFor = useRef(new Set());
  useTick(1000);

  const load = useCallback(async () => {
    try {
      const { calls } = await api('GET', '/sessions/calls');
      setRows((old) => {
        const next = new Map(old);
        for (const v of calls) next.set(v.id, { ...(old.get(v.id) || {}), ...fromView(v) });
        return next;
      });
      setError(null);
    } catch (e) { setError(e); }
  }, []);
  const status = useLive('/sessions/events', (e) => {
    setRows((old) => new Map(old).set(e.call_id, fromEvent(old.get(e.call_id), e)));
    if (e.org_id && !names.has(e.org_id) && !refetchedFor.current.has(e.org_id)) {
      refetchedFor.current.add(e.org_id);
      tenants.reload();
    }
  }, load);

  const now = Date.now();
  const list = [...rows.values()].sort((a, b) => (b.started || 0) - (a.started || 0));
  return html`<${Page} title="Live calls" actions=${html`<${LiveBadge} status=${status} />`}>
    <${ErrorNotice} error=${error} />
    <${Table} label="Live calls" head=${['Tenant', 'Caller', 'State', 'Duration', 'Call id']}
              empty=${list.length ? null : 'No live calls.'}>
      ${list.map((r) => html`<tr key=${r.id} data-call=${r.id}>
        <td>${names.get(r.org) || dash(r.org)}</td>
        <td>…${r.last4 || '—'}</td>
        <td><${Tag} value=${r.state} kind="state" /></td>
        <td>${duration(seconds(r, now))}</td>
        <td class="mono">${r.id}</td>
      </tr>`)}
    <//>
  <//>`;
}

export function Tenants() {
  const state = useGet('/sessions/tenants');
  const tenants = (state.data && state.data.tenants) || [];
  return html`<${Page} title="Tenants">
    <${Loading} state=${state} />
    <${Table} label="Tenants and their circuit breakers" head=${['Tenant', 'Numbers', 'Actor', 'Twilio breaker', 'Vapi breaker']}
              empty=${state.data && !tenants.length ? 'No tenants yet.' : null}>
      ${tenants.map((t) => html`<tr key=${t.id}>
        <td>${t.name}<br /><span class="muted mono">${t.id}</span></td>
        <td>${(t.numbers || []).join(', ') || '—'}</td>
        <td>${t.live ? 'running' : 'idle'}</td>
        ${['twilio', 'vapi'].map((p) => html`<td><${Breaker} b=${(t.breakers || []).find((b) => b.provider === p)} /></td>`)}
      </tr>`)}
    <//>
  <//>`;
}

function Breaker({ b }) {
  if (!b) return html`<span class="muted">—</span>`;
  return html`<${Tag} value=${b.state} kind="breaker" />
    <span class="muted"> ${b.recent_failures} failure${b.recent_failures === 1 ? '' : 's'}</span>
    ${b.state === 'open' ? html`<br /><span class="muted">retry in ${b.retry_after_seconds} s (until ${when(b.open_until)})</span>` : null}`;
}

export function Verifications() {
  const state = useGet('/sessions/verifications');
  const sessions = (state.data && state.data.sessions) || [];
  return html`<${Page} title="Verification sessions"
      actions=${html`<button type="button" class="secondary" onClick=${state.reload}>Refresh</button>`}>
    <p class="muted">Live caller-ID verifications. Codes are never shown.</p>
    <${Loading} state=${state} />
    <${Table} label="Verification sessions" head=${['Session', 'Tenant', 'Number', 'State', 'Attempts left', 'Expires in']}
              empty=${state.data && !sessions.length ? 'No verification in progress.' : null}>
      ${sessions.map((s) => html`<tr key=${s.id}>
        <td class="mono">${s.id}</td><td class="mono">${s.orgId}</td>
        <td>…${last4(s.phoneNumber)}</td><td><${Tag} value=${s.state} /></td>
        <td>${s.attemptsLeft}</td><td>${duration(s.expiresInSeconds)}</td>
      </tr>`)}
    <//>
  <//>`;
}
