// Dashboard: the figures a city's leadership asks for, as charts that link to the lists behind them.

import { api } from '../api.js';
import { barChart, donutChart, heatmap, legend, stackedBarChart } from '../charts.js';
import { PROTECTION, STATUS, errorBox, formatDate, formatNumber, h, render } from '../dom.js';
import { coverageChart, patiently } from './gaps.js';

const STATUS_SERIES = Object.entries(STATUS).map(([key, label]) => ({ key, label, cls: `c-${key}` }));

const list = (query) => `#/prozesse?${new URLSearchParams(query)}`;

function tile(label, value, { href, sub, tone } = {}) {
  const body = [h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, label), sub ? h('span', { class: 'tile-sub' }, sub) : null];
  return href
    ? h('a', { class: `tile${tone ? ` tile-${tone}` : ''}`, href }, body)
    : h('div', { class: `tile${tone ? ` tile-${tone}` : ''}` }, body);
}

function card(title, ...body) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...body);
}

/** Optional sources: a feature the server lacks leaves its tile and chart out. */
function missingAsNull(err) {
  if (err.name === 'AbortError' || !err.missingEndpoint) throw err;
  return null;
}

/** A placeholder that `build(answer)` replaces once `promise` settles (removed when it builds nothing). */
function later(promise, build, kind) {
  const slot = h('div', { class: `${kind} loading`, 'aria-busy': 'true' }, h('span', { class: 'muted' }, 'lädt …'));
  promise.then((answer) => {
    const built = build(answer);
    if (built) slot.replaceWith(built);
    else slot.remove();
  });
  return slot;
}

function factList(items, describe, empty) {
  if (!items.length) return h('p', { class: 'empty' }, empty);
  return h('ul', { class: 'fact-list' }, items.slice(0, 8).map((f) => h('li', {},
    h('a', { href: `#/prozesse/${encodeURIComponent(f.id)}` }, f.title), h('span', { class: 'muted' }, describe(f)))));
}

function riskLevel(c, p) {
  const rank = { niedrig: 1, mittel: 2, hoch: 3, normal: 1, sehr_hoch: 3 };
  const score = (rank[c] || 0) * (p === 'hoch' ? 2 : rank[p] || 0);
  return score >= 6 ? 'high' : score >= 3 ? 'mid' : score > 0 ? 'low' : 'none';
}

