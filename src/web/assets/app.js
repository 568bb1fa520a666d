// Entry point: the hash router that maps #/… to the views, and the page frame.

import { currentUser, setCurrentUser } from './api.js';
import { errorBox, render } from './dom.js';
import * as processes from './views/processes.js';
import * as processPage from './views/process.js';
import * as draft from './views/draft.js';
import * as duplicates from './views/duplicates.js';
import * as gaps from './views/gaps.js';
import * as dashboard from './views/dashboard.js';

const ROUTES = [
  [/^erfassen$/, 'erfassen', draft.show, 'Erfassen'],
  [/^prozesse$/, 'prozesse', processes.show, 'Prozesse'],
  [/^prozesse\/([^/]+)$/, 'prozesse', processPage.show, 'Prozess'],
  [/^prozesse\/([^/]+)\/verlauf$/, 'prozesse', processPage.showHistory, 'Verlauf'],
  [/^prozesse\/([^/]+)\/bearbeiten$/, 'prozesse', processPage.showEditor, 'Bearbeiten'],
  [/^dubletten$/, 'dubletten', duplicates.show, 'Dubletten'],
  [/^abdeckung$/, 'abdeckung', gaps.show, 'Abdeckung'],
  [/^dashboard$/, 'dashboard', dashboard.show, 'Dashboard'],
];

// What the current view handed back: cleanup() on leaving, isDirty() to guard unsaved edits.
let current = null;
let currentHash = null;
let controller = null;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, search = ''] = raw.split('?');
  return { path: decodeURIComponent(path).replace(/\/$/, ''), query: Object.fromEntries(new URLSearchParams(search)) };
}

async function route() {
  // In-page anchors such as the skip link are not routes.
  if (location.hash && !location.hash.startsWith('#/')) return;
  if (current?.isDirty?.() && location.hash !== currentHash &&
      !confirm('Es gibt ungespeicherte Änderungen. Seite trotzdem verlassen?')) {
    history.replaceState(null, '', currentHash);
    return;
  }
  current?.cleanup?.();
  controller?.abort();
  controller = new AbortController();
  current = null;
  currentHash = location.hash;
  const { path, query } = parseHash();
  const match = ROUTES.map(([re, nav, view, title]) => [path.match(re), nav, view, title]).find(([m]) => m);
  if (!match) {
    location.replace('#/prozesse');
    return;
  }
  const [m, nav, view, title] = match;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${title} – ablauf`;
  const signal = controller.signal;
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  try {
    current = (await view({ params: m.slice(1), query, signal })) || null;
  } catch (err) {
    if (err.name !== 'AbortError') render(errorBox(err));
  }
  if (!signal.aborted) main.setAttribute('aria-busy', 'false');
}

function setupFrame() {
  const user = document.getElementById('user');
  user.value = currentUser();
  user.addEventListener('change', () => setCurrentUser(user.value));
  document.querySelector('[data-skip]').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('beforeunload', (e) => {
    if (current?.isDirty?.()) e.preventDefault();
  });
  window.addEventListener('hashchange', route);
}

setupFrame();
route();
