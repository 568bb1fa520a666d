// The login dialog. It opens over the current page, so a session that expires in the middle
// of an edit loses nothing: after logging in the page carries on.

import { currentSession, login } from '../api.js';
import { explain, h } from '../dom.js';

let open = null;

/**
 * Shows the login dialog (once, however many requests ask for it) and resolves when the user
 * has logged in. Where the server lets anonymous callers read, the dialog can be closed.
 */
export function askLogin(reason) {
  if (open) return open;
  open = new Promise((resolve) => {
    const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
    const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const problem = h('div', { class: 'login-problem', 'aria-live': 'assertive' });
    const submit = h('button', { type: 'submit' }, 'Anmelden');
    const closable = currentSession().anonymous_read;
    const dialog = h('dialog', { class: 'login-dialog', 'aria-labelledby': 'login-title' },
      h('form', { method: 'dialog', onsubmit: async (e) => {
        e.preventDefault();
        problem.replaceChildren();
        submit.disabled = true;
        try {
          await login(name.value.trim(), password.value);
          dialog.close();
        } catch (err) {
          password.value = '';
          password.focus();
          problem.append(h('p', { class: 'notice notice-error', role: 'alert' },
            err.status === 401 ? 'Benutzername oder Passwort ist falsch.'
              : err.type === 'rate_limited' ? `Zu viele fehlgeschlagene Anmeldungen. Bitte in ${err.retryAfter || 'einigen'} s erneut versuchen.`
                : err.type === 'directory_unavailable' ? 'Der Verzeichnisdienst (LDAP) ist gerade nicht erreichbar, daher ist keine Anmeldung mit dem Verzeichnis-Passwort möglich. Bitte später erneut versuchen oder die IT verständigen.'
                  : err.type === 'no_access' ? 'Das Passwort stimmt, aber dieses Konto hat keinen Zugang zu ablauf: Es gehört keiner freigegebenen Verzeichnisgruppe an oder wurde gesperrt. Bitte an die Administration wenden.'
                    : explain(err)));
        } finally {
          submit.disabled = false;
        }
      } },
      h('h2', { id: 'login-title' }, 'Anmelden'),
      reason ? h('p', { class: 'muted' }, reason) : null,
      h('label', { for: 'login-name' }, 'Benutzername'), name,
      h('label', { for: 'login-password' }, 'Passwort'), password,
      problem,
      h('div', { class: 'login-actions' }, submit,
        closable ? h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Ohne Anmeldung lesen') : null)));
    // Without anonymous reading there is nothing to see behind the dialog: Escape keeps it open.
    dialog.addEventListener('cancel', (e) => { if (!closable) e.preventDefault(); });
    dialog.addEventListener('close', () => {
      dialog.remove();
      open = null;
      resolve(currentSession());
    });
    document.body.append(dialog);
    dialog.showModal();
    name.focus();
  });
  return open;
}
