// The difference between two versions of a process, as lines a clerk can read.

import { CRITICALITY, PROTECTION, STEP_TYPE, h } from './dom.js';

/** One line per fact of the process, in a stable order, so that a line diff shows what changed. */
export function processLines(p) {
  const lines = [`Titel: ${p.title}`];
  const text = (label, value) => value && lines.push(`${label}: ${value}`);
  text('Zusammenfassung', p.summary);
  text('Auslöser', p.trigger);
  text('Ergebnis', p.outcome);
  const roleName = (id) => p.roles?.find((r) => r.id === id)?.name || id;
  for (const r of p.roles || []) lines.push(`Rolle ${r.id}: ${r.name}${r.unit ? ` (${r.unit})` : ''}`);
  for (const st of p.steps || []) {
    lines.push(`Schritt ${st.id} [${STEP_TYPE[st.type] || st.type}]: ${st.name}${st.role ? ` – ${roleName(st.role)}` : ''}`);
    text(`  Beschreibung ${st.id}`, st.description);
    text(`  Dauer ${st.id}`, st.duration);
    for (const [label, list] of [['Eingänge', st.inputs], ['Ergebnisse', st.outputs], ['Systeme', st.systems]]) {
      if (list?.length) lines.push(`  ${label} ${st.id}: ${list.join(', ')}`);
    }
    for (const f of st.next || []) lines.push(`  ${st.id} → ${f.to}${f.condition ? ` wenn „${f.condition}“` : ''}`);
  }
  for (const x of p.legal_basis || []) lines.push(`Rechtsgrundlage: ${x}`);
  for (const x of p.documents || []) lines.push(`Dokument: ${x}`);
  for (const x of p.systems || []) lines.push(`System: ${x}`);
  const m = p.meta || {};
  text('LeiKa-Schlüssel', m.leika_key);
  text('Zuständige Einheit', m.owner_unit);
  text('Kritikalität', CRITICALITY[m.criticality]);
  if (m.protection_need) {
    const n = m.protection_need;
    lines.push(`Schutzbedarf: Vertraulichkeit ${PROTECTION[n.confidentiality]}, Integrität ${PROTECTION[n.integrity]}, ` +
      `Verfügbarkeit ${PROTECTION[n.availability]}`);
  }
  if (m.tags?.length) lines.push(`Schlagwörter: ${m.tags.join(', ')}`);
  return lines;
}

/** A line diff by longest common subsequence: [{op: ' ' | '-' | '+', text}]. */
export function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push({ op: ' ', text: a[i] }); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', text: a[i++] });
    else out.push({ op: '+', text: b[j++] });
  }
  while (i < n) out.push({ op: '-', text: a[i++] });
  while (j < m) out.push({ op: '+', text: b[j++] });
  return out;
}

/** The diff as a list; unchanged runs longer than `context` lines on both sides are folded. */
export function renderDiff(ops, context = 2) {
  const changed = ops.map((o) => o.op !== ' ');
  const near = ops.map((_, k) => changed.slice(Math.max(0, k - context), k + context + 1).some(Boolean));
  const list = h('ol', { class: 'diff', 'aria-label': 'Änderungen' });
  let folded = 0;
  const flush = () => {
    if (folded) list.append(h('li', { class: 'diff-fold' }, `… ${folded} unveränderte Zeilen …`));
    folded = 0;
  };
  ops.forEach((o, k) => {
    if (!near[k]) { folded++; return; }
    flush();
    const kind = { ' ': 'same', '-': 'del', '+': 'ins' }[o.op];
    const sr = { ' ': '', '-': 'entfernt: ', '+': 'neu: ' }[o.op];
    list.append(h('li', { class: `diff-${kind}` }, h('span', { class: 'sr-only' }, sr), h('span', { class: 'diff-op', 'aria-hidden': 'true' }, o.op), o.text));
  });
  flush();
  if (!changed.some(Boolean)) list.append(h('li', { class: 'diff-same' }, 'Keine inhaltlichen Unterschiede.'));
  return list;
}
