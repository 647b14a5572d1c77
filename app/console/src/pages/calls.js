// The clinic's calls (GET /api/calls), live from GET /api/events: a call appears with its first
// webhook and its state follows; the list is re-read (debounced) for the scoring fields.
import { html, useState, useRef, useCallback, useEffect } from '../lib.js';
import { api } from '../api.js';
import { Page, Table, LiveBadge, Tag, ErrorNotice, useLive, money, when, duration, dash } from '../ui.js';

export function CallsList() {
  const [calls, setCalls] = useState(null);
  const [error, setError] = useState(null);
  const timer = useRef(null);
  const load = useCallback(async () => {
    try {
      const { calls: list } = await api('GET', '/api/calls?limit=100');
      setCalls((old) => {
        // Calls that only the live stream knows so far stay until the list has them.
        const ids = new Set(list.map((c) => c.id));
        const pending = (old || []).filter((c) => c.provisional && !ids.has(c.id));
        return [...pending, ...list];
      });
      setError(null);
    } catch (e) { setError(e); }
  }, []);
  useEffect(() => { load(); return () => clearTimeout(timer.current); }, [load]);
  const status = useLive('/api/events', (e) => {
    setCalls((old) => {
      const list = old || [];
      const i = list.findIndex((c) => c.id === e.call_id);
      if (i < 0) {
        return [{ id: e.call_id, provisional: true, state: e.state, outcome: e.outcome || null,
                  caller: e.caller_last4 ? '…' + e.caller_last4 : null,
                  created_at: e.started_at || e.updated_at, direction: null }, ...list];
      }
      const next = list.slice();
      next[i] = { ...next[i], state: e.state, outcome: e.outcome === undefined ? next[i].outcome : e.outcome };
      return next;
    });
    clearTimeout(timer.current);
    timer.current = setTimeout(load, 400);
  }, load);

  return html`<${Page} title="Calls" actions=${html`<${LiveBadge} status=${status} />`}>
    <${ErrorNotice} error=${error} />
    ${calls === null && !error ? html`<p class="muted">Loading…</p>` : null}
    <${Table} label="Calls" head=${['Call', 'Caller', 'State', 'Outcome', 'Score', 'Tier', 'Value', 'Duration']}
              empty=${calls && !calls.length ? 'No calls yet.' : null}>
      ${(calls || []).map((c) => html`<tr key=${c.id} data-call=${c.id}>
        <td><a href=${'#/calls/' + encodeURIComponent(c.id)}>${when(c.created_at)}</a></td>
        <td>${dash(c.caller)}</td>
        <td><${Tag} value=${c.state} kind="state" /></td>
        <td><${Tag} value=${c.outcome} kind="outcome" /></td>
        <td>${dash(c.lead_score)}</td>
        <td><${Tag} value=${c.lead_tier} kind="tier" /></td>
        <td>${money(c.financial_value)}</td>
        <td>${duration(c.duration_seconds)}</td>
      </tr>`)}
    <//>
  <//>`;
}
