// Erfassen: dictate rough steps, let the local model structure them (streamed), then edit the
// draft beside its live diagram, see review findings and similar processes, and save it.

import { ApiError, api, streamEvents } from '../api.js';
import { diagramPanel } from '../diagram.js';
import { STEP_TYPE, errorBox, formatNumber, h, render, toast } from '../dom.js';
import { processForm } from '../form.js';
import { similarPanel } from '../similar.js';
import { saveError } from './process.js';

const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
const LOADING_RETRIES = 60;

/** A button that appends what the browser's speech recognition hears to `textarea`. */
function microphone(textarea, say) {
  if (!Recognition) {
    return h('button', { type: 'button', class: 'secondary', disabled: true, title: 'Dieser Browser bietet keine Spracherkennung – bitte tippen.' }, 'Diktieren (nicht verfügbar)');
  }
  let recognition = null;
  const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', onclick: () => {
    if (recognition) {
      recognition.stop();
      return;
    }
    recognition = new Recognition();
    recognition.lang = 'de-DE';
    recognition.continuous = true;
    recognition.onresult = (e) => {
      for (let i = e.resultIndex; i < e.results.length; i++) {
        if (e.results[i].isFinal) textarea.value += `${textarea.value && !textarea.value.endsWith('\n') ? ' ' : ''}${e.results[i][0].transcript.trim()}`;
      }
    };
    recognition.onerror = (e) => say(`Spracherkennung: ${e.error}`);
    recognition.onend = () => {
      recognition = null;
      button.setAttribute('aria-pressed', 'false');
      button.textContent = 'Diktieren';
    };
    recognition.start();
    button.setAttribute('aria-pressed', 'true');
    button.textContent = 'Diktat beenden';
  } }, 'Diktieren');
  return button;
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
