// Erfassen: dictate rough steps, let the local model structure them (streamed), then edit the
// draft beside its live diagram, see review findings and similar processes, and save it.

import { ApiError, api, streamEvents } from '../api.js';
import { diagramPanel } from '../diagram.js';
import { STEP_TYPE, errorBox, formatNumber, h, render, toast } from '../dom.js';
import { processForm } from '../form.js';
import { similarPanel } from '../similar.js';
import { startRecording, unavailable } from '../recorder.js';
import { saveError } from './process.js';

const LOADING_RETRIES = 60;

/** Appends `text` to the dictation, with a space where needed. */
function append(textarea, text) {
  const gap = textarea.value && !/\s$/.test(textarea.value) ? ' ' : '';
  textarea.value += `${gap}${text}`;
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * Dictation by voice: records in the browser, transcribes on this server (the local speech
 * model), and appends the text to `textarea` window by window as it is recognised.
 */
function microphone(textarea, say) {
  const why = unavailable();
  const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Diktieren');
  if (why) {
    button.disabled = true;
    button.title = why;
    return h('span', { class: 'microphone' }, button, h('span', { class: 'muted' }, why));
  }
  const level = h('meter', { class: 'mic-level', min: 0, max: 1, value: 0, 'aria-label': 'Lautstärke', hidden: true });
  const clock = h('span', { class: 'mic-time', 'aria-live': 'off', hidden: true });
  const discard = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Verwerfen');
  let recording = null;
  let ticking = null;
  const idle = () => {
    clearInterval(ticking);
    recording = null;
    button.setAttribute('aria-pressed', 'false');
    button.textContent = 'Diktieren';
    button.disabled = false;
    level.hidden = clock.hidden = discard.hidden = true;
  };
  discard.onclick = async () => {
    await recording?.discard();
    idle();
    say('Aufnahme verworfen.');
  };
  button.onclick = async () => {
    if (!recording) {
      button.disabled = true;
      try {
        recording = await startRecording((v) => { level.value = v; });
      } catch (e) {
        idle();
        say(e.message);
        return;
      }
      button.disabled = false;
      button.setAttribute('aria-pressed', 'true');
      button.textContent = 'Aufnahme beenden';
      level.hidden = clock.hidden = discard.hidden = false;
      const tick = () => { clock.textContent = `● ${Math.floor(recording.seconds())} s`; };
      tick();
      ticking = setInterval(tick, 250);
      say('Aufnahme läuft – sprechen Sie Ihr Diktat, dann „Aufnahme beenden“.');
      return;
    }
    const audio = await recording.stop();
    idle();
    button.disabled = true;
    say('Die Aufnahme wird auf diesem Server erkannt …');
    try {
      for await (const { event, data } of streamEvents('/api/transcribe/stream', audio)) {
        if (event === 'partial') append(textarea, data.text);
        else if (event === 'done') say(`Diktat erkannt (${formatNumber(data.audio_seconds, 0)} s Aufnahme). Bitte prüfen und dann „Strukturieren“.`);
        else if (event === 'error') throw new ApiError(data.status, data);
      }
    } catch (e) {
      say(`Die Aufnahme wurde nicht erkannt: ${e.message}`);
    } finally {
      button.disabled = false;
    }
  };
  return h('span', { class: 'microphone' }, button, level, clock, discard);
}

/** The lines of the draft as the model writes them. */
function liveLine(event, data) {
  if (event === 'title') return h('li', { class: 'live-title' }, data.title);
  if (event === 'role') return h('li', { class: 'live-role' }, `Rolle: ${data.name}`);
  const targets = (data.targets || []).map((t) => (t.condition ? `${t.condition} → ${t.to}` : `→ ${t.to}`)).join(' | ');
  return h('li', { class: `live-step live-${data.type}` },
    h('span', { class: 'live-number' }, `${data.number}.`), ` ${STEP_TYPE[data.type] || data.type}: ${data.name}`,
    data.role ? h('span', { class: 'muted' }, ` (${data.role})`) : null,
    targets ? h('span', { class: 'muted' }, ` ${targets}`) : null);
}

export async function show({ query, signal }) {
  const seed = { title: query.titel || '', leika_key: query.leika || '' };
  const dictation = h('textarea', {
    id: 'dictation', rows: 8, required: true,
    placeholder: 'z. B.: Antrag kommt per Post oder online. Sachbearbeitung prüft die Unterlagen. Wenn vollständig, Bescheid erstellen, sonst Unterlagen nachfordern. Kasse bucht die Gebühr. Bescheid versenden.',
  });
  const statusLine = h('p', { class: 'draft-status', 'aria-live': 'polite' });
  const say = (text) => { statusLine.textContent = text; };
  const lines = h('ol', { class: 'live-lines', 'aria-label': 'Erkannte Zeilen' });
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Fortschritt', hidden: true }, h('span'));
  const result = h('div', { class: 'draft-result' });
  let dirty = false;
  let running = null;
  let editor = null;

  const structure = h('button', { type: 'submit' }, 'Strukturieren');
  const cancel = h('button', { type: 'button', class: 'danger', hidden: true, onclick: () => running?.abort() }, 'Abbrechen');
  const empty = h('button', { type: 'button', class: 'secondary', onclick: () => showEditor({ title: seed.title, steps: [], meta: { leika_key: seed.leika_key || undefined } }, null) }, 'Ohne KI ins Formular');

  const setRunning = (on) => {
    structure.disabled = on;
    empty.disabled = on;
    cancel.hidden = !on;
    bar.hidden = !on;
    lines.setAttribute('aria-busy', String(on));
  };

  async function draft(e) {
    e.preventDefault();
    const text = dictation.value.trim();
    if (!text) {
      say('Bitte zuerst die Schritte diktieren oder eintippen.');
      dictation.focus();
      return;
    }
    running = new AbortController();
    const stop = () => running?.abort();
    signal.addEventListener('abort', stop);
    lines.replaceChildren();
    result.replaceChildren();
    setRunning(true);
    const started = performance.now();
    let count = 0;
    const tick = setInterval(() => say(`Das Modell strukturiert … ${count} Zeilen · ${formatNumber((performance.now() - started) / 1000, 1)} s`), 250);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          for await (const { event, data } of streamEvents('/api/draft/stream', { text, save: false }, running.signal)) {
            if (event === 'started') say(`Modell ${data.model_id} arbeitet …`);
            else if (['title', 'role', 'step'].includes(event)) {
              count++;
              // The model writes the title last (the steps come sooner); it belongs on top.
              if (event === 'title') lines.prepend(liveLine(event, data));
              else lines.append(liveLine(event, data));
            } else if (event === 'error') throw new ApiError(data.status, data);
            else if (event === 'done') {
              finished(data, (performance.now() - started) / 1000);
              return;
            }
          }
          throw new ApiError(0, { error: 'Die Verbindung brach ab, bevor der Entwurf fertig war.' });
        } catch (err) {
          // The model loads in the background after a server start: wait for it instead of failing.
          if (err instanceof ApiError && err.type === 'loading' && attempt < LOADING_RETRIES) {
            say('Das Sprachmodell wird noch geladen – gleich geht es los …');
            await new Promise((resolve) => setTimeout(resolve, 3000));
            if (running.signal.aborted) throw new DOMException('abgebrochen', 'AbortError');
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (err.name === 'AbortError') say('Abgebrochen. Der Text bleibt erhalten.');
      else {
        say('');
        result.replaceChildren(errorBox(err));
      }
    } finally {
      clearInterval(tick);
      setRunning(false);
      signal.removeEventListener('abort', stop);
      running = null;
    }
  }

  function finished(data, seconds) {
    const g = data.stats.generation;
    say(`Fertig in ${formatNumber(seconds, 1)} s: ${g.new_tokens} Token, ${formatNumber(g.decode_tok_s, 1)} Token/s (${data.stats.model_id}).`);
    const process = data.process;
    if (seed.leika_key) process.meta = { ...process.meta, leika_key: seed.leika_key };
    showEditor(process, data);
  }

  function showEditor(process, data) {
    dirty = true;
    const diagram = diagramPanel();
    const similar = similarPanel();
    editor?.cleanup();
    const form = processForm(process, { onChange: (p) => { diagram.update(p); similar.update(p); } });
    editor = { cleanup: () => diagram.stop() };
    form.setFindings(data?.findings || []);
    const repairs = data?.repairs?.length
      ? h('details', { class: 'notice' }, h('summary', {}, `${data.repairs.length} automatische Korrekturen am Entwurf`),
        h('ul', {}, data.repairs.map((r) => h('li', {}, `${r.path}: ${r.message}`))))
      : null;
    const reason = h('input', { id: 'draft-reason', value: 'aus Diktat erfasst', maxlength: 500 });
    const saveStatus = h('div', { class: 'save-status', 'aria-live': 'polite' });
    const review = h('button', { type: 'button', class: 'secondary', onclick: async () => {
      review.disabled = true;
      review.textContent = 'Prüft …';
      try {
        const found = await api('/api/review', { method: 'POST', body: { process: form.get(), llm: true }, signal });
        form.setFindings(found.findings);
        toast(`${found.findings.length} Hinweise aus der Prüfung`, 'info');
      } catch (err) {
        if (err.name !== 'AbortError') saveStatus.replaceChildren(errorBox(err));
      } finally {
        review.disabled = false;
        review.textContent = 'Prüfen lassen';
      }
    } }, 'Prüfen lassen');
    const save = async (e) => {
      e.preventDefault();
      saveStatus.replaceChildren();
      try {
        const saved = await api('/api/processes', { method: 'POST', body: form.get(), query: { reason: reason.value.trim() } });
        dirty = false;
        toast('Prozess gespeichert', 'success');
        location.hash = `#/prozesse/${encodeURIComponent(saved.id)}`;
      } catch (err) {
        saveStatus.append(saveError(err, form, null));
      }
    };
    result.replaceChildren(...[
      repairs,
      h('div', { class: 'split' },
        h('div', { class: 'split-form' }, h('h2', {}, 'Strukturierter Prozess'), form.el),
        h('div', { class: 'split-side' }, similar.el, diagram.el)),
      h('form', { class: 'save-bar', onsubmit: save },
        h('label', { for: 'draft-reason' }, 'Grund'), reason,
        h('button', { type: 'submit' }, 'Speichern'), review, saveStatus),
    ].filter(Boolean));
    diagram.update(form.get());
    similar.update(form.get());
    form.el.querySelector('input')?.focus();
  }

  render([
    h('div', { class: 'page-head' }, h('h1', {}, 'Prozess erfassen')),
    seed.title ? h('p', { class: 'notice' }, `Für die Leistung „${seed.title}“${seed.leika_key ? ` (LeiKa ${seed.leika_key})` : ''}.`) : null,
    h('form', { class: 'panel dictation', onsubmit: draft },
      h('label', { for: 'dictation', class: 'big-label' }, 'Grobe Schritte – so, wie Sie den Ablauf erzählen würden'),
      dictation,
      h('div', { class: 'dictation-actions' }, microphone(dictation, say), structure, cancel, empty),
      bar, statusLine, lines),
    result,
  ]);
  dictation.value = seed.title ? `${seed.title}: ` : '';
  dictation.focus();
  return {
    isDirty: () => dirty,
    cleanup: () => {
      running?.abort();
      editor?.cleanup();
    },
  };
}
