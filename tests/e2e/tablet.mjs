// The main pages on a tablet in portrait (820×1180): nothing may be wider than the screen.
import { check, open, run } from './browser.mjs';

const id = process.env.E2E_PROCESS;

await run('tablet', async (page, shot) => {
  for (const [hash, label] of [
    ['#/prozesse', 'liste'],
    [`#/prozesse/${id}`, 'prozessseite'],
    [`#/prozesse/${id}/verlauf`, 'verlauf'],
    [`#/prozesse/${id}/bearbeiten`, 'bearbeiten'],
    ['#/erfassen', 'erfassen'],
    ['#/dashboard', 'dashboard'],
  ]) {
    await open(page, hash);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${hash} is ${overflow}px wider than the tablet screen`);
    await shot(label);
  }
}, { viewport: { width: 820, height: 1180 } });
