// The live BPMN diagram beside a form, drawn by the server's own renderer (the SVG of the
// wiki page and the BPMN export), so what the clerk sees is what gets exported.

import { apiText } from './api.js';
import { debounce, errorBox, h } from './dom.js';

const PREVIEW = '/api/preview/diagram';

/** A panel whose `update(process)` redraws the diagram, at most a few times a second. */
export function diagramPanel() {
  const body = h('div', { class: 'diagram-body', tabindex: 0, 'aria-label': 'Diagramm, mit Pfeiltasten scrollbar' },
    h('p', { class: 'muted' }, 'Diagramm wird gezeichnet …'));
  const wide = h('button', { type: 'button', class: 'secondary small', 'aria-pressed': 'false', onclick: () => {
    const on = el.classList.toggle('wide');
    wide.setAttribute('aria-pressed', String(on));
    wide.textContent = on ? 'Einpassen' : 'Originalgröße';
  } }, 'Originalgröße');
  const el = h('section', { class: 'diagram-panel', 'aria-label': 'BPMN-Diagramm' },
    h('div', { class: 'panel-head' }, h('h2', {}, 'Diagramm'), wide), body);
  let controller = null;
  let latest = 0;

  const draw = debounce(async (process) => {
    controller?.abort();
    controller = new AbortController();
    const ticket = ++latest;
    try {
      const svg = await apiText(PREVIEW, { method: 'POST', body: process, signal: controller.signal });
      if (ticket !== latest) return;
      const drawing = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
      body.replaceChildren(document.importNode(drawing, true));
    } catch (err) {
      if (err.name === 'AbortError' || ticket !== latest) return;
      body.replaceChildren(err.status === 422
        ? h('p', { class: 'muted' }, 'Das Diagramm folgt, sobald der Ablauf vollständig ist (siehe markierte Felder).')
        : errorBox(err));
    }
  }, 300);

  return {
    el,
    update: draw,
    stop: () => {
      latest++;
      controller?.abort();
    },
  };
}
