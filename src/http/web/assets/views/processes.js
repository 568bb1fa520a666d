// Prozesse: search and filter the catalogue of documented processes.

import { api } from '../api.js';
import { CRITICALITY, STATUS, debounce, formatDate, h, render, statusBadge } from '../dom.js';

const FLAGS = {
  stale: 'Nicht geprüft seit 12+ Monaten',
  critical: 'Kritisch (Kritikalität × Schutzbedarf)',
  single_role: 'Hängt an einer Rolle',
};
const NO_UNIT = '–';

const matchesFlag = {
  stale: (f) => f.stale,
  critical: (f) => f.critical,
  single_role: (f) => !!f.single_role,
};

export async function show({ query, signal }) {
  const filter = { q: query.q || '', status: query.status || '', unit: query.unit || '', topic: query.topic || '',
    criticality: query.criticality || '', flag: query.flag || '' };
  const [page, stats] = await Promise.all([
    api('/api/processes', { query: { q: filter.q, status: filter.status, limit: 500 }, signal }),
    api('/api/stats', { signal }).catch((e) => (e.name === 'AbortError' ? Promise.reject(e) : null)),
  ]);
  const facts = new Map((stats?.processes || []).map((f) => [f.id, f]));
  const units = [...new Set([...facts.values()].map((f) => f.owner_unit || NO_UNIT))].sort();
  const topics = [...new Set([...facts.values()].flatMap((f) => f.tags))].sort();

  const rows = page.items.filter((item) => {
    const f = facts.get(item.id);
    if (!f) return !(filter.unit || filter.topic || filter.criticality || filter.flag);
    return (!filter.unit || (f.owner_unit || NO_UNIT) === filter.unit) &&
      (!filter.topic || f.tags.includes(filter.topic)) &&
      (!filter.criticality || f.criticality === filter.criticality) &&
      (!filter.flag || matchesFlag[filter.flag]?.(f));
  });

  const apply = (changes) => {
    const next = { ...filter, ...changes };
    const search = new URLSearchParams(Object.entries(next).filter(([, v]) => v));
    location.hash = `#/prozesse${search.toString() ? `?${search}` : ''}`;
  };
  const choice = (label, key, options) => h('label', { class: 'filter' }, label,
    h('select', { name: key, onchange: (e) => apply({ [key]: e.target.value }) },
      h('option', { value: '' }, 'alle'),
      options.map(([value, text]) => h('option', { value, selected: value === filter[key] }, text))));

  const search = h('input', {
    type: 'search', name: 'q', value: filter.q, placeholder: 'Titel, Zusammenfassung, Schritte …',
    oninput: debounce((e) => apply({ q: e.target.value.trim() }), 350),
  });
  const bar = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply({ q: search.value.trim() }); } },
    h('label', { class: 'filter filter-search' }, 'Suche', search),
    choice('Status', 'status', Object.entries(STATUS)),
    stats ? [
      choice('Einheit', 'unit', units.map((u) => [u, u === NO_UNIT ? 'ohne Zuordnung' : u])),
      choice('Thema', 'topic', topics.map((t) => [t, t])),
      choice('Kritikalität', 'criticality', Object.entries(CRITICALITY)),
      choice('Auffälligkeit', 'flag', Object.entries(FLAGS)),
    ] : null);

  const table = h('table', { class: 'data-table processes' },
    h('caption', { class: 'sr-only' }, 'Prozesse'),
    h('thead', {}, h('tr', {}, ['Titel', 'Status', 'Einheit', 'Kritikalität', 'Version', 'Zuletzt geändert'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((item) => {
      const f = facts.get(item.id);
      return h('tr', {},
        h('td', {}, h('a', { href: `#/prozesse/${encodeURIComponent(item.id)}` }, item.title)),
        h('td', {}, statusBadge(item.status)),
        h('td', {}, f?.owner_unit || ''),
        h('td', {}, f?.criticality ? CRITICALITY[f.criticality] : ''),
        h('td', { class: 'num' }, item.version),
        h('td', {}, formatDate(item.updated_at)));
    })));

  const filtered = rows.length !== page.total;
  render([
    h('div', { class: 'page-head' },
      h('h1', {}, 'Prozesse'),
      h('a', { class: 'button needs-clerk', href: '#/erfassen' }, '+ Neuen Prozess erfassen')),
    bar,
    h('p', { class: 'result-count', 'aria-live': 'polite' },
      filtered ? `${rows.length} von ${page.total} Prozessen` : `${page.total} Prozesse`),
    rows.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'empty' }, page.total ? 'Kein Prozess passt zu diesen Filtern.' : 'Noch keine Prozesse erfasst.'),
  ]);
  if (query.q !== undefined) {
    search.focus();
    search.setSelectionRange(search.value.length, search.value.length);
  }
}
