// The editable form of a process: every field of the model, with findings shown next to
// the field they concern (matched by the JSON path the validator and the review report).

import { CRITICALITY, PROTECTION, STEP_TYPE, h } from './dom.js';

const PROTECTION_GOALS = [['confidentiality', 'Vertraulichkeit'], ['integrity', 'Integrität'], ['availability', 'Verfügbarkeit']];

/** Fills in the optional lists and objects so the form can bind to them. */
function normalise(p) {
  const out = structuredClone(p || {});
  for (const k of ['title', 'summary', 'trigger', 'outcome']) out[k] ??= '';
  for (const k of ['roles', 'steps', 'legal_basis', 'documents', 'systems']) out[k] ??= [];
  for (const st of out.steps) {
    st.next ??= [];
    for (const k of ['inputs', 'outputs', 'systems']) st[k] ??= [];
  }
  out.meta ??= {};
  out.meta.tags ??= [];
  return out;
}

const blank = (v) => v === undefined || v === null || (typeof v === 'string' && !v.trim());

/** The process as the API expects it: empty optional values left out. */
function clean(p) {
  const out = structuredClone(p);
  out.roles = out.roles.map((r) => (blank(r.unit) ? { id: r.id, name: r.name } : r));
  out.steps = out.steps.map((st) => {
    const s = { ...st, next: st.next.map((f) => (blank(f.condition) ? { to: f.to } : f)) };
    for (const k of ['role', 'description', 'duration']) if (blank(s[k])) delete s[k];
    for (const k of ['inputs', 'outputs', 'systems']) if (!s[k].length) delete s[k];
    return s;
  });
  const meta = {};
  for (const k of ['leika_key', 'owner_unit', 'criticality']) if (!blank(out.meta[k])) meta[k] = out.meta[k].trim();
  const need = out.meta.protection_need;
  if (need && PROTECTION_GOALS.some(([g]) => need[g])) {
    // The model needs all three goals once any is assessed; unassessed ones count as normal.
    meta.protection_need = Object.fromEntries(PROTECTION_GOALS.map(([g]) => [g, need[g] || 'normal']));
  }
  if (out.meta.tags.length) meta.tags = out.meta.tags;
  out.meta = meta;
  return out;
}

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);
const commaList = (text) => text.split(',').map((l) => l.trim()).filter(Boolean);

