// Erfassen with the real (small) model: dictate → draft streamed → cancel works → edit →
// save → the process is listed → export as BPMN and Markdown.
import { readFile } from 'node:fs/promises';
import { check, open, run } from './browser.mjs';

const DICTATION = 'Bürger beantragt eine Hundemarke. Sachbearbeitung prüft den Antrag. Hundemarke wird ausgegeben.';
const TITLE = 'Hundemarke ausgeben (Browsertest)';
const MODEL_TIMEOUT = 600_000;

await run('draft', async (page, shot) => {
  await open(page, '#/erfassen');
  const dictation = page.getByLabel('Grobe Schritte');
  await dictation.fill(DICTATION);
  await shot('diktat');

  // Cancelling keeps the text and re-enables the button.
  await page.getByRole('button', { name: 'Strukturieren' }).click();
  await page.getByRole('button', { name: 'Abbrechen' }).click();
  await page.waitForSelector('.draft-status:has-text("Abgebrochen")');
  check(await dictation.inputValue() === DICTATION, 'the dictation survives a cancel');
  check(await page.getByRole('button', { name: 'Strukturieren' }).isEnabled(), 'drafting can start again');

  await page.getByRole('button', { name: 'Strukturieren' }).click();
  await page.waitForSelector('.live-lines li', { timeout: MODEL_TIMEOUT });
  await shot('streaming', { fullPage: false });
  await page.waitForSelector('.process-form', { timeout: MODEL_TIMEOUT });
  const status = await page.locator('.draft-status').innerText();
  check(/Token\/s/.test(status), `the speed is reported (${status})`);
  const steps = await page.locator('.process-form fieldset.step').count();
  check(steps >= 2, `the draft has steps (${steps})`);
  await page.waitForSelector('.diagram-body svg');
  await shot('entwurf');

  await page.getByLabel('Titel *').fill(TITLE);
  await page.getByLabel('Zuständige Einheit').fill('32 Ordnungsamt');
  // The live diagram follows the edit: the renderer labels the drawing with the title.
  await page.waitForSelector(`.diagram-body svg[aria-label="${TITLE}"]`);
  await shot('bearbeitet', { fullPage: false });
  await page.locator('.save-bar').getByRole('button', { name: 'Speichern' }).click();
  await page.waitForSelector(`.process-head h1:has-text("${TITLE}")`);
  await shot('gespeichert');

  const downloads = {};
  for (const [label, file] of [['BPMN', 'bpmn'], ['Markdown', 'md']]) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: label, exact: true }).click()]);
    downloads[file] = await readFile(await download.path(), 'utf8');
    check(download.suggestedFilename().endsWith(`.${file}`), `${label} download is named ${download.suggestedFilename()}`);
  }
  check(downloads.bpmn.includes('definitions') && downloads.bpmn.includes('BPMNDiagram'), 'the BPMN export has a diagram');
  check(downloads.md.includes(TITLE), 'the Markdown page carries the title');

  await open(page, '#/prozesse');
  await page.getByLabel('Suche').fill('Hundemarke');
  await page.waitForFunction(() => location.hash.includes('q=Hundemarke'));
  await page.waitForSelector('main[aria-busy="false"]');
  const titles = await page.locator('table.processes tbody td:first-child').allInnerTexts();
  check(titles.length === 1 && titles[0] === TITLE, `the search finds the new process (${titles})`);
  await shot('gelistet');
}, { viewport: { width: 1280, height: 800 } });
