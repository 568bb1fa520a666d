// The process page (wiki page with diagram), its history with a diff, and the editor.

import { ApiError, api, apiText } from '../api.js';
import { diagramPanel } from '../diagram.js';
import { diffLines, processLines, renderDiff } from '../diff.js';
import { STATUS, download, errorBox, explain, formatDate, h, render, slug, statusBadge, toast } from '../dom.js';
import { processForm } from '../form.js';

const base = (id) => `/api/processes/${encodeURIComponent(id)}`;
const pageHref = (id) => `#/prozesse/${encodeURIComponent(id)}`;

function head(stored, current) {
  const id = stored.id;
  const tab = (href, label, name, extra = '') => h('a', { href, class: `tab${extra}`, 'aria-current': name === current ? 'page' : null }, label);
  return h('div', { class: 'process-head' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '#/prozesse' }, 'Prozesse'), ' › '),
    h('h1', {}, stored.process.title),
    h('p', { class: 'process-meta' }, statusBadge(stored.status), ` Version ${stored.current_version}`,
      ` · zuletzt geändert ${formatDate(stored.updated_at)} von ${stored.author}`),
    h('nav', { class: 'tabs', 'aria-label': 'Ansichten des Prozesses' },
      tab(pageHref(id), 'Wikiseite', 'page'),
      tab(`${pageHref(id)}/verlauf`, 'Verlauf', 'history'),
      tab(`${pageHref(id)}/bearbeiten`, 'Bearbeiten', 'edit', ' needs-clerk')));
}

function downloads(stored) {
  const id = stored.id;
  const name = slug(stored.process.title);
  return h('div', { class: 'downloads', role: 'group', 'aria-label': 'Herunterladen' },
    h('span', { class: 'downloads-label' }, 'Herunterladen:'),
    h('a', { class: 'button secondary', href: `${base(id)}/bpmn`, download: `${name}.bpmn` }, 'BPMN'),
    h('a', { class: 'button secondary', href: `${base(id)}/page?format=md`, download: `${name}.md` }, 'Markdown'),
    h('a', { class: 'button secondary', href: `${base(id)}/page?format=html`, download: `${name}.html` }, 'HTML'),
    h('button', { type: 'button', class: 'secondary', onclick: () => download(`${name}.json`, JSON.stringify(stored.process, null, 2), 'application/json') }, 'JSON'));
}

function statusControl(stored) {
  const choice = h('select', { id: 'status-select' },
    Object.entries(STATUS).map(([value, label]) => h('option', { value, selected: value === stored.status }, label)));
  return h('form', { class: 'status-form needs-clerk', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api(`${base(stored.id)}/status`, { method: 'POST', body: { status: choice.value } });
      toast(`Status: ${STATUS[choice.value]}`, 'success');
      document.querySelector('.process-meta .badge').replaceWith(statusBadge(choice.value));
    } catch (err) {
      toast(explain(err), 'error');
    }
  } }, h('label', { for: 'status-select' }, 'Status'), choice, h('button', { type: 'submit', class: 'secondary' }, 'Ändern'));
}

/** The wiki page of the BPMN export, inside a frame so its own styles stay its own. */
async function wikiPage(id, signal) {
  let html;
  try {
    html = await apiText(`${base(id)}/page`, { query: { format: 'html' }, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return errorBox(err);
  }
  const frame = h('iframe', { class: 'wiki-frame', title: 'Wikiseite des Prozesses', srcdoc: html });
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (doc?.documentElement) frame.style.height = `${doc.documentElement.scrollHeight + 8}px`;
  });
  return frame;
}

/** Neighbours from the similarity index, and steps most of them have that this one lacks. */
async function similar(id, signal) {
  let report;
  try {
    report = await api(`${base(id)}/similar`, { signal });
    // A fresh save is embedded in the background within seconds: ask again until it is.
    for (let tries = 0; report.pending && tries < 10; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      report = await api(`${base(id)}/similar`, { signal });
    }
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    return err.missingEndpoint ? null : errorBox(err);
  }
  if (!report.similar.length && !report.missing_steps.length) return null;
  return h('section', { class: 'panel' }, h('h2', {}, 'Ähnliche Prozesse'),
    h('ul', { class: 'similar-list' }, report.similar.map((s) => h('li', {},
      h('a', { href: pageHref(s.id) }, s.title), ' ', h('span', { class: 'score' }, `${Math.round(s.score * 100)} % ähnlich`)))),
    report.missing_steps.length ? [h('h3', {}, 'Schritte, die ähnliche Prozesse haben und dieser nicht'),
      h('ul', {}, report.missing_steps.map((m) => h('li', {}, m.step, h('span', { class: 'muted' }, ` (in ${m.found_in} von ${m.of})`))))] : null);
}

