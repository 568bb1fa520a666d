// Charts as inline SVG, drawn from plain numbers. Colours come from CSS classes (c-*),
// so the charts follow the stylesheet; bars with an `href` are keyboard-focusable links.

import { formatNumber } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function frame(width, height, label, interactive) {
  return s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    class: 'chart',
    role: interactive ? 'group' : 'img',
    'aria-label': label,
    preserveAspectRatio: 'xMinYMin meet',
  }, s('title', {}, label));
}

function maybeLink(href, label, child) {
  return href ? s('a', { href, 'aria-label': label }, child) : child;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const WIDTH = 640;
const ROW = 30;
// About what fits left of the bars at the label font size; longer labels end in … with a tooltip.
const LABEL_CHARS = 30;

/** Horizontal bars, one per item: {label, value, href?, cls?}. */
export function barChart({ items, label, unit = '', max }) {
  const labelWidth = 250;
  const top = Math.max(max ?? 0, ...items.map((i) => i.value), 1);
  const area = WIDTH - labelWidth - 70;
  const svg = frame(WIDTH, Math.max(items.length, 1) * ROW + 8, label, items.some((i) => i.href));
  items.forEach((item, i) => {
    const y = 4 + i * ROW;
    const w = Math.max((item.value / top) * area, item.value > 0 ? 2 : 0);
    const text = `${item.label}: ${formatNumber(item.value)}${unit}`;
    svg.append(maybeLink(item.href, text, s('g', { class: 'bar-row' },
      s('title', {}, text),
      s('text', { x: labelWidth - 8, y: y + ROW / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        clip(item.label, LABEL_CHARS)),
      s('rect', { x: labelWidth, y: y + 4, width: area, height: ROW - 10, rx: 3, class: 'bar-track' }),
      s('rect', { x: labelWidth, y: y + 4, width: w, height: ROW - 10, rx: 3, class: `bar ${item.cls || 'c-primary'}` }),
      s('text', { x: labelWidth + w + 6, y: y + ROW / 2, class: 'chart-value', 'dominant-baseline': 'middle' },
        `${formatNumber(item.value)}${unit}`))));
  });
  if (!items.length) svg.append(s('text', { x: 8, y: 20, class: 'chart-label' }, 'Keine Daten'));
  return svg;
}

/** Horizontal stacked bars: rows [{label, values: {key: n}, href?}], series [{key, label, cls}]. */
export function stackedBarChart({ rows, series, label }) {
  const labelWidth = 250;
  const totals = rows.map((r) => series.reduce((sum, se) => sum + (r.values[se.key] || 0), 0));
  const top = Math.max(...totals, 1);
  const area = WIDTH - labelWidth - 50;
  const svg = frame(WIDTH, Math.max(rows.length, 1) * ROW + 8, label, rows.some((r) => r.href));
  rows.forEach((row, i) => {
    const y = 4 + i * ROW;
    let x = labelWidth;
    const parts = series.filter((se) => row.values[se.key]).map((se) => {
      const w = (row.values[se.key] / top) * area;
      const rect = s('rect', { x, y: y + 4, width: Math.max(w, 1), height: ROW - 10, class: `bar ${se.cls}` },
        s('title', {}, `${row.label} – ${se.label}: ${formatNumber(row.values[se.key])}`));
      x += w;
      return rect;
    });
    const summary = `${row.label}: ${series.map((se) => `${se.label} ${row.values[se.key] || 0}`).join(', ')}`;
    svg.append(maybeLink(row.href, summary, s('g', { class: 'bar-row' },
      s('text', { x: labelWidth - 8, y: y + ROW / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' },
        clip(row.label, LABEL_CHARS), s('title', {}, row.label)),
      parts,
      s('text', { x: x + 6, y: y + ROW / 2, class: 'chart-value', 'dominant-baseline': 'middle' }, formatNumber(totals[i])))));
  });
  if (!rows.length) svg.append(s('text', { x: 8, y: 20, class: 'chart-label' }, 'Keine Daten'));
  return svg;
}

/** A ring split into parts [{label, value, cls}] with a figure in the middle. */
export function donutChart({ parts, label, center, caption }) {
  const size = 200;
  const r = 72;
  const stroke = 26;
  const circumference = 2 * Math.PI * r;
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  const svg = frame(size, size, label, false);
  svg.classList.add('donut');
  svg.append(s('circle', { cx: size / 2, cy: size / 2, r, class: 'donut-track', 'stroke-width': stroke, fill: 'none' }));
  let offset = 0;
  for (const part of parts) {
    if (!part.value || !total) continue;
    const length = (part.value / total) * circumference;
    svg.append(s('circle', {
      cx: size / 2, cy: size / 2, r, fill: 'none', 'stroke-width': stroke, class: `donut-part ${part.cls}`,
      'stroke-dasharray': `${length} ${circumference - length}`,
      'stroke-dashoffset': -offset,
      transform: `rotate(-90 ${size / 2} ${size / 2})`,
    }, s('title', {}, `${part.label}: ${formatNumber(part.value)}`)));
    offset += length;
  }
  svg.append(s('text', { x: size / 2, y: size / 2 - 2, class: 'donut-center', 'text-anchor': 'middle' }, center));
  if (caption) svg.append(s('text', { x: size / 2, y: size / 2 + 22, class: 'donut-caption', 'text-anchor': 'middle' }, caption));
  return svg;
}

/** A matrix of counts; rows and cols are [{key, label}], `cell(row, col)` gives {value, level, href?}. */
export function heatmap({ rows, cols, cell, label, rowTitle, colTitle }) {
  const left = 130;
  const top = 46;
  const cw = (WIDTH - left - 10) / cols.length;
  const ch = 44;
  const svg = frame(WIDTH, top + rows.length * ch + 6, label, true);
  svg.append(s('text', { x: left + (WIDTH - left) / 2, y: 14, class: 'chart-axis', 'text-anchor': 'middle' }, colTitle));
  svg.append(s('text', { x: 4, y: 14, class: 'chart-axis' }, rowTitle));
  cols.forEach((c, j) => svg.append(s('text', {
    x: left + j * cw + cw / 2, y: top - 10, class: 'chart-label', 'text-anchor': 'middle',
  }, c.label)));
  rows.forEach((r, i) => {
    const y = top + i * ch;
    svg.append(s('text', { x: left - 10, y: y + ch / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, r.label));
    cols.forEach((c, j) => {
      const { value, level, href } = cell(r, c);
      const text = `${rowTitle} ${r.label}, ${colTitle} ${c.label}: ${formatNumber(value)}`;
      svg.append(maybeLink(value ? href : null, text, s('g', {},
        s('rect', { x: left + j * cw + 2, y: y + 2, width: cw - 4, height: ch - 4, rx: 4, class: `heat heat-${level}${value ? '' : ' heat-empty'}` },
          s('title', {}, text)),
        s('text', { x: left + j * cw + cw / 2, y: y + ch / 2, class: 'heat-value', 'text-anchor': 'middle', 'dominant-baseline': 'middle' },
          formatNumber(value)))));
    });
  });
  return svg;
}

/** The key to a chart's colours. */
export function legend(series) {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const se of series) {
    const li = document.createElement('li');
    const swatch = s('svg', { width: 12, height: 12, 'aria-hidden': 'true' }, s('rect', { width: 12, height: 12, rx: 2, class: se.cls }));
    li.append(swatch, ` ${se.label}`);
    ul.append(li);
  }
  return ul;
}
