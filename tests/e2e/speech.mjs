// Erfassen by voice (seeded by tests/it/web_ui.rs, browser_speak_transcribe_and_draft):
// Chromium's fake microphone plays E2E_AUDIO (a German dictation); the page records it,
// the server transcribes it with the local speech model, the text lands in the dictation
// field, and the draft is structured from it. Where the browser denies the microphone, the
// page says so in German.
import { check, open, run } from './browser.mjs';

const MODEL_TIMEOUT = 600_000;
const audio = process.env.E2E_AUDIO;

await run('speech', async (page, shot) => {
  await open(page, '#/erfassen');
  const dictation = page.getByLabel('Grobe Schritte');
  const microphone = page.getByRole('button', { name: 'Diktieren' });
  check(await microphone.isEnabled(), 'recording is offered on http://127.0.0.1');

  // A recording that is discarded leaves the field as it was.
  await microphone.click();
  await page.getByRole('button', { name: 'Verwerfen' }).click();
  await page.waitForSelector('.draft-status:has-text("verworfen")');
  check(await dictation.inputValue() === '', 'nothing was added');

  await page.getByRole('button', { name: 'Diktieren' }).click();
  const stop = page.getByRole('button', { name: 'Aufnahme beenden' });
  check(await stop.getAttribute('aria-pressed') === 'true', 'the button shows that it records');
  // The fake microphone plays the file once (about 7 s): record a little longer.
  await page.waitForFunction(() => parseInt(document.querySelector('.mic-time')?.textContent.replace(/\D/g, '') || '0', 10) >= 9);
  check(await page.locator('.mic-level').isVisible(), 'a level meter shows that sound arrives');
  await shot('aufnahme', { fullPage: false });
  await stop.click();
  await page.waitForSelector('.draft-status:has-text("Diktat erkannt")', { timeout: MODEL_TIMEOUT });
  const text = await dictation.inputValue();
  // Whisper capitalises as it hears the sentence start, which the fake microphone's timing moves.
  check(/antrag/i.test(text) && /unterlagen/i.test(text), `the transcript is in the dictation field (${text})`);
  await shot('erkannt', { fullPage: false });

  await page.getByRole('button', { name: 'Strukturieren' }).click();
  await page.waitForSelector('.process-form', { timeout: MODEL_TIMEOUT });
  const steps = await page.locator('.process-form fieldset.step').count();
  check(steps >= 1, `the draft from the spoken dictation has steps (${steps})`);
  await shot('entwurf');
}, { args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${audio}%noloop`] });

await run('speech-denied', async (page, shot) => {
  await open(page, '#/erfassen');
  await page.getByRole('button', { name: 'Diktieren' }).click();
  await page.waitForSelector('.draft-status:has-text("Mikrofon verweigert")');
  check(await page.getByRole('button', { name: 'Diktieren' }).isEnabled(), 'recording can be tried again');
  await shot('mikrofon-verweigert', { fullPage: false });
}, { args: ['--use-fake-device-for-media-stream', '--deny-permission-prompts'] });
