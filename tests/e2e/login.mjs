// Logging in and what each role sees: a wrong password is refused, guessing is slowed down with
// the wait named, a reader gets no write
// controls, the admin manages users, and an expired session asks for the login again
// without leaving the page. Expects tests/it/web_ui.rs to have created the reader "lena".
import { BASE, check, open, run } from './browser.mjs';

const id = process.env.E2E_PROCESS;
const ADMIN_PASSWORD = process.env.E2E_PASSWORD;

await run('login', async (page, shot) => {
  await page.goto(`${BASE}/#/prozesse`);
  const dialog = page.getByRole('dialog', { name: 'Anmelden' });
  await dialog.waitFor();
  check(await page.locator('main').innerText() === 'Bitte anmelden.', 'nothing is shown before the login');
  await shot('anmeldung', { fullPage: false });

  await dialog.getByLabel('Benutzername').fill('admin');
  await dialog.getByLabel('Passwort').fill('falsches-passwort');
  await dialog.getByRole('button', { name: 'Anmelden' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Benutzername oder Passwort ist falsch.' }).waitFor();
  await page.keyboard.press('Escape');
  check(await dialog.isVisible(), 'Escape does not skip the login');
  await shot('falsches-passwort', { fullPage: false });

  // Guessing slows down: after a few wrong passwords the dialog says how long to wait. (A name
  // of its own, so that the later sign-ins are not held up.)
  let throttled = null;
  for (let i = 0; i < 9 && !throttled; i++) {
    await dialog.getByLabel('Benutzername').fill('niemand');
    await dialog.getByLabel('Passwort').fill(`falsch-${i}-falsch-falsch`);
    await dialog.getByRole('button', { name: 'Anmelden' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    if (/Zu viele fehlgeschlagene Anmeldungen/.test(text)) throttled = text;
  }
  check(throttled && /Bitte in \d+ s erneut versuchen/.test(throttled), `the dialog names the wait (${throttled})`);
  await shot('zu-viele-versuche', { fullPage: false });

  // A reader sees the catalogue but no control that would write.
  await dialog.getByLabel('Benutzername').fill('lena');
  await dialog.getByLabel('Passwort').fill('lesen-lesen-1');
  await dialog.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForSelector('.session-user:text-is("lena")');
  await page.waitForSelector('table.processes tbody tr');
  const session = await page.locator('#session').innerText();
  check(session.includes('(Lesen)'), `the role is shown (${session})`);
  for (const [what, locator] of [
    ['the Erfassen navigation', page.getByRole('link', { name: 'Erfassen', exact: true })],
    ['the Benutzer navigation', page.getByRole('link', { name: 'Benutzer', exact: true })],
    ['the new-process button', page.getByRole('link', { name: '+ Neuen Prozess erfassen' })],
  ]) check(!(await locator.isVisible()), `a reader does not see ${what}`);
  await shot('leserin-liste');
  await open(page, `#/prozesse/${id}`);
  check(!(await page.getByRole('link', { name: 'Bearbeiten', exact: true }).isVisible()), 'a reader cannot open the editor');
  check(!(await page.locator('.status-form').isVisible()), 'a reader cannot change the status');
  check(await page.getByRole('link', { name: 'BPMN', exact: true }).isVisible(), 'a reader can download the BPMN');
  await open(page, '#/erfassen');
  const refused = await page.getByRole('alert').innerText();
  check(/keine Berechtigung/.test(refused) && /Sachbearbeitung/.test(refused), `drafting is refused with a reason (${refused})`);
  await shot('leserin-erfassen');

  await page.getByRole('button', { name: 'Abmelden' }).click();
  await dialog.waitFor();

  // The admin adds a clerk (the API token is shown once) and revokes the reader.
  await dialog.getByLabel('Benutzername').fill('admin');
  await dialog.getByLabel('Passwort').fill(ADMIN_PASSWORD);
  await dialog.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByRole('link', { name: 'Benutzer', exact: true }).click();
  await page.waitForSelector('table.users');
  await page.getByLabel('Name').fill('ute');
  await page.getByLabel('Rolle').selectOption('clerk');
  await page.getByLabel(/^Passwort/).fill('ute-schreibt-1');
  await page.getByRole('button', { name: 'Anlegen' }).click();
  const token = await page.locator('code.token').innerText();
  check(token.startsWith('abl_'), `the new API token is shown once (${token})`);
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'lena sperren' }).click();
  await page.waitForSelector('table.users tr.revoked:has-text("lena")');
  const signIns = await page.locator('table.sign-ins').innerText();
  check(/Fehlgeschlagene Anmeldung/.test(signIns) && /Zugang gesperrt/.test(signIns) && /wrong_password/.test(signIns),
    `the sign-in log lists the failed sign-in and the revocation (${signIns.slice(0, 300)})`);
  await shot('benutzer');

  // The session ends behind the page's back: the next request asks for the login again,
  // and after it the page carries on.
  await page.context().clearCookies();
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await dialog.waitFor();
  check(/abgelaufen/.test(await dialog.innerText()), 'the dialog says why it appeared');
  await shot('abgelaufen', { fullPage: false });
  await dialog.getByLabel('Benutzername').fill('admin');
  await dialog.getByLabel('Passwort').fill(ADMIN_PASSWORD);
  await dialog.getByRole('button', { name: 'Anmelden' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.waitForSelector('main[aria-busy="false"] h1');
  check((await page.evaluate(() => location.hash)) === '#/dashboard', 'the page stays where it was');
}, { user: null });
