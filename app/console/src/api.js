// The console's only way to the server: fetch() to this origin with the signed-in token as a
// Bearer header. The token lives in sessionStorage (this tab only, gone when it closes), never in
// a URL or a cookie.
const TOKEN_KEY = 'ringmaster.console.token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, code, message, field, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
  }
}

let unauthorized = () => {};
// Called when the server answers 401 to a signed-in request (expired or revoked token).
export function onUnauthorized(handler) { unauthorized = handler; }

// method, path ("/api/calls"), optional JSON body → parsed JSON (or text for other types).
// Errors: ApiError with the server's error.code, message and field.
export async function api(method, path, body, token = session.token()) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'The server could not be reached.');
  }
  const type = res.headers.get('Content-Type') || '';
  const parsed = type.includes('application/json') ? await res.json().catch(() => null)
                                                    : await res.text();
  if (!res.ok) {
    const e = (parsed && parsed.error) || {};
    if (res.status === 401 && token === session.token()) unauthorized();
    throw new ApiError(res.status, e.code || 'http_' + res.status,
                       e.message || 'The server answered HTTP ' + res.status + '.', e.field, parsed);
  }
  return parsed;
}

// What a token is, from its shape: a JWT whose payload names app_metadata.org_id is a clinic
// user's token ({kind: "clinic", org, role, sub}); anything else is tried as the operator token.
// Decoding only chooses the view; the server decides whether the token is good (signIn).
export function decodeToken(token) {
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
      const bytes = Uint8Array.from(atob(b64 + '==='.slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
      const claims = JSON.parse(new TextDecoder().decode(bytes));
      const meta = claims && claims.app_metadata;
      if (meta && typeof meta.org_id === 'string')
        return { kind: 'clinic', org: meta.org_id, role: meta.role === 'admin' ? 'admin' : 'member',
                 sub: String(claims.sub || '') };
    } catch (e) { /* not a JWT: try it as the operator token */ }
  }
  return { kind: 'operator' };
}

// Checks the token against the server with a read its kind may make: GET /api/org/settings for a
// clinic (any role), GET /sessions/tenants for the operator. Returns the session's description.
export async function signIn(token) {
  const who = decodeToken(token);
  if (who.kind === 'clinic') {
    const settings = await api('GET', '/api/org/settings', undefined, token);
    return { ...who, name: settings.name };
  }
  await api('GET', '/sessions/tenants', undefined, token);
  return { kind: 'operator', name: 'Operator' };
}

// ---- live events (docs/console.md "Live updates")
// EventSource cannot send an Authorization header, so the stream is read with fetch() and a
// ReadableStream, and its Server-Sent Events framing parsed here. Reconnects with back-off;
// onReady runs on every (re)connection, so the page reloads its list then (no gap: subscribe
// first, then fetch, then apply updates). Returns a function that stops it.
export function liveEvents(path, { onReady, onCall, onStatus }) {
  let stopped = false;
  let controller = null;
  let delay = 1000;
  const status = (s) => onStatus && onStatus(s);

  function dispatch(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;  // comments: keep-alives
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (event === 'ready') {
      delay = 1000;
      status('live');
      onReady && onReady();
    } else if (event === 'call' && data.length) {
      let call = null;
      try { call = JSON.parse(data.join('\n')); } catch (e) { return; }
      onCall && onCall(call);
    }
  }

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      status('connecting');
      try {
        const res = await fetch(path, {
          headers: { Authorization: 'Bearer ' + session.token(), Accept: 'text/event-stream' },
          cache: 'no-store', credentials: 'omit', signal: controller.signal,
        });
        if (res.status === 401) { unauthorized(); return; }
        if (res.ok && res.body) {
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer = (buffer + value).replace(/\r\n?/g, '\n');
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
            }
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      status('offline');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return () => { stopped = true; if (controller) controller.abort(); };
}
