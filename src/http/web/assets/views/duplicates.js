// Dubletten: the review queue of suggested duplicate pairs, best score first, the two
// processes side by side with their shared steps marked, and keyboard shortcuts.

import { api, may } from '../api.js';
import { STEP_TYPE, errorBox, explain, formatNumber, h, render, statusBadge, toast } from '../dom.js';
import { patiently } from './gaps.js';

const DECISIONS = [
  { key: 'd', decision: 'duplicate', label: 'Dublette', cls: 'danger' },
  { key: 'v', decision: 'related', label: 'Verwandt', cls: 'secondary' },
  { key: 'n', decision: 'not_duplicate', label: 'Keine Dublette', cls: 'secondary' },
];

const percent = (x) => `${formatNumber(x * 100)} %`;

/** The reasons of the similarity layer in words. */
function reasonText(r) {
  switch (r.kind) {
    case 'embedding_similarity': return `Inhaltlich ähnlich (${percent(r.score)})`;
    case 'similar_title': return `Ähnlicher Titel (${percent(r.score)})`;
    case 'shared_steps': return `${r.steps.length} gemeinsame Schritte: ${r.steps.join(', ')}`;
    case 'same_leika_key': return `Gleicher LeiKa-Schlüssel ${r.key}`;
    case 'same_legal_basis': return `Gleiche Rechtsgrundlage: ${r.laws.join(', ')}`;
    case 'changed_since_decision': return `Schon einmal beurteilt (${r.decision}), seitdem deutlich geändert`;
    default: return r.text || r.kind;
  }
}

const words = (s) => new Set(s.toLowerCase().split(/[^a-zäöüß0-9]+/).filter((w) => w.length > 2));

/** Whether a step name is one of the shared steps (same words for the most part). */
function isShared(name, shared) {
  const own = words(name);
  return shared.some((other) => {
    const theirs = words(other);
    const common = [...own].filter((w) => theirs.has(w)).length;
    return common / Math.max(own.size, theirs.size, 1) >= 0.6;
  });
}

function column(stored, shared, side) {
  const p = stored.process;
  return h('article', { class: 'pair-side', 'aria-label': `Prozess ${side}` },
    h('p', { class: 'pair-label' }, `Prozess ${side}`),
    h('h2', {}, h('a', { href: `#/prozesse/${encodeURIComponent(stored.id)}`, target: '_blank' }, p.title)),
    h('p', { class: 'process-meta' }, statusBadge(stored.status), ` Version ${stored.version}`, p.meta?.owner_unit ? ` · ${p.meta.owner_unit}` : ''),
    p.summary ? h('p', {}, p.summary) : null,
    h('ol', { class: 'pair-steps' }, p.steps.map((st) => {
      const hit = isShared(st.name, shared);
      return h('li', { class: hit ? 'shared' : null },
        hit ? h('span', { class: 'sr-only' }, 'gemeinsam: ') : null,
        h('span', { class: 'muted' }, `${STEP_TYPE[st.type]}: `), st.name);
    })),
    p.legal_basis?.length ? h('p', { class: 'muted' }, `Rechtsgrundlagen: ${p.legal_basis.join('; ')}`) : null);
}

