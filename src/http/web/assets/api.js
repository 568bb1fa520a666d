// The JSON API of the same server. Every request goes to this origin only.

/** An error answer of the API ({error, error_type, details?}) or a network failure. */
export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.retryAfter = retryAfter;
    this.type = body?.error_type || 'network';
    this.details = body?.details;
  }

  /** The server has no such route: a feature that this build does not offer (yet). */
  get missingEndpoint() {
    return this.type === 'no_such_endpoint';
  }
}

// Who is logged in, from `GET /api/session`; the CSRF token proves that a write comes from
// this page, because the session cookie alone would be sent by any page.
let session = { user: null, csrf_token: null, anonymous_read: false };

const ROLES = ['reader', 'clerk', 'reviewer', 'admin'];

export const ROLE_LABEL = { reader: 'Lesen', clerk: 'Sachbearbeitung', reviewer: 'Prüfung', admin: 'Administration' };

/** `{user: {user, role} | null, anonymous_read}`. */
export function currentSession() {
  return session;
}

/** Whether the logged-in user has at least `role`. */
export function may(role) {
  return !!session.user && ROLES.indexOf(session.user.role) >= ROLES.indexOf(role);
}

/** Asks the server who the browser is logged in as (after a page load). */
export async function loadSession() {
  session = await api('/api/session');
  return session;
}

export async function login(name, password) {
  const answer = await api('/api/session', { method: 'POST', body: { name, password } });
  session = { ...session, user: { user: answer.user, role: answer.role }, csrf_token: answer.csrf_token };
  return session;
}

export async function logout() {
  await api('/api/session', { method: 'DELETE' });
  session = { ...session, user: null, csrf_token: null };
}

function headers(method, body) {
  const h = { accept: 'application/json' };
  if (body instanceof Blob) h['content-type'] = body.type;
  else if (body !== undefined) h['content-type'] = 'application/json';
  if (method !== 'GET' && session.csrf_token) h['x-csrf-token'] = session.csrf_token;
  return h;
}

function url(path, query) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

async function send(path, { method = 'GET', body, query, signal } = {}) {
  let resp;
  try {
    resp = await fetch(url(path, query), {
      method,
      headers: headers(method, body),
      // A Blob (a recording) goes as it is, everything else as JSON.
      body: body === undefined || body instanceof Blob ? body : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { error: `Server nicht erreichbar (${e.message})` });
  }
  if (!resp.ok) {
    let payload = null;
    try { payload = await resp.json(); } catch { /* not JSON: keep the status alone */ }
    const err = new ApiError(resp.status, payload, Number(resp.headers.get('retry-after')) || null);
    // The session expired or was never there: forget it, and the frame shows the login form.
    if (resp.status === 401 && path !== '/api/session') {
      session = { ...session, user: null, csrf_token: null };
      window.dispatchEvent(new CustomEvent('ablauf:login-required'));
    }
    throw err;
  }
  return resp;
}

/** Sends a request and returns the parsed JSON answer. */
export async function api(path, options) {
  const resp = await send(path, options);
  return resp.status === 204 ? null : resp.json();
}

/** Sends a request and returns the answer as text (BPMN, Markdown, HTML). */
export async function apiText(path, options) {
  return (await send(path, options)).text();
}

/**
 * POSTs a body (JSON, or a Blob as it is) and yields the server-sent events of the answer as {event, data}
 * (data parsed as JSON where it is JSON). Aborting `signal` closes the connection,
 * which tells the server to stop.
 */
export async function* streamEvents(path, body, signal) {
  const resp = await send(path, { method: 'POST', body, signal });
  const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseFrame(frame);
      if (event) yield event;
    }
  }
}

function parseFrame(frame) {
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return null;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) };
  } catch {
    return { event, data: text };
  }
}
