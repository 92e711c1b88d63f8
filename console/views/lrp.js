/**
 * One LRP's page: its DesiredLRP, its instances (state, cell, address, crash count, since), the
 * actions (scale, retire an instance, remove, each confirmed first) and, for the selected
 * instance, its timeline merged with its log lines, and why it is not placed when it is not.
 * The instances are a virtualised list too: an LRP may have 10 000 of them.
 */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { instancesOf, store, useStore } from '../store.js';
import { ago, clock, confirmAction, ErrorLine, html, State, VirtualList } from '../ui.js';
import { Timeline } from './timeline.js';
import { PlacementPanel } from './placement.js';

/** @param {any} row @returns {string} `host:port` of its first port, else its address */
const addressOf = (row) => (row.ports?.length ? row.ports.map((p) => `${row.address}:${p.host_port}`).join(' ') : row.address || '—');

/** @param {{guid: string, index: string | undefined}} props */
export function LrpView({ guid, index }) {
  useStore();
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const [note, setNote] = useState('');
  const desired = store.desired.get(guid);
  const [scaleTo, setScaleTo] = useState(/** @type {string | undefined} */ (undefined));
  const instances = instancesOf(guid);
  const selected = index === undefined ? undefined : Number(index);

  if (!desired) {
    return html`<section><p><a href="#/lrps">← LRPs</a></p><p class="muted" data-testid="lrp-missing">${store.loaded ? `No LRP ${guid} (removed, or not desired yet).` : 'Loading…'}</p></section>`;
  }
  const act = async (what, fn) => {
    setError(undefined);
    try {
      await fn();
      setNote(what);
    } catch (e) {
      setError(e);
    }
  };
  const scale = async () => {
    const n = Number(scaleTo);
    if (!Number.isInteger(n) || n < 0) return setError(new Error('instances: a whole number, 0 or more'));
    if (!(await confirmAction(`Scale ${guid} from ${desired.instances} to ${n} instances?`))) return;
    await act(`scaled to ${n}`, () => api('PATCH', `/v1/desired_lrps/${enc(guid)}`, { instances: n }));
    setScaleTo(undefined);
  };
  const remove = async () => {
    if (!(await confirmAction(`Remove ${guid}? Its ${instances.length} instances stop.`))) return;
    await act('removed', async () => {
      await api('DELETE', `/v1/desired_lrps/${enc(guid)}`);
      location.hash = '#/lrps';
    });
  };
  const retire = async (/** @type {number} */ i) => {
    if (!(await confirmAction(`Retire instance ${i} of ${guid}? Convergence starts a new one.`))) return;
    await act(`retired instance ${i}`, () => api('DELETE', `/v1/actual_lrps/${enc(guid)}/index/${i}`));
  };
  const running = instances.filter((r) => r.state === 'RUNNING' && (r.presence ?? 'ORDINARY') === 'ORDINARY').length;
  const row = selected === undefined ? undefined : instances.find((r) => r.index === selected && (r.presence ?? 'ORDINARY') === 'ORDINARY') ?? instances.find((r) => r.index === selected);

  return html`<section data-testid="lrp-page">
    <p><a href="#/lrps">← LRPs</a></p>
    <h2><span class="guid">${guid}</span> <span class="muted">${desired.domain}</span></h2>
    <p data-testid="lrp-summary">${running} of ${desired.instances} running · ${desired.memory_mb ?? 0} MB · ${desired.disk_mb ?? 0} MB disk · rootfs ${desired.rootfs}</p>
    <div class="actions">
      <label>instances <input type="number" min="0" data-testid="scale-input" value=${scaleTo ?? String(desired.instances)} onInput=${(e) => setScaleTo(e.currentTarget.value)} /></label>
      <button data-testid="scale" onClick=${scale}>Scale</button>
      <button class="danger" data-testid="remove" onClick=${remove}>Remove LRP</button>
      ${note ? html`<span class="muted" data-testid="note">${note}</span>` : null}
    </div>
    <${ErrorLine} error=${error} />
    <div class="thead inst-cols"><span>index</span><span>state</span><span>presence</span><span>cell</span><span>address</span><span>crashes</span><span>since</span><span></span></div>
    <${VirtualList} testId="instances" items=${instances} rowKey=${(r) => `${r.index}/${r.presence}`} height=${`${Math.min(Math.max(instances.length, 1), 12) * 30 + 2}px`} row=${(r) => html`<div data-testid="instance" data-index=${r.index} data-state=${r.state} class=${`trow inst-cols ${r.index === selected ? 'selected' : ''}`}>
      <span><a href=${`#/lrps/${enc(guid)}/${r.index}`}>${r.index}</a></span><span data-testid="instance-state"><${State} state=${r.state} /></span><span>${r.presence ?? 'ORDINARY'}</span>
      <span>${r.cell_id || '—'}</span><span>${addressOf(r)}</span><span title=${r.crash_reason ?? ''}>${r.crash_count || ''}${r.crash_reason ? html` <span class="muted">${r.crash_reason}</span>` : null}</span>
      <span title=${clock(r.since)}>${ago(r.since)}</span>
      <span><a href=${`#/lrps/${enc(guid)}/${r.index}`} data-testid="timeline-link">timeline</a> <button class="small" data-testid="retire" onClick=${() => retire(r.index)}>retire</button></span></div>`} />
    ${row && row.state === 'UNCLAIMED' && row.placement_error ? html`<${PlacementPanel} kind="lrp" guid=${guid} index=${row.index} error=${row.placement_error} />` : null}
    ${selected !== undefined ? html`<${Timeline} guid=${guid} index=${selected} key=${`${guid}/${selected}`} />` : html`<p class="muted">Choose an instance for its timeline.</p>`}
  </section>`;
}
