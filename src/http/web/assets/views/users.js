// Benutzer (admins only): who may use ablauf in which role; new users get their API token
// shown once, revoking ends their sessions and tokens.

import { ROLE_LABEL, api, currentSession } from '../api.js';
import { errorBox, explain, formatDate, h, render, toast } from '../dom.js';

export async function show({ signal }) {
  const users = await api('/api/users', { signal });
  // Admins do not lock themselves out from here; another admin or the CLI can.
  const me = currentSession().user?.user;
  const name = h('input', { id: 'new-user-name', required: true, maxlength: 64, autocomplete: 'off' });
  const role = h('select', { id: 'new-user-role' },
    Object.entries(ROLE_LABEL).map(([value, label]) => h('option', { value, selected: value === 'clerk' }, label)));
  const password = h('input', { id: 'new-user-password', type: 'password', autocomplete: 'new-password', minlength: 8 });
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
        h('thead', {}, h('tr', {}, ['Name', 'Rolle', 'Passwort', 'Angelegt', 'Zugang'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, users.map((u) => h('tr', { class: u.revoked ? 'revoked' : null },
          h('td', {}, u.name), h('td', {}, ROLE_LABEL[u.role] || u.role), h('td', {}, u.has_password ? 'ja' : 'nur Token'),
          h('td', {}, formatDate(u.created_at)),
          h('td', {}, u.revoked ? 'gesperrt' : u.name === me ? 'angemeldet' : h('button', { type: 'button', class: 'small danger', 'aria-label': `${u.name} sperren`, onclick: () => revoke(u) }, 'Sperren')))))))),
    h('section', { class: 'panel' }, h('h2', {}, 'Benutzer anlegen'),
      h('form', { class: 'user-form', onsubmit: add },
        h('label', { for: 'new-user-name' }, 'Name'), name,
        h('label', { for: 'new-user-role' }, 'Rolle'), role,
        h('label', { for: 'new-user-password' }, 'Passwort (optional, für die Anmeldung im Browser)'), password,
        h('button', { type: 'submit' }, 'Anlegen')),
      result),
  ]);
}
