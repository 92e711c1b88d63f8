/**
 * Cluster: the members (roles, status, last heartbeat; listed every 5 s while shown, they have
 * no events) and the cells grouped by zone, each with bars for memory, disk and containers
 * allocated of total, its instances by state, and evacuating and unreachable marks. Cells are
 * listed again when an event touches them (at most once a second); counts by state come from
 * the live ActualLRPs. A cell can be evacuated from here (after a confirmation).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { instancesByCell, store, useStore, watchCells } from '../store.js';
import { ago, Bar, confirmAction, ErrorLine, html, VirtualList } from '../ui.js';

const STATES = ['UNCLAIMED', 'CLAIMED', 'RUNNING', 'CRASHED'];

function Members() {
  const [members, setMembers] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const list = await api('GET', '/v1/members');
        if (!stopped) (setMembers(list), setError(undefined));
      } catch (e) {
        if (!stopped) setError(e);
      }
    };
    void load();
    const timer = setInterval(load, 5000);
    return () => ((stopped = true), clearInterval(timer));
  }, []);
  return html`<section><h2>Members <span class="muted">${members.length}</span></h2><${ErrorLine} error=${error} />
    <table class="grid" data-testid="members"><thead><tr><th>name</th><th>roles</th><th>status</th><th>address</th><th>last heartbeat</th><th>up since</th></tr></thead>
    <tbody>${members.map((m) => html`<tr key=${m.name}><td>${m.name}${m.self ? html` <span class="tag">this node</span>` : null}</td><td>${(m.roles ?? []).join(', ')}</td>
      <td><span class=${`status m-${m.status}`}>${m.status}</span></td><td>${m.address || '—'}</td><td>${ago(m.last_heartbeat)}</td><td>${ago(m.up_since)}</td></tr>`)}</tbody></table></section>`;
}

/** Drains a cell after a confirmation: its instances start elsewhere first, then its containers stop. @param {string} cellId */
async function evacuate(cellId) {
  if (!(await confirmAction(`Evacuate ${cellId}? It takes no new work; its instances start elsewhere, then its containers stop.`))) return;
  try {
    await api('POST', `/v1/cells/${encodeURIComponent(cellId)}/evacuate`);
  } catch (error) {
    window.alert(`evacuate ${cellId}: ${/** @type {Error} */ (error).message}`);
  }
}

/** @param {{cell: any, rows: any[]}} props */
function CellRow({ cell, rows }) {
  const cap = cell.capacity ?? {};
  const free = cell.available_resources;
  const used = (key) => (free && typeof cap[key] === 'number' ? cap[key] - free[key] : null);
  const counts = STATES.map((s) => /** @type {[string, number]} */ ([s, rows.filter((r) => r.state === s).length])).filter(([, n]) => n > 0);
  return html`<div class="cell" data-testid="cell" data-cell=${cell.cell_id}>
    <span class="cell-id" title=${cell.cell_id}>${cell.cell_id}</span>
    <${Bar} label="mem" used=${used('memory_mb')} total=${cap.memory_mb} unit=" MB" />
    <${Bar} label="disk" used=${used('disk_mb')} total=${cap.disk_mb} unit=" MB" />
    <${Bar} label="containers" used=${used('containers')} total=${cap.containers} />
    <span class="counts">${counts.length === 0 ? html`<span class="muted">no instances</span>` : counts.map(([s, n]) => html`<span class=${`state s-${String(s).toLowerCase()}`}>${n} ${s}</span> `)}</span>
    <span class="marks">${cell.evacuating ? html`<span class="mark evac">evacuating</span>` : html`<button class="small" title="drain this cell" onClick=${() => evacuate(cell.cell_id)}>evacuate</button>`}${cell.reachable === false ? html`<span class="mark unreach">unreachable</span>` : null}</span>
  </div>`;
}

export function ClusterView() {
  const version = useStore();
  useEffect(() => watchCells(), []);
  const byCell = instancesByCell();
  const items = useMemo(() => {
    /** @type {Map<string, any[]>} */
    const zones = new Map();
    for (const cell of store.cells) {
      const zone = cell.zone ?? '';
      if (!zones.has(zone)) zones.set(zone, []);
      zones.get(zone)?.push(cell);
    }
    /** @type {any[]} */
    const list = [];
    for (const zone of [...zones.keys()].sort()) {
      const cells = zones.get(zone) ?? [];
      list.push({ zone, count: cells.length });
      for (const cell of cells) list.push({ cell });
    }
    return list;
  }, [version, store.cells]);
  const totals = store.cells.reduce((t, c) => ({ memory: t.memory + (c.capacity?.memory_mb ?? 0), free: t.free + (c.available_resources?.memory_mb ?? 0) }), { memory: 0, free: 0 });
  return html`<${Members} />
    <section><h2>Cells <span class="muted">${store.cells.length}</span> <span class="muted small">memory allocated ${totals.memory - totals.free} of ${totals.memory} MB</span></h2>
    <${VirtualList} testId="cells" items=${items} rowHeight=${34} height="calc(100vh - 330px)" rowKey=${(i) => (i.zone !== undefined ? `zone:${i.zone}` : i.cell.cell_id)}
      row=${(i) => (i.zone !== undefined ? html`<div class="zone" data-testid="zone">zone ${i.zone || '(none)'} <span class="muted">${i.count} cells</span></div>` : html`<${CellRow} cell=${i.cell} rows=${byCell.get(i.cell.cell_id) ?? []} />`)} />
    </section>`;
}
