/**
 * LRPs: every DesiredLRP with its instances desired and running, filtered by domain and by text
 * (in the process guid), in a virtualised list; a row opens the LRP's page.
 */
import { useMemo, useState } from 'preact/hooks';
import { instancesByLrp, store, useStore } from '../store.js';
import { html, VirtualList } from '../ui.js';

export function LrpsView() {
  const version = useStore();
  const [domain, setDomain] = useState('');
  const [text, setText] = useState('');
  const domains = useMemo(() => [...new Set([...store.desired.values()].map((d) => d.domain))].sort(), [version]);
  const rows = useMemo(() => {
    const byLrp = instancesByLrp();
    const needle = text.trim().toLowerCase();
    const list = [];
    for (const d of store.desired.values()) {
      if (domain && d.domain !== domain) continue;
      if (needle && !d.process_guid.toLowerCase().includes(needle)) continue;
      const instances = byLrp.get(d.process_guid) ?? [];
      let running = 0;
      let crashed = 0;
      let unplaced = 0;
      for (const r of instances) {
        if (r.state === 'RUNNING' && (r.presence ?? 'ORDINARY') === 'ORDINARY') running += 1;
        else if (r.state === 'CRASHED') crashed += 1;
        else if (r.state === 'UNCLAIMED' && r.placement_error) unplaced += 1;
      }
      list.push({ d, running, crashed, unplaced });
    }
    return list.sort((a, b) => (a.d.process_guid < b.d.process_guid ? -1 : 1));
  }, [version, domain, text]);
  return html`<section>
    <h2>LRPs <span class="muted">${rows.length} of ${store.desired.size}</span></h2>
    <div class="filters">
      <label>domain <select data-testid="domain-filter" value=${domain} onChange=${(e) => setDomain(e.currentTarget.value)}>
        <option value="">all</option>${domains.map((d) => html`<option value=${d}>${d}</option>`)}</select></label>
      <input type="search" placeholder="filter by process guid" data-testid="lrp-filter" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
    </div>
    <div class="thead lrp-cols"><span>process guid</span><span>domain</span><span>running / desired</span><span>crashed</span><span>unplaced</span><span>memory</span></div>
    <${VirtualList} testId="lrps" items=${rows} rowKey=${(r) => r.d.process_guid} row=${(r) => html`<a class=${`lrp-cols trow ${r.running < r.d.instances ? 'short' : ''}`} href=${`#/lrps/${encodeURIComponent(r.d.process_guid)}`} data-testid="lrp-row" data-guid=${r.d.process_guid}>
        <span class="guid">${r.d.process_guid}</span><span>${r.d.domain}</span><span data-testid="running">${r.running} / ${r.d.instances}</span>
        <span>${r.crashed || ''}</span><span>${r.unplaced || ''}</span><span>${r.d.memory_mb ?? 0} MB</span></a>`} />
  </section>`;
}
