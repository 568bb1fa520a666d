// "Gibt es schon: …" — stored processes that resemble the one being written, shown before it is saved.

import { api } from './api.js';
import { debounce, h } from './dom.js';

export function similarPanel() {
  const list = h('ul', { class: 'similar-list' });
  const el = h('section', { class: 'panel similar-panel', hidden: true, 'aria-live': 'polite' },
    h('h2', {}, 'Gibt es schon:'), list);
  let latest = 0;
  const update = debounce(async (process) => {
    const ticket = ++latest;
    if (!process.title?.trim()) return;
    try {
      const found = await api('/api/preview/similar', { method: 'POST', body: { process, limit: 5 } });
      if (ticket !== latest) return;
      const items = found.items || found;
      list.replaceChildren(...items.map((s) => h('li', {},
        h('a', { href: `#/prozesse/${encodeURIComponent(s.id)}`, target: '_blank' }, s.title),
        ' ', h('span', { class: 'score' }, `${Math.round(s.score * 100)} % ähnlich`))));
      el.hidden = !items.length;
    } catch {
      // Without a similarity service the editor works as before; the panel stays hidden.
      el.hidden = true;
    }
  }, 800);
  return { el, update };
}
