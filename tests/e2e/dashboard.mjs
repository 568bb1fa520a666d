// Dashboard: the tiles carry the figures of the seeded catalogue, the charts are drawn, and a
// bar of the unit chart leads to the filtered process list.
import { check, open, run } from './browser.mjs';

await run('dashboard', async (page, shot) => {
  await open(page, '#/dashboard');
  const tile = async (label) => (await page.locator('.tile', { hasText: label }).locator('.tile-value').innerText()).trim();
  check(await tile('Prozesse dokumentiert') === '5', 'five processes');
  check(await tile('veröffentlicht') === '1', 'one published');
  check(await tile('nicht geprüft') === '1', 'one process not reviewed for a year');
  check(await tile('kritische Prozesse') === '2', 'two critical processes');
  check(await tile('hängen an einer Rolle') === '1', 'one process on a single role');
  const charts = await page.locator('svg.chart').count();
  check(charts >= 3, `status, unit and risk charts are drawn (${charts})`);
  check(await page.locator('.card', { hasText: 'Nicht geprüft' }).getByRole('link', { name: 'Anwohnerparkausweis ausstellen' }).count() === 1,
    'the stale process is listed');
  await shot('uebersicht');

  await page.locator('svg.chart a[aria-label^="63 Bauaufsicht"]').click();
  await page.waitForFunction(() => location.hash.startsWith('#/prozesse?unit='));
  await page.waitForSelector('main[aria-busy="false"]');
  const titles = await page.locator('table.processes tbody td:first-child').allInnerTexts();
  check(titles.length === 1 && titles[0] === 'Baugenehmigung erteilen', `the unit bar filters the list (${titles})`);
  await shot('drilldown-einheit');
}, { viewport: { width: 1280, height: 800 } });

// Abdeckung: the coverage of the service catalogue by topic, and one click from a missing
// service to drafting it.
await run('gaps', async (page, shot) => {
  await open(page, '#/abdeckung', { timeout: 660_000 });
  await page.waitForSelector('details.topic');
  check(await page.locator('svg.chart').count() >= 2, 'the coverage charts are drawn');
  await shot('abdeckung', { fullPage: false });
  const topic = page.locator('details.topic').first();
  await topic.locator('summary').click();
  const link = topic.getByRole('link', { name: /erfassen$/ }).first();
  const service = (await link.getAttribute('aria-label')).replace(/ erfassen$/, '');
  await link.click();
  await page.waitForSelector('#dictation');
  check((await page.locator('main .notice').innerText()).includes(service), `Erfassen names the service ${service}`);
  check((await page.locator('#dictation').inputValue()).startsWith(service), 'the dictation starts with the service');
  await shot('erfassen-aus-luecke', { fullPage: false });
}, { viewport: { width: 1280, height: 800 } });