function uniqueId(prefix, taken) {
  let n = taken.length + 1;
  while (taken.includes(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

/** The parent of a JSON path: `steps[2].next[0]` → `steps[2].next` → `steps[2]` → `steps` → ``. */
function parentPath(path) {
  return path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
}

let formCount = 0;

/**
 * Builds the form. `onChange(process)` runs after every edit with the cleaned process.
 * Returns {el, get(), setFindings(findings)}.
 */
export function processForm(initial, { onChange } = {}) {
  const formId = `pf${++formCount}`;
  let p = normalise(initial);
  let findings = [];
  const el = h('form', { class: 'process-form', novalidate: true, onsubmit: (e) => e.preventDefault() });

  const changed = (structural) => {
    if (structural) draw();
    onChange?.(clean(p));
  };

  let fieldCount = 0;
  function field(label, path, input, hint) {
    const id = `${formId}-f${++fieldCount}`;
    input.id = id;
    return h('div', { class: 'field', dataset: { path } },
      h('label', { for: id }, label), input, hint ? h('small', { class: 'hint' }, hint) : null);
  }

  function text(label, path, get, set, { multiline = false, required = false, placeholder, hint, onCommit } = {}) {
    const input = h(multiline ? 'textarea' : 'input', {
      value: get() ?? '', required, placeholder, rows: multiline ? 3 : undefined,
      oninput: (e) => { set(e.target.value); changed(false); },
      onchange: onCommit,
    });
    return field(required ? `${label} *` : label, path, input, hint);
  }

  function select(label, path, options, get, set, { structural = false } = {}) {
    const current = get() ?? '';
    const input = h('select', { onchange: (e) => { set(e.target.value); changed(structural); } },
      options.map(([value, text]) => h('option', { value, selected: value === current }, text)));
    return field(label, path, input);
  }

  function list(label, path, get, set, hint) {
    const input = h('textarea', {
      value: get().join('\n'), rows: 3,
      oninput: (e) => { set(lines(e.target.value)); changed(false); },
    });
    return field(label, path, input, hint || 'Ein Eintrag pro Zeile');
  }

  function iconButton(label, symbol, onclick, disabled) {
    return h('button', { type: 'button', class: 'icon-button', 'aria-label': label, title: label, disabled, onclick }, symbol);
  }

  function basics() {
    return h('fieldset', { class: 'form-section', dataset: { path: '' } }, h('legend', {}, 'Grunddaten'),
      text('Titel', 'title', () => p.title, (v) => { p.title = v; }, { required: true, placeholder: 'z. B. Anwohnerparkausweis ausstellen' }),
      text('Zusammenfassung', 'summary', () => p.summary, (v) => { p.summary = v; }, { multiline: true }),
      h('div', { class: 'field-row' },
        text('Auslöser', 'trigger', () => p.trigger, (v) => { p.trigger = v; }),
        text('Ergebnis', 'outcome', () => p.outcome, (v) => { p.outcome = v; })));
  }

  function roles() {
    const rows = p.roles.map((r, i) => h('div', { class: 'role-row', dataset: { path: `roles[${i}]` } },
      text('ID', `roles[${i}].id`, () => r.id, (v) => { r.id = v.trim(); }, {
        onCommit: (e) => renameRole(i, e.target.value.trim()),
      }),
      text('Bezeichnung', `roles[${i}].name`, () => r.name, (v) => { r.name = v; }),
      text('Organisationseinheit', `roles[${i}].unit`, () => r.unit, (v) => { r.unit = v; }),
      iconButton(`Rolle ${r.name || r.id} entfernen`, '✕', () => { p.roles.splice(i, 1); changed(true); })));
    return h('fieldset', { class: 'form-section', dataset: { path: 'roles' } }, h('legend', {}, 'Rollen'),
      rows.length ? rows : h('p', { class: 'muted' }, 'Noch keine Rollen.'),
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        p.roles.push({ id: uniqueId('r', p.roles.map((r) => r.id)), name: '' });
        changed(true);
        focusLast('.role-row input');
      } }, '+ Rolle'));
  }

  // Role ids are referenced by steps: renaming one keeps those references intact.
  let roleIdsBefore = [];
  function renameRole(i, id) {
    const old = roleIdsBefore[i];
    if (old && old !== id) for (const st of p.steps) if (st.role === old) st.role = id;
    changed(true);
  }
  let stepIdsBefore = [];
  function renameStep(i, id) {
    const old = stepIdsBefore[i];
    if (old && old !== id) for (const st of p.steps) for (const f of st.next) if (f.to === old) f.to = id;
    changed(true);
  }

  function step(st, i) {
    const path = `steps[${i}]`;
    const roleOptions = [['', '– keine –'], ...p.roles.map((r) => [r.id, r.name || r.id])];
    const targets = [['', '– Ziel wählen –'], ...p.steps.filter((o) => o !== st).map((o) => [o.id, `${o.id}: ${o.name || STEP_TYPE[o.type]}`])];
    const flows = st.next.map((f, j) => h('div', { class: 'flow-row', dataset: { path: `${path}.next[${j}]` } },
      select('Weiter zu', `${path}.next[${j}].to`, targets, () => f.to, (v) => { f.to = v; }),
      st.type === 'decision' || f.condition
        ? text('Bedingung', `${path}.next[${j}].condition`, () => f.condition, (v) => { f.condition = v; }, { placeholder: 'z. B. ja' })
        : null,
      iconButton('Nachfolger entfernen', '✕', () => { st.next.splice(j, 1); changed(true); })));
    const move = (delta) => {
      const [moved] = p.steps.splice(i, 1);
      p.steps.splice(i + delta, 0, moved);
      changed(true);
      el.querySelector(`[data-path="steps[${i + delta}]"] .icon-button[data-move="${delta}"]`)?.focus();
    };
    return h('fieldset', { class: `step step-${st.type}`, dataset: { path } },
      h('legend', {}, `Schritt ${i + 1}`),
      h('div', { class: 'step-tools' },
        h('button', { type: 'button', class: 'icon-button', 'aria-label': `Schritt ${i + 1} nach oben`, title: 'Nach oben', disabled: i === 0, dataset: { move: -1 }, onclick: () => move(-1) }, '↑'),
        h('button', { type: 'button', class: 'icon-button', 'aria-label': `Schritt ${i + 1} nach unten`, title: 'Nach unten', disabled: i === p.steps.length - 1, dataset: { move: 1 }, onclick: () => move(1) }, '↓'),
        iconButton(`Schritt ${i + 1} entfernen`, '✕', () => {
          p.steps.splice(i, 1);
          for (const o of p.steps) o.next = o.next.filter((f) => f.to !== st.id);
          changed(true);
        })),
      h('div', { class: 'field-row step-head' },
        text('ID', `${path}.id`, () => st.id, (v) => { st.id = v.trim(); }, { onCommit: (e) => renameStep(i, e.target.value.trim()) }),
        select('Art', `${path}.type`, Object.entries(STEP_TYPE), () => st.type, (v) => { st.type = v; }, { structural: true }),
        text('Bezeichnung', `${path}.name`, () => st.name, (v) => { st.name = v; }, { required: true }),
        select('Rolle', `${path}.role`, roleOptions, () => st.role, (v) => { st.role = v; })),
      st.type === 'end' && !st.next.length ? null : h('div', { class: 'flows', dataset: { path: `${path}.next` } },
        flows,
        h('button', { type: 'button', class: 'secondary small', onclick: () => {
          st.next.push({ to: '' });
          changed(true);
          el.querySelector(`[data-path="${path}.next[${st.next.length - 1}]"] select`)?.focus();
        } }, st.type === 'decision' ? '+ Zweig' : '+ Nachfolger')),
      h('details', { class: 'step-more', open: !!(st.description || st.duration || st.inputs.length || st.outputs.length || st.systems.length) },
        h('summary', {}, 'Weitere Angaben'),
        text('Beschreibung', `${path}.description`, () => st.description, (v) => { st.description = v; }, { multiline: true }),
        h('div', { class: 'field-row' },
          text('Dauer / Frist', `${path}.duration`, () => st.duration, (v) => { st.duration = v; }, { placeholder: 'z. B. 2 Wochen' }),
          text('Eingänge', `${path}.inputs`, () => st.inputs.join(', '), (v) => { st.inputs = commaList(v); }, { hint: 'Durch Komma getrennt' }),
          text('Ergebnisse', `${path}.outputs`, () => st.outputs.join(', '), (v) => { st.outputs = commaList(v); }, { hint: 'Durch Komma getrennt' }),
          text('Systeme', `${path}.systems`, () => st.systems.join(', '), (v) => { st.systems = commaList(v); }, { hint: 'Durch Komma getrennt' }))));
  }

  function steps() {
    return h('fieldset', { class: 'form-section', dataset: { path: 'steps' } }, h('legend', {}, 'Schritte und Entscheidungen'),
      p.steps.map(step),
      h('button', { type: 'button', class: 'secondary', onclick: () => {
        const id = uniqueId('s', p.steps.map((s) => s.id));
        const endIndex = p.steps.findIndex((s) => s.type === 'end');
        const at = endIndex < 0 ? p.steps.length : endIndex;
        p.steps.splice(at, 0, { id, type: p.steps.length ? 'task' : 'start', name: '', next: [], inputs: [], outputs: [], systems: [] });
        changed(true);
        el.querySelector(`[data-path="steps[${at}].name"] input`)?.focus();
      } }, '+ Schritt'));
  }

  function lists() {
    return h('fieldset', { class: 'form-section' }, h('legend', {}, 'Dokumente, Systeme, Rechtsgrundlagen'),
      h('div', { class: 'field-row' },
        list('Dokumente', 'documents', () => p.documents, (v) => { p.documents = v; }),
        list('IT-Systeme', 'systems', () => p.systems, (v) => { p.systems = v; }),
        list('Rechtsgrundlagen', 'legal_basis', () => p.legal_basis, (v) => { p.legal_basis = v; }, 'Ein Paragraf pro Zeile, z. B. § 45 StVO')));
  }

  function meta() {
    const m = p.meta;
    const need = () => (m.protection_need ??= {});
    return h('fieldset', { class: 'form-section', dataset: { path: 'meta' } }, h('legend', {}, 'Metadaten'),
      h('div', { class: 'field-row' },
        text('LeiKa-Schlüssel', 'meta.leika_key', () => m.leika_key, (v) => { m.leika_key = v; }, { placeholder: '14 Ziffern' }),
        text('Zuständige Einheit', 'meta.owner_unit', () => m.owner_unit, (v) => { m.owner_unit = v; }, { placeholder: 'z. B. 32 Ordnungsamt' }),
        select('Kritikalität', 'meta.criticality', [['', '– nicht bewertet –'], ...Object.entries(CRITICALITY)], () => m.criticality, (v) => { m.criticality = v; })),
      h('div', { class: 'field-row', dataset: { path: 'meta.protection_need' } },
        PROTECTION_GOALS.map(([goal, label]) => select(`Schutzbedarf ${label}`, `meta.protection_need.${goal}`,
          [['', '– nicht bewertet –'], ...Object.entries(PROTECTION)], () => m.protection_need?.[goal], (v) => { need()[goal] = v; }))),
      text('Schlagwörter', 'meta.tags', () => m.tags.join(', '), (v) => { m.tags = commaList(v); }, { hint: 'Durch Komma getrennt' }));
  }

  function focusLast(selector) {
    const all = el.querySelectorAll(selector);
    all[all.length - 1]?.focus();
  }

  function placeFindings() {
    for (const old of el.querySelectorAll('.finding')) old.remove();
    for (const old of el.querySelectorAll('.has-error, .has-warning')) old.classList.remove('has-error', 'has-warning');
    for (const f of findings) {
      let path = f.path || '';
      let target = null;
      for (;;) {
        target = el.querySelector(`[data-path="${CSS.escape(path)}"]`);
        if (target || !path) break;
        path = parentPath(path);
      }
      target ??= el;
      const kind = f.severity === 'error' ? 'error' : 'warning';
      target.classList.add(`has-${kind}`);
      const note = h('p', { class: `finding finding-${kind}`, role: kind === 'error' ? 'alert' : 'note' },
        h('strong', { class: 'finding-kind' }, kind === 'error' ? 'Fehler:' : 'Hinweis:'),
        f.message, f.fix ? h('span', { class: 'finding-fix' }, ` Vorschlag: ${f.fix}`) : null,
        f.source === 'llm' ? h('span', { class: 'finding-source' }, ' (KI-Prüfung)') : null);
      const legend = target.querySelector(':scope > legend');
      if (legend) legend.after(note);
      else target.append(note);
    }
  }

  function draw() {
    roleIdsBefore = p.roles.map((r) => r.id);
    stepIdsBefore = p.steps.map((s) => s.id);
    el.replaceChildren(basics(), roles(), steps(), lists(), meta());
    placeFindings();
  }

  draw();
  return {
    el,
    get: () => clean(p),
    set(process) {
      p = normalise(process);
      draw();
    },
    setFindings(list) {
      findings = list || [];
      placeFindings();
    },
  };
}