export async function show({ params: [id], signal }) {
  const [stored, page, related] = await Promise.all([api(base(id), { signal }), wikiPage(id, signal), similar(id, signal)]);
  render([head(stored, 'page'), h('div', { class: 'toolbar' }, downloads(stored), statusControl(stored)), page, related]);
}

export async function showHistory({ params: [id], query, signal }) {
  const [stored, versions] = await Promise.all([api(base(id), { signal }), api(`${base(id)}/versions`, { signal })]);
  const latest = versions[versions.length - 1].version;
  const to = Number(query.bis) || latest;
  const from = Number(query.von) || Math.max(1, to - 1);
  const [a, b] = await Promise.all([
    api(base(id), { query: { version: from }, signal }),
    api(base(id), { query: { version: to }, signal }),
  ]);
  const pick = (name, version) => h('input', {
    type: 'radio', name, value: version, checked: version === (name === 'von' ? from : to),
    'aria-label': `Version ${version} als ${name === 'von' ? 'Ausgangsversion' : 'Vergleichsversion'}`,
    onchange: () => {
      const f = document.querySelector('input[name=von]:checked').value;
      const t = document.querySelector('input[name=bis]:checked').value;
      location.hash = `${pageHref(id)}/verlauf?von=${f}&bis=${t}`;
    },
  });
  const table = h('table', { class: 'data-table versions' },
    h('caption', { class: 'sr-only' }, 'Versionen'),
    h('thead', {}, h('tr', {}, ['Von', 'Bis', 'Version', 'Autor', 'Grund', 'Zeit'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, [...versions].reverse().map((v) => h('tr', { class: v.version === from || v.version === to ? 'selected' : null },
      h('td', {}, pick('von', v.version)), h('td', {}, pick('bis', v.version)),
      h('td', { class: 'num' }, v.version), h('td', {}, v.author), h('td', {}, v.reason || '–'), h('td', {}, formatDate(v.created_at))))));
  render([
    head(stored, 'history'),
    h('div', { class: 'history' },
      h('section', { class: 'panel' }, h('h2', {}, 'Versionen'), h('div', { class: 'table-wrap' }, table)),
      h('section', { class: 'panel' }, h('h2', {}, `Unterschiede von Version ${from} zu Version ${to}`),
        renderDiff(diffLines(processLines(a.process), processLines(b.process))))),
  ]);
}

/** The editor beside the live diagram; saving sends the version it started from. */
export async function showEditor({ params: [id], signal }) {
  const stored = await api(base(id), { signal });
  let dirty = false;
  const diagram = diagramPanel();
  const form = processForm(stored.process, {
    onChange: (process) => {
      dirty = true;
      diagram.update(process);
    },
  });
  const reason = h('input', { id: 'edit-reason', placeholder: 'z. B. Frist ergänzt', maxlength: 500 });
  const status = h('div', { class: 'save-status', 'aria-live': 'polite' });
  const save = async (e) => {
    e.preventDefault();
    status.replaceChildren();
    try {
      const saved = await api(base(id), { method: 'PUT', body: { expected_version: stored.version, process: form.get(), reason: reason.value.trim() } });
      dirty = false;
      toast(`Gespeichert als Version ${saved.version}`, 'success');
      location.hash = pageHref(id);
    } catch (err) {
      status.append(saveError(err, form, id));
    }
  };
  render([
    head(stored, 'edit'),
    h('div', { class: 'split' },
      h('div', { class: 'split-form' }, form.el),
      h('div', { class: 'split-side' }, diagram.el)),
    h('form', { class: 'save-bar', onsubmit: save },
      h('label', { for: 'edit-reason' }, 'Grund der Änderung'), reason,
      h('button', { type: 'submit' }, 'Speichern'),
      h('a', { class: 'button secondary', href: pageHref(id) }, 'Abbrechen'),
      status),
  ]);
  diagram.update(form.get());
  return { isDirty: () => dirty, cleanup: () => diagram.stop() };
}

/** Explains a failed save: a conflict, or the findings next to the fields. */
export function saveError(err, form, id) {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 409) {
    return h('div', { class: 'notice notice-error', role: 'alert' },
      `Inzwischen wurde Version ${err.details?.current_version} gespeichert. `,
      h('a', { href: `${pageHref(id)}/verlauf` }, 'Änderungen ansehen'),
      ' und danach erneut bearbeiten.');
  }
  if (err.status === 422 && err.details) {
    form.setFindings([...(err.details.errors || []), ...(err.details.warnings || [])]);
    form.el.querySelector('.finding-error')?.scrollIntoView({ block: 'center' });
    return h('div', { class: 'notice notice-error', role: 'alert' },
      `Nicht gespeichert: ${err.details.errors?.length || 0} Fehler im Formular (markiert).`);
  }
  return errorBox(err);
}
