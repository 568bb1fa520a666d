// Abdeckung: how much of the service catalogue is documented, per topic, and the services
// still missing — each one click away from drafting it.

import { api } from '../api.js';
import { barChart, donutChart } from '../charts.js';
import { formatNumber, h, render } from '../dom.js';

const RETRY_MS = 3000;
const RETRIES = 200;

const draftLink = (service) => `#/erfassen?${new URLSearchParams({ titel: service.name, leika: service.key })}`;

/** Topics as bars of their coverage in percent, most gaps first. */
export function coverageChart(report, limit) {
  const topics = report.topics.slice(0, limit);
  return barChart({
    items: topics.map((t) => ({
      label: t.topic,
      value: t.services ? Math.round((100 * t.covered) / t.services) : 0,
      href: `#/abdeckung?thema=${encodeURIComponent(t.topic)}`,
      cls: t.covered === t.services ? 'c-ok' : t.covered ? 'c-warn' : 'c-bad',
    })),
    label: 'Abdeckung des Leistungskatalogs nach Thema in Prozent',
    unit: ' %',
    max: 100,
  });
}

/**
 * Asks again while the server is still busy (408, 503 — the catalogue is embedded once after
 * a start, which takes a while), every few seconds for up to ten minutes.
 */
export async function patiently(path, signal) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await api(path, { signal });
    } catch (err) {
      if (attempt >= RETRIES || ![408, 503].includes(err.status)) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      if (signal.aborted) throw new DOMException('abgebrochen', 'AbortError');
    }
  }
}

export async function show({ query, signal }) {
  render([h('h1', {}, 'Abdeckung des Leistungskatalogs'),
    h('p', { class: 'muted', role: 'status' }, 'Wird berechnet … Beim ersten Aufruf liest ablauf den Leistungskatalog ein; das dauert etwas.')]);
  const report = await patiently('/api/gaps', signal);
  const missing = report.services - report.covered;
  const topics = report.topics.map((t) => h('details', { class: 'topic', id: `thema-${t.topic}`, open: t.topic === query.thema || null },
    h('summary', {}, h('strong', {}, t.topic), ` – ${t.covered} von ${t.services} Leistungen dokumentiert, ${t.missing.length} fehlen`),
    t.missing.length
      ? h('ul', { class: 'missing-services' }, t.missing.map((s) => h('li', {},
        h('span', {}, s.name, h('span', { class: 'muted' }, ` · LeiKa ${s.key}`)),
        h('a', { class: 'button small secondary needs-clerk', href: draftLink(s), 'aria-label': `${s.name} erfassen` }, 'Erfassen'))))
      : h('p', { class: 'empty' }, 'Alle Leistungen dieses Themas sind dokumentiert.')));
  render([
    h('div', { class: 'page-head' }, h('h1', {}, 'Abdeckung des Leistungskatalogs')),
    h('div', { class: 'cards' },
      h('section', { class: 'card' }, h('h2', {}, 'Gesamt'),
        h('div', { class: 'donut-row' },
          donutChart({
            parts: [{ label: 'dokumentiert', value: report.covered, cls: 'c-ok' }, { label: 'fehlt', value: missing, cls: 'c-bad' }],
            label: `Katalogabdeckung ${formatNumber(report.coverage * 100)} %`,
            center: `${formatNumber(report.coverage * 100)} %`,
            caption: 'abgedeckt',
          }),
          h('p', {}, `${report.covered} von ${report.services} Leistungen des Katalogs „${report.catalog}“ sind durch einen Prozess dokumentiert; ${missing} fehlen.`))),
      h('section', { class: 'card' }, h('h2', {}, 'Nach Thema'), coverageChart(report))),
    h('h2', {}, 'Nicht dokumentierte Leistungen'),
    topics,
  ]);
  document.getElementById(`thema-${query.thema}`)?.scrollIntoView();
}
