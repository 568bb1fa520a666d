// Prozesse: search and filter the list, open a process, compare two versions, edit and
// save with optimistic concurrency, and read the same pages on a tablet.
// Expects the server seeded by tests/it/web_ui.rs: "Anwohnerparkausweis ausstellen" with two
// versions, plus further processes in other units.
import { check, open, run } from './browser.mjs';

const width = Number(process.env.E2E_WIDTH || 1280);
const height = Number(process.env.E2E_HEIGHT || 800);

await run(`catalogue-${width}`, async (page, shot) => {
  await open(page, '#/prozesse');
  const rows = page.locator('table.processes tbody tr');
  const all = await rows.count();
  check(all >= 3, `the list shows the seeded processes (${all})`);
  await shot('liste');

  await page.getByLabel('Suche').fill('anwohner');
  await page.waitForFunction(() => document.querySelectorAll('table.processes tbody tr').length === 1);
  await page.getByLabel('Einheit').selectOption('32 Ordnungsamt');
  await page.waitForFunction(() => location.hash.includes('unit='));
  await page.waitForSelector('main[aria-busy="false"]');
  check((await rows.count()) === 1, 'search and unit filter leave the one process');
  await shot('suche-gefiltert');

  await page.getByRole('link', { name: 'Anwohnerparkausweis ausstellen' }).click();
  await page.waitForSelector('.process-head h1');
  check((await page.locator('.process-meta').innerText()).includes('Version 2'), 'the page shows the current version');
  await shot('prozessseite');

  await page.getByRole('link', { name: 'Verlauf' }).click();
  await page.waitForSelector('.diff');
  const inserted = await page.locator('.diff-ins').allInnerTexts();
  check(inserted.some((t) => t.includes('Überarbeitet')), `the diff shows the new summary (${inserted})`);
  await shot('verlauf-diff');

  await page.getByRole('link', { name: 'Bearbeiten' }).click();
  const title = page.getByLabel('Titel *');
  await title.fill('Anwohnerparkausweis ausstellen und verlängern');
  await page.getByRole('button', { name: '+ Schritt' }).click();
  await page.keyboard.type('Verlängerung vormerken');
  await shot('bearbeiten');
  await page.getByLabel('Grund der Änderung').fill('Verlängerung ergänzt');
  await page.getByRole('button', { name: 'Speichern' }).click();
  await page.waitForFunction(() => !location.hash.endsWith('/bearbeiten'));
  await page.waitForSelector('.process-head h1:has-text("verlängern")');
  check((await page.locator('.process-meta').innerText()).includes('Version 3'), 'saving made version 3');
  await shot('gespeichert');
}, { viewport: { width, height } });
