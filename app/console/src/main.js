// The console's entry point: sign-in, the layout and the hash router (#/calls/…), so the server
// only ever serves the files under /console/.
import { html, render, useState, useEffect } from './lib.js';
import { session, signIn, onUnauthorized } from './api.js';
import { Field, ErrorNotice } from './ui.js';
import { LiveCalls, Tenants, Verifications } from './pages/operator.js';
import { CallsList } from './pages/calls.js';
import { CallPage } from './pages/call.js';
import { Leads } from './pages/leads.js';
import { Appointments } from './pages/appointments.js';
import { Numbers } from './pages/numbers.js';
import { Wizard } from './pages/wizard.js';
import { Settings } from './pages/settings.js';

const OPERATOR_NAV = [
  ['live', 'Live calls'], ['tenants', 'Tenants'], ['verifications', 'Verifications'],
];
const CLINIC_NAV = [
  ['calls', 'Calls'], ['leads', 'Leads'], ['appointments', 'Appointments'],
  ['numbers', 'Numbers'], ['caller-id', 'Caller ID & forwarding'], ['settings', 'Settings'],
];

const route = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);

function SignIn({ onSignedIn, reason }) {
  const [token, setToken] = useState('');
  const [state, setState] = useState({ busy: false, error: null });
  async function submit(e) {
    e.preventDefault();
    const t = token.trim();
    if (!t) return;
    setState({ busy: true, error: null });
    try {
      const who = await signIn(t);
      session.save(t);
      onSignedIn(who);
    } catch (error) {
      const message = error.status === 401 || error.status === 403
        ? 'The server refused this token.' : error.message;
      setState({ busy: false, error: { message } });
    }
  }
  return html`<main id="main" class="signin">
    <h1>ringmaster console</h1>
    <p>Sign in with your clinic's token (a JWT) or the operator token.</p>
    ${reason ? html`<p class="notice info" role="status">${reason}</p>` : null}
    <form onSubmit=${submit} class="card">
      <${Field} id="token" label="Token" hint="Kept in this browser tab only; closing the tab or Sign out forgets it.">
        <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required
               aria-describedby="token-hint" value=${token} onInput=${(e) => setToken(e.target.value)} />
      <//>
      <button type="submit" disabled=${state.busy}>Sign in</button>
      <${ErrorNotice} error=${state.error} />
    </form>
  </main>`;
}

function Shell({ who, onSignOut }) {
  const [path, setPath] = useState(route());
  useEffect(() => {
    const on = () => setPath(route());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const nav = who.kind === 'operator' ? OPERATOR_NAV : CLINIC_NAV;
  const current = path[0] || nav[0][0];
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>Skip to content</a>
    <header class="top">
      <p class="brand">ringmaster <span class="muted">· ${who.kind === 'operator' ? 'Operator' : who.name}</span></p>
      <nav aria-label="Main">
        <ul>${nav.map(([id, label]) => html`<li><a href=${'#/' + id}
          aria-current=${current === id ? 'page' : undefined}>${label}</a></li>`)}</ul>
      </nav>
      <button type="button" class="secondary" onClick=${onSignOut}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">${page(who, current, path)}</main>`;
}

function page(who, current, path) {
  if (who.kind === 'operator') {
    if (current === 'tenants') return html`<${Tenants} />`;
    if (current === 'verifications') return html`<${Verifications} />`;
    return html`<${LiveCalls} />`;
  }
  switch (current) {
    case 'calls': return path[1] ? html`<${CallPage} id=${path[1]} key=${path[1]} />` : html`<${CallsList} />`;
    case 'leads': return html`<${Leads} />`;
    case 'appointments': return html`<${Appointments} />`;
    case 'numbers': return html`<${Numbers} who=${who} />`;
    case 'caller-id': return html`<${Wizard} />`;
    case 'settings': return html`<${Settings} who=${who} />`;
    default: return html`<${CallsList} />`;
  }
}

function App() {
  const [who, setWho] = useState(null);
  const [checking, setChecking] = useState(!!session.token());
  const [reason, setReason] = useState('');
  useEffect(() => {
    onUnauthorized(() => { session.clear(); setWho(null); setReason('Your token was refused or has expired; sign in again.'); });
    const saved = session.token();
    if (!saved) return;
    signIn(saved).then(setWho, () => session.clear()).finally(() => setChecking(false));
  }, []);
  if (checking) return html`<main id="main"><p class="muted">Loading…</p></main>`;
  if (!who) return html`<${SignIn} reason=${reason} onSignedIn=${(w) => { setReason(''); setWho(w); }} />`;
  return html`<${Shell} who=${who} onSignOut=${() => {
    session.clear(); setWho(null); setReason('Signed out.'); history.replaceState(null, '', location.pathname);
  }} />`;
}

render(html`<${App} />`, document.getElementById('app'));
