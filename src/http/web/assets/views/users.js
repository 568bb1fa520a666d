// Benutzer (admins only): who may use ablauf in which role; new users get their API token
// shown once, revoking ends their sessions and tokens; below, the newest sign-in events.

import { ROLE_LABEL, api, currentSession } from '../api.js';
import { errorBox, explain, formatDate, h, render, toast } from '../dom.js';

/** The audit log's sign-in actions in words. */
const SIGN_IN_EVENT = {
  'auth.login': 'Anmeldung',
  'auth.login_failed': 'Fehlgeschlagene Anmeldung',
  'auth.logout': 'Abmeldung',
  'auth.throttled': 'Gebremst (zu viele Fehlversuche)',
  'auth.token_unknown': 'Unbekanntes Token',
  'auth.session_expired': 'Sitzung abgelaufen',
  'auth.user_add': 'Benutzer angelegt',
  'auth.user_revoke': 'Zugang gesperrt',
  'auth.role_change': 'Rolle geändert',
  'auth.password_change': 'Passwort geändert',
  'auth.token_add': 'Token erstellt',
};

export async function show({ signal }) {
  const [users, events] = await Promise.all([
    api('/api/users', { signal }),
    api('/api/audit?action=auth.*', { signal }),
  ]);
  // Admins do not lock themselves out from here; another admin or the CLI can.
  const me = currentSession().user?.user;
  const name = h('input', { id: 'new-user-name', required: true, maxlength: 64, autocomplete: 'off' });
  const role = h('select', { id: 'new-user-role' },
    Object.entries(ROLE_LABEL).map(([value, label]) => h('option', { value, selected: value === 'clerk' }, label)));
  const password = h('input', { id: 'new-user-password', type: 'password', autocomplete: 'new-password', minlength: 12 });
  const result = h('div', { id: 'new-user-result', 'aria-live': 'polite' });
  const add = async (e) => {
    e.preventDefault();
    result.replaceChildren();
    try {
      const body = { name: name.value.trim(), role: role.value, ...(password.value ? { password: password.value } : {}) };
      const created = await api('/api/users', { method: 'POST', body });
      toast(`Benutzer ${created.name} angelegt`, 'success');
      await show({ signal });
      document.getElementById('new-user-result').append(h('div', { class: 'notice' },
        h('strong', {}, `API-Token für ${created.name} (wird nur jetzt angezeigt): `), h('code', { class: 'token' }, created.token)));
    } catch (err) {
      if (err.name !== 'AbortError') result.append(errorBox(err));
    }
  };
  const revoke = async (user) => {
    if (!confirm(`Zugang von ${user.name} sperren? Anmeldungen und Token werden ungültig.`)) return;
    try {
      await api(`/api/users/${encodeURIComponent(user.name)}`, { method: 'DELETE' });
      toast(`Zugang von ${user.name} gesperrt`, 'success');
      await show({ signal });
    } catch (err) {
      toast(explain(err), 'error');
    }
  };
  render([
    h('div', { class: 'page-head' }, h('h1', {}, 'Benutzer')),
    h('section', { class: 'panel' },
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table users' },
        h('caption', { class: 'sr-only' }, 'Benutzer'),
        h('thead', {}, h('tr', {}, ['Name', 'Rolle', 'Anmeldung', 'Angelegt', 'Zugang'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, users.map((u) => h('tr', { class: u.revoked ? 'revoked' : null },
          h('td', {}, u.name), h('td', {}, ROLE_LABEL[u.role] || u.role), h('td', {}, u.directory ? 'Verzeichnis (LDAP)' : u.has_password ? 'ja' : 'nur Token'),
          h('td', {}, formatDate(u.created_at)),
          h('td', {}, u.revoked ? 'gesperrt' : u.name === me ? 'angemeldet' : h('button', { type: 'button', class: 'small danger', 'aria-label': `${u.name} sperren`, onclick: () => revoke(u) }, 'Sperren')))))))),
    h('section', { class: 'panel' }, h('h2', {}, 'Benutzer anlegen'),
      h('form', { class: 'user-form', onsubmit: add },
        h('label', { for: 'new-user-name' }, 'Name'), name,
        h('label', { for: 'new-user-role' }, 'Rolle'), role,
        h('label', { for: 'new-user-password' }, 'Passwort (optional, für die Anmeldung im Browser)'), password,
        h('button', { type: 'submit' }, 'Anlegen')),
      result),
    h('section', { class: 'panel' }, h('h2', {}, 'Anmeldungen'),
      h('p', { class: 'muted' }, 'Die neuesten Anmeldungen, Fehlversuche und Änderungen an Zugängen, mit Adresse und Browser.'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table sign-ins' },
        h('caption', { class: 'sr-only' }, 'Anmeldungen'),
        h('thead', {}, h('tr', {}, ['Zeit', 'Ereignis', 'Benutzer', 'Einzelheiten'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, events.slice(0, 100).map((e) => h('tr', {},
          h('td', {}, formatDate(e.at)), h('td', {}, SIGN_IN_EVENT[e.action] || e.action),
          h('td', {}, e.actor), h('td', {}, e.detail))))))),
  ]);
}
