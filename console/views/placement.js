/**
 * Placement: why an instance or a task is not placed. The view lists the unplaced instances
 * (UNCLAIMED with a placement error) and the failed or rejected tasks; the panel reads the
 * latest failed auction for one of them (`GET /v1/actual_lrps/:guid/:index/placement`,
 * `GET /v1/tasks/:guid/placement`) and shows each cell considered with what it lacked and by
 * how much.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, enc } from '../api.js';
import { onEvent, store, useStore } from '../store.js';
import { clock, ErrorLine, html, VirtualList } from '../ui.js';

/** @param {{kind: 'lrp' | 'task', guid: string, index?: number, error?: string}} props */
export function PlacementPanel({ kind, guid, index, error: placementError }) {
  const [answer, setAnswer] = useState(/** @type {any} */ (undefined));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const path = kind === 'lrp' ? `/v1/actual_lrps/${enc(guid)}/${index}/placement` : `/v1/tasks/${enc(guid)}/placement`;
  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const load = async () => {
      try {
        const value = await api('GET', path);
        if (!stopped) (setAnswer(value), setError(undefined));
      } catch (e) {
        if (stopped) return;
        setAnswer(undefined);
        setError(e instanceof ApiError && e.status === 404 ? new Error(`placed now, or no failed auction is kept for it (${e.message})`) : e);
      }
    };
    void load();
    // another auction may fail differently (a cell came or went): read it again after a change
    const unsubscribe = onEvent(({ data }) => {
      const row = data.actual_lrp ?? data.after ?? data.task ?? data;
      if ((kind === 'lrp' && row.process_guid === guid && row.index === index) || (kind === 'task' && row.task_guid === guid)) {
        clearTimeout(timer);
        timer = window.setTimeout(load, 200);
      }
    });
    return () => ((stopped = true), clearTimeout(timer), unsubscribe());
  }, [path]);
  const cells = answer?.cells ?? [];
  return html`<section class="placement" data-testid="placement">
    <h3>Why ${kind === 'lrp' ? `instance ${index} of ${guid}` : `task ${guid}`} is not placed</h3>
    <p class="error">${answer?.placement_error ?? placementError ?? ''}${answer?.at ? html` <span class="muted">at ${clock(answer.at)}</span>` : null}</p>
    <${ErrorLine} error=${error} />
    ${answer ? html`<table class="grid" data-testid="shortfalls"><thead><tr><th>cell</th><th>zone</th><th>lacked</th><th>memory short</th><th>disk short</th><th>containers short</th></tr></thead>
      <tbody>${cells.map((c) => html`<tr key=${c.cell_id} data-testid="shortfall" data-cell=${c.cell_id}><td>${c.cell_id}</td><td>${c.zone}</td><td>${(c.lacked ?? []).join(', ')}</td>
        <td>${c.shortfall?.memory_mb ? `${c.shortfall.memory_mb} MB` : ''}</td><td>${c.shortfall?.disk_mb ? `${c.shortfall.disk_mb} MB` : ''}</td><td>${c.shortfall?.containers || ''}</td></tr>`)}</tbody></table>
      ${cells.length === 0 ? html`<p class="muted">No cell was considered (none live, or none offered the rootfs).</p>` : null}
      ${answer.omitted_cells ? html`<p class="muted" data-testid="omitted-cells">and ${answer.omitted_cells} more cells</p>` : null}` : null}
  </section>`;
}

export function PlacementView() {
  const version = useStore();
  const [chosen, setChosen] = useState(/** @type {{kind: 'lrp' | 'task', guid: string, index?: number, error?: string} | undefined} */ (undefined));
  const items = useMemo(() => {
    const list = [];
    for (const a of store.actuals.values()) if (a.state === 'UNCLAIMED' && a.placement_error) list.push({ kind: 'lrp', guid: a.process_guid, index: a.index, error: a.placement_error });
    for (const t of store.tasks.values()) {
      const reason = t.failed ? t.failure_reason : t.state === 'PENDING' ? t.rejection_reason : '';
      if (reason) list.push({ kind: 'task', guid: t.task_guid, error: reason });
    }
    return list.sort((a, b) => (a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : (a.index ?? 0) - (b.index ?? 0)));
  }, [version]);
  const key = (i) => `${i.kind}:${i.guid}:${i.index ?? ''}`;
  return html`<section><h2>Placement <span class="muted">${items.length} not placed</span></h2>
    <div class="split"><div class="split-left">
    ${items.length === 0 ? html`<p class="muted">Every instance is placed and no task failed placement.</p>` : null}
    <${VirtualList} testId="unplaced" items=${items} rowKey=${key} height="calc(100vh - 200px)" row=${(i) => html`<button class=${`trow link ${chosen && key(chosen) === key(i) ? 'selected' : ''}`} data-testid="unplaced-row" onClick=${() => setChosen(i)}>
      <span class="tag">${i.kind === 'lrp' ? 'instance' : 'task'}</span> <span class="guid">${i.guid}${i.kind === 'lrp' ? `/${i.index}` : ''}</span> <span class="muted">${i.error}</span></button>`} />
    </div><div class="split-right">${chosen ? html`<${PlacementPanel} key=${key(chosen)} ...${chosen} />` : html`<p class="muted">Choose one to see what each cell lacked.</p>`}</div></div>
  </section>`;
}
