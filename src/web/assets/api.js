// The JSON API of the same server. Every request goes to this origin only.

/** An error answer of the API ({error, error_type, details?}) or a network failure. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error || `HTTP ${status}`);
    this.status = status;
    this.type = body?.error_type || 'network';
    this.details = body?.details;
  }

  /** The server has no such route: a feature that this build does not offer (yet). */
  get missingEndpoint() {
    return this.status === 404 && /no such endpoint/.test(this.message);
  }
}

const USER_KEY = 'ablauf.user';

export function currentUser() {
  return localStorage.getItem(USER_KEY) || '';
}

export function setCurrentUser(name) {
  localStorage.setItem(USER_KEY, name.trim());
}

function headers(json) {
  const h = { accept: 'application/json' };
  if (json) h['content-type'] = 'application/json';
  // The server takes the acting user from this header until access control lands; it
  // accepts visible ASCII only, so other names are left out rather than failing the request.
  const user = currentUser();
  if (user && /^[\x20-\x7e]+$/.test(user)) h['x-ablauf-user'] = user;
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
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { error: `Server nicht erreichbar (${e.message})` });
  }
  if (!resp.ok) {
    let payload = null;
    try { payload = await resp.json(); } catch { /* not JSON: keep the status alone */ }
    throw new ApiError(resp.status, payload);
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
 * POSTs a JSON body and yields the server-sent events of the answer as {event, data}
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
