// Directory sign-in in the login dialog (seeded by tests/it/web_ui.rs,
// browser_directory_sign_in). E2E_DIRECTORY says which directory the server has: "reachable"
// (the test OpenLDAP server) or "unreachable".
import { BASE, check, run } from './browser.mjs';

const reachable = process.env.E2E_DIRECTORY === 'reachable';
const ADMIN_PASSWORD = process.env.E2E_PASSWORD;

await run(`directory-${process.env.E2E_DIRECTORY}`, async (page, shot) => {
  await page.goto(`${BASE}/#/prozesse`);
  const dialog = page.getByRole('dialog', { name: 'Anmelden' });
  const signIn = async (name, password) => {
    await dialog.getByLabel('Benutzername').fill(name);
    await dialog.getByLabel('Passwort').fill(password);
    await dialog.getByRole('button', { name: 'Anmelden' }).click();
  };
  await dialog.waitFor();
  await signIn('anna', 'anna-verzeichnis-1');
  if (reachable) {
    // A directory user signs in with the directory's password and gets the role of her group.
    await page.waitForSelector('.session-user:text-is("anna")');
    const session = await page.locator('#session').innerText();
    check(session.includes('(Sachbearbeitung)'), `the group's role is shown (${session})`);
    await shot('verzeichnis-angemeldet', { fullPage: false });
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await dialog.waitFor();
    // The right password of someone in no group that gives a role: told so, in German.
    await signIn('dieter', 'dieter-verzeichnis-1');
    const alert = await dialog.getByRole('alert').innerText();
    check(/keinen Zugang zu ablauf/.test(alert), `no access is explained (${alert})`);
    await shot('verzeichnis-kein-zugang', { fullPage: false });
  } else {
    const alert = await dialog.getByRole('alert').innerText();
    check(/Verzeichnisdienst \(LDAP\) ist gerade nicht erreichbar/.test(alert), `the dialog names the directory (${alert})`);
    await shot('verzeichnis-nicht-erreichbar', { fullPage: false });
  }
  // The local admin signs in either way.
  await signIn('admin', ADMIN_PASSWORD);
  await dialog.waitFor({ state: 'detached' });
  await page.waitForSelector('.session-user:text-is("admin")');
}, { user: null });
