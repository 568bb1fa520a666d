// Small DOM helpers and the German labels shared by every view.

/**
 * Creates an element. `props`: `class`, `text`, `html` is deliberately absent (all text is
 * set as text, so process content can never inject markup), `on<event>` handlers, `dataset`,
 * boolean and string attributes. Children: nodes, strings, numbers, arrays; null is skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export const STATUS = {
  draft: 'Entwurf',
  in_review: 'In Prüfung',
  published: 'Veröffentlicht',
  archived: 'Archiviert',
};

export const CRITICALITY = { niedrig: 'niedrig', mittel: 'mittel', hoch: 'hoch' };

export const PROTECTION = { normal: 'normal', hoch: 'hoch', sehr_hoch: 'sehr hoch' };

export const STEP_TYPE = {
  start: 'Start',
  task: 'Aufgabe',
  decision: 'Entscheidung',
  parallel: 'Parallel',
  end: 'Ende',
};

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}` }, STATUS[status] || status);
}

const dateFormat = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function formatNumber(n, digits = 0) {
  return n.toLocaleString('de-DE', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** Replaces the view with `children` and moves focus to the first heading for screen readers. */
export function render(children) {
  const main = document.getElementById('main');
  main.replaceChildren(...[children].flat(Infinity).filter(Boolean));
  return main;
}

export function toast(message, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}` }, message);
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * A failed request in words for the clerk: what the status means and what to do, then the
 * server's own message (which names the exact problem).
 */
export function explain(err) {
  const wait = err?.retryAfter ? ` Bitte in ${err.retryAfter} s erneut versuchen.` : ' Bitte gleich erneut versuchen.';
  switch (err?.status) {
    case 401: return `Nicht angemeldet – bitte anmelden. (${err.message})`;
    case 403: return `Keine Berechtigung für diese Aktion. (${err.message})`;
    case 429: return `Zu viele Anfragen in kurzer Zeit.${wait}`;
    case 503: return `Der Server ist gerade ausgelastet oder lädt noch.${wait} (${err.message})`;
    default: return err?.message || String(err);
  }
}

/** An inline error message for a failed request. */
export function errorBox(err) {
  if (err?.missingEndpoint) return unavailable();
  const details = err?.details?.errors || [];
  return h('div', { class: 'notice notice-error', role: 'alert' },
    h('strong', {}, 'Fehler: '), explain(err),
    details.length ? h('ul', {}, details.map((f) => h('li', {}, `${f.path}: ${f.message}`))) : null);
}

/** Shown where the server does not offer a feature (yet). */
export function unavailable(what = 'Diese Funktion') {
  return h('div', { class: 'notice' }, `${what} ist auf diesem Server nicht verfügbar.`);
}

/** Offers `text` as a file download without a round trip. */
export function download(filename, text, mime) {
  const href = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = h('a', { href, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 1000);
}

/** A file name from a process title: lowercase ASCII, umlauts spelled out. */
export function slug(title) {
  const map = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss' };
  return (title || 'prozess').toLowerCase().replace(/[äöüß]/g, (c) => map[c])
    .replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'prozess';
}

/** Debounces `fn` by `ms` milliseconds. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
