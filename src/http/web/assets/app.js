// Entry point: the hash router that maps #/… to the views, and the page frame.

import { ROLE_LABEL, currentSession, loadSession, logout, may } from './api.js';
import { errorBox, h, render } from './dom.js';
import { askLogin } from './views/login.js';
import * as processes from './views/processes.js';
import * as processPage from './views/process.js';
import * as draft from './views/draft.js';
import * as duplicates from './views/duplicates.js';
import * as gaps from './views/gaps.js';
import * as dashboard from './views/dashboard.js';
import * as users from './views/users.js';

// [path, navigation entry, view, title, the least role that may use the page]
const ROUTES = [
  [/^erfassen$/, 'erfassen', draft.show, 'Erfassen', 'clerk'],
  [/^prozesse$/, 'prozesse', processes.show, 'Prozesse'],
  [/^prozesse\/([^/]+)$/, 'prozesse', processPage.show, 'Prozess'],
  [/^prozesse\/([^/]+)\/verlauf$/, 'prozesse', processPage.showHistory, 'Verlauf'],
  [/^prozesse\/([^/]+)\/bearbeiten$/, 'prozesse', processPage.showEditor, 'Bearbeiten', 'clerk'],
  [/^dubletten$/, 'dubletten', duplicates.show, 'Dubletten'],
  [/^abdeckung$/, 'abdeckung', gaps.show, 'Abdeckung'],
  [/^dashboard$/, 'dashboard', dashboard.show, 'Dashboard'],
  [/^benutzer$/, 'benutzer', users.show, 'Benutzer', 'admin'],
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
  const match = ROUTES.map(([re, ...rest]) => [path.match(re), ...rest]).find(([m]) => m);
  if (!match) {
    location.replace('#/prozesse');
    return;
  }
  const [m, nav, view, title, role] = match;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${title} – ablauf`;
  const signal = controller.signal;
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  try {
    if (!currentSession().user && !currentSession().anonymous_read) render(h('p', { class: 'muted' }, 'Bitte anmelden.'));
    else if (role && !may(role)) render(forbidden(title, role));
    else current = (await view({ params: m.slice(1), query, signal })) || null;
  } catch (err) {
    // A 401 has opened the login dialog, which reloads the view afterwards.
    if (err.name !== 'AbortError' && err.status !== 401) render(errorBox(err));
  }
  if (!signal.aborted) main.setAttribute('aria-busy', 'false');
}

function forbidden(title, role) {
  const who = currentSession().user;
  return h('div', { class: 'notice', role: 'alert' }, h('strong', {}, `${title}: keine Berechtigung. `),
    who ? `Angemeldet als ${who.user} mit der Rolle ${ROLE_LABEL[who.role]}; diese Seite braucht mindestens ${ROLE_LABEL[role]}.`
      : `Bitte als ${ROLE_LABEL[role]} anmelden.`);
}

/** Shows who is logged in and offers only what their role may do. */
function showSession() {
  const { user } = currentSession();
  for (const role of ['clerk', 'reviewer', 'admin']) document.body.toggleAttribute(`data-may-${role}`, may(role));
  const box = document.getElementById('session');
  if (user) {
    box.replaceChildren(h('span', {}, 'Angemeldet als ', h('strong', { class: 'session-user' }, user.user), ` (${ROLE_LABEL[user.role]})`),
      h('button', { type: 'button', class: 'small secondary', onclick: signOut }, 'Abmelden'));
  } else {
    box.replaceChildren(h('button', { type: 'button', class: 'small secondary', onclick: () => signIn() }, 'Anmelden'));
  }
}

async function signIn(reason) {
  await askLogin(reason);
  showSession();
  // An editor with unsaved changes stays as it is: saving again now succeeds.
  if (current?.isDirty?.()) return;
  currentHash = null;
  route();
}

async function signOut() {
  if (current?.isDirty?.() && !confirm('Es gibt ungespeicherte Änderungen. Trotzdem abmelden?')) return;
  try {
    await logout();
  } finally {
    showSession();
    // Already confirmed above: leave the view without asking again.
    current?.cleanup?.();
    current = null;
    route();
    if (!currentSession().anonymous_read) signIn();
  }
}

function setupFrame() {
  document.querySelector('[data-skip]').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  window.addEventListener('beforeunload', (e) => {
    if (current?.isDirty?.()) e.preventDefault();
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('ablauf:login-required', () => {
    showSession();
    signIn('Die Anmeldung ist abgelaufen oder fehlt. Nach dem Anmelden geht es hier weiter.');
  });
}

async function start() {
  setupFrame();
  try {
    await loadSession();
  } catch (err) {
    render(errorBox(err));
    return;
  }
  showSession();
  route();
  if (!currentSession().user && !currentSession().anonymous_read) signIn();
}

start();
