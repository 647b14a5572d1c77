// Shared pieces of the console's pages: data loading, notices, tables, formatting.
import { html, useState, useEffect, useRef, useCallback } from './lib.js';
import { api, liveEvents } from './api.js';

// Loads `path` (GET) and reloads on demand: {data, error, loading, reload}.
export function useGet(path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const data = await api('GET', path);
      if (mine === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, [path]);
  useEffect(() => { reload(); }, [reload]);
  return { ...state, reload };
}

// Subscribes to a live-event stream while the page is shown: onCall(event) for each call event,
// onReady() on each (re)connection. Returns the stream's status: connecting, live or offline.
export function useLive(path, onCall, onReady) {
  const [status, setStatus] = useState('connecting');
  const handlers = useRef({});
  handlers.current = { onCall, onReady };
  useEffect(() => liveEvents(path, {
    onCall: (c) => handlers.current.onCall && handlers.current.onCall(c),
    onReady: () => handlers.current.onReady && handlers.current.onReady(),
    onStatus: setStatus,
  }), [path]);
  return status;
}

export function LiveBadge({ status }) {
  const text = { live: 'Live', connecting: 'Connecting…', offline: 'Live updates paused, retrying…' }[status];
  return html`<p class="live-status" data-status=${status} role="status">${text}</p>`;
}

// The page's heading, focused when the page opens so keyboard and screen-reader users start there.
export function Page({ title, children, actions }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.focus(); }, [title]);
  return html`<section class="page">
    <div class="page-head"><h1 tabindex="-1" ref=${ref}>${title}</h1>${actions}</div>
    ${children}
  </section>`;
}

export function ErrorNotice({ error }) {
  if (!error) return null;
  const field = error.field ? html` (${error.field})` : null;
  return html`<p class="notice error" role="alert">${error.message}${field}</p>`;
}

export function Notice({ kind = 'success', children }) {
  return html`<p class=${'notice ' + kind} role="status">${children}</p>`;
}

export function Loading({ state }) {
  if (state.error && !state.data) return html`<${ErrorNotice} error=${state.error} />`;
  if (state.loading && !state.data) return html`<p class="muted">Loading…</p>`;
  return null;
}

// A table in a scroll box that keyboard users can scroll (focusable, labelled region).
export function Table({ label, head, children, empty }) {
  return html`<div class="table-wrap" role="region" aria-label=${label} tabindex="0">
    <table>
      <caption class="visually-hidden">${label}</caption>
      <thead><tr>${head.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
      <tbody>${children}</tbody>
    </table>
    ${empty ? html`<p class="muted empty">${empty}</p>` : null}
  </div>`;
}

// A labelled input; `id` ties the label to the control.
export function Field({ id, label, hint, children }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<p class="hint" id=${id + '-hint'}>${hint}</p>` : null}
  </div>`;
}

// Runs an action and keeps its outcome for the form: {busy, error, result, run}.
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, result: null });
  const run = useCallback(async (fn) => {
    setState({ busy: true, error: null, result: null });
    try {
      const result = await fn();
      setState({ busy: false, error: null, result });
      return result;
    } catch (error) {
      setState({ busy: false, error, result: null });
      return undefined;
    }
  }, []);
  return { ...state, run, reset: () => setState({ busy: false, error: null, result: null }) };
}

// ---- formatting (text only)
export const money = (v) => (v === null || v === undefined ? '—'
  : new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(v));
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
}
export function duration(seconds) {
  if (seconds === null || seconds === undefined || isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}
export const last4 = (phone) => (phone ? String(phone).replace(/\D/g, '').slice(-4) : '—');
export const dash = (v) => (v === null || v === undefined || v === '' ? '—' : String(v));

export function Tag({ value, kind }) {
  if (value === null || value === undefined || value === '') return html`<span class="muted">—</span>`;
  return html`<span class=${'tag ' + (kind || '')} data-value=${value}>${value}</span>`;
}

// Re-renders every `ms` (durations of live calls).
export function useTick(ms) {
  const [, set] = useState(0);
  useEffect(() => { const t = setInterval(() => set((n) => n + 1), ms); return () => clearInterval(t); }, [ms]);
}