export async function show({ signal }) {
  // Right after a start the processes are still being embedded: wait, as the dashboard does.
  const found = await patiently('/api/duplicates', signal);
  const queue = [...(found.items || found.candidates || found)].sort((x, y) => y.score - x.score);
  let index = 0;
  const list = h('ol', { class: 'queue', 'aria-label': 'Vorgeschlagene Paare' });
  const detail = h('div', { class: 'pair', 'aria-live': 'polite' });
  const count = h('p', { class: 'result-count' });

  function drawQueue() {
    count.textContent = queue.length ? `${queue.length} offene Vorschläge` : '';
    list.replaceChildren(...queue.map((c, i) => h('li', {},
      h('button', { type: 'button', class: `queue-item${i === index ? ' current' : ''}`, 'aria-current': i === index ? 'true' : null, onclick: () => select(i) },
        h('span', { class: 'queue-score' }, percent(c.score)),
        h('span', {}, c.a_title, h('span', { class: 'muted' }, ' ↔ '), c.b_title)))));
  }

  async function select(i) {
    index = Math.max(0, Math.min(i, queue.length - 1));
    drawQueue();
    if (!queue.length) {
      detail.replaceChildren(h('p', { class: 'empty' }, 'Keine offenen Dublettenvorschläge – alles beurteilt.'));
      return;
    }
    const c = queue[index];
    detail.replaceChildren(h('p', { class: 'muted' }, 'Lädt …'));
    try {
      const [a, b] = await Promise.all([api(`/api/processes/${encodeURIComponent(c.a)}`, { signal }), api(`/api/processes/${encodeURIComponent(c.b)}`, { signal })]);
      if (queue[index] !== c) return;
      const shared = c.reasons.filter((r) => r.kind === 'shared_steps').flatMap((r) => r.steps);
      detail.replaceChildren(
        h('div', { class: 'pair-head' },
          h('p', { class: 'pair-score' }, `Ähnlichkeit ${percent(c.score)}`),
          h('ul', { class: 'reasons' }, c.reasons.map((r) => h('li', {}, reasonText(r))))),
        decisionForm(c, a, b),
        h('div', { class: 'pair-columns' }, column(a, shared, 'A'), column(b, shared, 'B')));
    } catch (err) {
      if (err.name !== 'AbortError') detail.replaceChildren(errorBox(err));
    }
  }

  function decisionForm(c, a, b) {
    const note = h('textarea', { id: 'decision-note', rows: 2, placeholder: 'Begründung (optional)' });
    const older = a.created_at <= b.created_at ? 'a' : 'b';
    const survivor = h('fieldset', { class: 'survivor' }, h('legend', {}, 'Bei Dublette behalten'),
      [['a', a.process.title], ['b', b.process.title]].map(([side, title]) => h('label', {},
        h('input', { type: 'radio', name: 'survivor', value: side, checked: side === older }), ` ${side.toUpperCase()}: ${title}`)));
    const decide = async (decision) => {
      const keep = survivor.querySelector('input:checked').value === 'a' ? c.a : c.b;
      try {
        await api('/api/duplicates/decisions', {
          method: 'POST',
          body: { a: c.a, b: c.b, decision, note: note.value.trim(), ...(decision === 'duplicate' ? { survivor: keep } : {}) },
        });
        toast(`Beurteilt: ${DECISIONS.find((d) => d.decision === decision).label}`, 'success');
        queue.splice(queue.indexOf(c), 1);
        select(index);
      } catch (err) {
        toast(explain(err), 'error');
      }
    };
    return h('form', { class: 'decision needs-reviewer', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'decision-note' }, 'Notiz'), note, survivor,
      h('div', { class: 'decision-buttons' }, DECISIONS.map((d) => h('button', {
        type: 'button', class: d.cls, dataset: { decision: d.decision }, 'aria-keyshortcuts': d.key.toUpperCase(), onclick: () => decide(d.decision),
      }, d.label, ' ', h('kbd', {}, d.key.toUpperCase())))));
  }

  // Shortcuts work wherever focus is not in a text field; Escape leaves the note field.
  const onKey = (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== 'radio';
    if (typing) {
      if (e.key === 'Escape') e.target.blur();
      return;
    }
    const key = e.key.toLowerCase();
    const decision = may('reviewer') && DECISIONS.find((d) => d.key === key);
    if (decision) document.querySelector(`[data-decision="${decision.decision}"]`)?.click();
    else if (key === 'j' || e.key === 'ArrowDown') select(index + 1);
    else if (key === 'k' || e.key === 'ArrowUp') select(index - 1);
    else if (key === 'e') document.getElementById('decision-note')?.focus();
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', onKey);

  render([
    h('div', { class: 'page-head' }, h('h1', {}, 'Dubletten prüfen'),
      h('p', { class: 'shortcuts muted' }, 'Tastatur: ', h('kbd', {}, 'J'), '/', h('kbd', {}, 'K'), ' nächstes/voriges Paar · ',
        h('kbd', {}, 'D'), ' Dublette · ', h('kbd', {}, 'V'), ' verwandt · ', h('kbd', {}, 'N'), ' keine Dublette · ',
        h('kbd', {}, 'E'), ' Notiz')),
    count,
    h('div', { class: 'review' }, h('nav', { class: 'queue-panel', 'aria-label': 'Warteschlange' }, list), detail),
  ]);
  await select(0);
  return { cleanup: () => document.removeEventListener('keydown', onKey) };
}
