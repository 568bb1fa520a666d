// Shared harness of the browser tests: headless Chromium (Debian's) driven by playwright-core,
// pointed at a running ablauf server. Every request to another origin is blocked and counted,
// page errors and console errors fail the test, and each step saves a screenshot.
import { createRequire } from 'node:module';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(join(process.env.E2E_NODE_HOME, 'package.json'));
const { chromium } = require('playwright-core');

export const BASE = process.env.ABLAUF_URL;
const SHOTS = process.env.E2E_SCREENSHOTS;

/** Fails the flow with a message (the Rust test shows stdout and stderr). */
export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/**
 * Runs `flow(page, shot)` in a fresh browser profile at `viewport`, logged in as `user` (with
 * the password in E2E_PASSWORD) unless `user` is null, Chromium started with the extra `args`; the script exits non-zero
 * after any failure, page error, console error or request to a foreign origin.
 */
export async function run(name, flow, { viewport = { width: 1280, height: 800 }, user = process.env.E2E_USER, args = [] } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'ablauf-e2e-'));
  await mkdir(SHOTS, { recursive: true });
  const problems = [];
  let context;
  let count = 0;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport,
      locale: 'de-DE',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
    });
    const origin = new URL(BASE).origin;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
      problems.push(`request to a foreign origin: ${url}`);
      return route.abort();
    });
    const page = context.pages()[0] || (await context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // A failed fetch that the page handles shows up as a console error of the network layer.
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(`console error: ${m.text()}`);
    });
    const shot = async (label, { fullPage = true } = {}) => {
      count += 1;
      const file = join(SHOTS, `${name}-${String(count).padStart(2, '0')}-${label}.png`);
      await page.screenshot({ path: file, fullPage });
      console.log(`screenshot ${file}`);
    };
    try {
      if (user) await logIn(page, user, process.env.E2E_PASSWORD);
      await flow(page, shot);
    } catch (e) {
      problems.push(e.stack || String(e));
      await shot('fehler').catch(() => {});
    }
  } catch (e) {
    problems.push(e.stack || String(e));
  } finally {
    if (context) await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  for (const p of problems) console.error(p);
  if (problems.length) process.exitCode = 1;
}

/** Loads the interface afresh at a route and waits until its view has rendered. */
export async function open(page, hash, { timeout } = {}) {
  await page.goto('about:blank');
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('main[aria-busy="false"]', { timeout });
}

/** Logs in through the login dialog that the interface opens for a caller without a session. */
export async function logIn(page, name, password) {
  await page.goto(`${BASE}/#/prozesse`);
  const dialog = page.getByRole('dialog', { name: 'Anmelden' });
  await dialog.getByLabel('Benutzername').fill(name);
  await dialog.getByLabel('Passwort').fill(password);
  await dialog.getByRole('button', { name: 'Anmelden' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.waitForSelector(`.session-user:text-is("${name}")`);
}