export async function show({ signal }) {
  // Coverage and duplicates can take long (the catalogue is embedded on first use): the
  // figures from the store come first, those two fill in when they arrive.
  const gaps = patiently('/api/gaps', signal).catch(missingAsNull).catch(errorBox);
  const duplicates = patiently('/api/duplicates', signal).catch(missingAsNull).catch(errorBox);
  const stats = await api('/api/stats', { signal });
  const published = stats.by_status.published;
  const tiles = h('div', { class: 'tiles' },
    tile('Prozesse dokumentiert', formatNumber(stats.total), { href: '#/prozesse' }),
    tile('veröffentlicht', formatNumber(published), {
      href: list({ status: 'published' }),
      sub: stats.total ? `${formatNumber((100 * published) / stats.total)} %` : null,
    }),
    later(gaps, coverageTile, 'tile'),
    tile(`nicht geprüft seit ${stats.stale_months}+ Monaten`, formatNumber(stats.stale), { href: list({ flag: 'stale' }), tone: stats.stale ? 'warn' : 'ok' }),
    later(duplicates, duplicatesTile, 'tile'),
    tile('kritische Prozesse', formatNumber(stats.critical), { href: list({ flag: 'critical' }), tone: stats.critical ? 'bad' : 'ok' }),
    tile('hängen an einer Rolle', formatNumber(stats.single_role), { href: list({ flag: 'single_role' }), tone: stats.single_role ? 'warn' : 'ok' }));

  const statusParts = STATUS_SERIES.map((s) => ({ ...s, value: stats.by_status[s.key] }));
  const units = stats.by_unit.map((u) => ({
    label: u.unit || 'ohne Zuordnung',
    values: u.by_status,
    href: list({ unit: u.unit || '–' }),
  }));
  const crit = [['hoch', 'hoch'], ['mittel', 'mittel'], ['niedrig', 'niedrig'], ['', 'nicht bewertet']].map(([key, label]) => ({ key, label }));
  const prot = [...Object.entries(PROTECTION).map(([key, label]) => ({ key, label })), { key: '', label: 'nicht bewertet' }];
  const cell = (r, c) => {
    const found = stats.risk_matrix.find((m) => (m.criticality || '') === r.key && (m.protection_need || '') === c.key);
    return { value: found?.count || 0, level: riskLevel(r.key, c.key), href: r.key ? list({ criticality: r.key }) : null };
  };
  const stale = stats.processes.filter((f) => f.stale);
  const single = stats.processes.filter((f) => f.single_role);

  render([
    h('div', { class: 'page-head' }, h('h1', {}, 'Dashboard')),
    tiles,
    h('div', { class: 'cards' },
      card('Prozesse nach Status',
        h('div', { class: 'donut-row' },
          donutChart({ parts: statusParts, label: 'Prozesse nach Status', center: formatNumber(stats.total), caption: 'Prozesse' }),
          legend(statusParts.map((s) => ({ ...s, label: `${s.label}: ${s.value}` }))))),
      card('Prozesse nach Organisationseinheit',
        stackedBarChart({ rows: units, series: STATUS_SERIES, label: 'Prozesse nach Organisationseinheit und Status' }),
        legend(STATUS_SERIES)),
      later(gaps, coverageCard, 'card'),
      card('Kritikalität × Schutzbedarf',
        heatmap({ rows: crit, cols: prot, cell, label: 'Prozesse nach Kritikalität und höchstem Schutzbedarf', rowTitle: 'Kritikalität', colTitle: 'Schutzbedarf (höchster Wert)' }),
        h('p', { class: 'muted' }, `${stats.critical} kritisch: Kritikalität hoch bei hohem Schutzbedarf oder mittel bei sehr hohem.`)),
      card(`Nicht geprüft seit ${stats.stale_months}+ Monaten`,
        factList(stale, (f) => ` · zuletzt ${formatDate(f.updated_at)}${f.owner_unit ? ` · ${f.owner_unit}` : ''}`, 'Alle Prozesse wurden im letzten Jahr bearbeitet.')),
      card('Abhängig von einer einzigen Rolle',
        factList(single, (f) => ` · alle Aufgaben: ${f.single_role}`, 'Kein Prozess hängt an nur einer Rolle.')),
      later(duplicates, duplicatesCard, 'card')),
  ]);
}

// `gaps` and `duplicates` are the answers, null where the server lacks the feature, or an error box.
function coverageTile(gaps) {
  if (!gaps || gaps instanceof Node) return null;
  return tile('des Leistungskatalogs abgedeckt', `${formatNumber(gaps.coverage * 100)} %`, {
    href: '#/abdeckung', sub: `${gaps.covered} von ${gaps.services} Leistungen`, tone: gaps.coverage >= 0.8 ? 'ok' : 'warn',
  });
}

function coverageCard(gaps) {
  if (!gaps) return null;
  return card('Abdeckung des Leistungskatalogs nach Thema',
    gaps instanceof Node ? gaps : [coverageChart(gaps, 10), h('p', {}, h('a', { href: '#/abdeckung' }, 'Alle Themen und fehlenden Leistungen'))]);
}

const pairs = (duplicates) => duplicates.items || duplicates.candidates || duplicates;

function duplicatesTile(duplicates) {
  if (!duplicates || duplicates instanceof Node) return null;
  const open = pairs(duplicates).length;
  return tile('offene Dublettenvorschläge', formatNumber(open), { href: '#/dubletten', tone: open ? 'warn' : 'ok' });
}

function duplicatesCard(duplicates) {
  if (!duplicates) return null;
  if (duplicates instanceof Node) return card('Offene Dublettenvorschläge', duplicates);
  const top = [...pairs(duplicates)].sort((x, y) => y.score - x.score).slice(0, 6);
  return card('Offene Dublettenvorschläge',
    top.length
      ? barChart({
        items: top.map((c) => ({ label: `${c.a_title} ↔ ${c.b_title}`, value: Math.round(c.score * 100), href: '#/dubletten', cls: 'c-warn' })),
        label: 'Ähnlichste offene Paare, Ähnlichkeit in Prozent',
        unit: ' %',
        max: 100,
      })
      : h('p', { class: 'empty' }, 'Keine offenen Vorschläge.'));
}
