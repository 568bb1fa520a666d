// Dubletten: the queue shows the suggested pairs side by side with shared steps marked; a
// reviewer writes a note and decides with the keyboard, and the pair leaves the queue.
import { check, open, run } from './browser.mjs';

await run('duplicates', async (page, shot) => {
  await open(page, '#/dubletten');
  await page.waitForSelector('.pair-columns', { timeout: 120_000 });
  const before = await page.locator('.queue li').count();
  check(before >= 1, `pairs are suggested (${before})`);
  const reasons = await page.locator('.reasons li').allInnerTexts();
  check(reasons.some((r) => r.includes('gemeinsame Schritte')), `the reasons name the shared steps (${reasons})`);
  const shared = await page.locator('.pair-side').first().locator('li.shared').count();
  check(shared >= 2, `shared steps are highlighted (${shared})`);
  const first = await page.locator('.queue-item.current').innerText();
  await shot('paar');

  await page.keyboard.press('e');
  await page.keyboard.type('Gleiches Verfahren, anderer Titel');
  await page.keyboard.press('Escape');
  await page.keyboard.press('v');
  await page.waitForFunction((n) => document.querySelectorAll('.queue li').length === n - 1, before);
  const current = await page.locator('.queue-item.current').count() ? await page.locator('.queue-item.current').innerText() : '';
  check(current !== first, 'the decided pair left the queue');
  await shot('nach-entscheidung');

  if (before > 1) {
    await page.keyboard.press('j');
    await page.waitForSelector('.queue li:nth-child(2) .queue-item.current');
    await shot('naechstes-paar', { fullPage: false });
  }
}, { viewport: { width: 1280, height: 800 } });
