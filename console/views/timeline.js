/**
 * An instance's timeline: the scheduler's decisions about it (`GET /v1/actual_lrps/:guid/:index/
 * timeline`: unclaimed, placement failures, claims, running, crashes with their reason and
 * backoff, evacuation, suspect, replacement) merged by time with its log lines (the logs
 * route's SSE, `follow=true&index=`: the tail, then each new line). The timeline is read again
 * when an event about this instance arrives, so it follows live like the lines. A node without
 * the timeline route shows the decisions seen in the events since the page opened.
 * Each instance guid has its own colour, so lines and decisions of one run read together.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, api, enc } from '../api.js';
import { follow } from '../sse.js';
import { instancesOf, onEvent } from '../store.js';
import { clock, colourOf, ErrorLine, html } from '../ui.js';

const LINES_KEPT = 2000;
const ENTRIES_KEPT = 1000;

/** @param {string} type @param {any} data @returns {any | undefined} a timeline entry for an event, as the route would say it */
function entryOf(type, data) {
  const now = Date.now() * 1e6;
  if (type === 'actual_lrp_crashed') return { at: data.since ?? now, kind: 'crashed', instance_guid: data.instance_guid, cell_id: data.cell_id, detail: data.crash_reason, crash_count: data.crash_count };
  if (type === 'actual_lrp_instance_created') return { at: data.actual_lrp.since ?? now, kind: 'unclaimed', instance_guid: '', cell_id: '', detail: '' };
  if (type === 'actual_lrp_instance_removed') return { at: now, kind: 'removed', instance_guid: data.actual_lrp.instance_guid, cell_id: data.actual_lrp.cell_id, detail: '' };
  if (type !== 'actual_lrp_instance_changed') return undefined;
  const { before, after } = data;
  const base = { at: after.since ?? now, instance_guid: after.instance_guid, cell_id: after.cell_id };
  if (before.presence !== after.presence && after.presence === 'EVACUATING') return { ...base, kind: 'evacuating', detail: '' };
  if (before.presence !== after.presence && after.presence === 'SUSPECT') return { ...base, kind: 'suspect', detail: '' };
  if (after.state === 'UNCLAIMED' && after.placement_error && after.placement_error !== before.placement_error) return { ...base, kind: 'placement_failed', detail: after.placement_error };
  if (before.state === after.state) return undefined;
  if (after.state === 'CLAIMED') return { ...base, kind: 'claimed', detail: '' };
  if (after.state === 'RUNNING') return { ...base, kind: 'running', detail: '' };
  if (after.state === 'UNCLAIMED') return { ...base, kind: 'unclaimed', detail: '' };
  return undefined; // CRASHED: actual_lrp_crashed says it with its reason
}

/** @param {{guid: string, index: number}} props */
export function Timeline({ guid, index }) {
  const [entries, setEntries] = useState(/** @type {any[]} */ ([]));
  const [fromEvents, setFromEvents] = useState(false);
  const [lines, setLines] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const stick = useRef(true);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    let routeMissing = false;
    const load = async () => {
      try {
        const answer = await api('GET', `/v1/actual_lrps/${enc(guid)}/${index}/timeline?limit=${ENTRIES_KEPT}`);
        if (!stopped) (setEntries(answer.entries), setError(undefined));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404 && /no route/.test(e.message)) {
          routeMissing = true;
          setFromEvents(true);
          // start from where the instance is now: its state since `since`
          const now = instancesOf(guid).filter((r) => r.index === index).map((r) => ({ at: r.since, kind: r.placement_error ? 'placement_failed' : String(r.state).toLowerCase(), instance_guid: r.instance_guid, cell_id: r.cell_id, detail: r.crash_reason || r.placement_error || '', crash_count: r.crash_count }));
          if (!stopped) setEntries(now);
        } else if (!stopped) setError(e);
      }
    };
    void load();
    const unsubscribe = onEvent(({ type, data }) => {
      const row = data.actual_lrp ?? data.after ?? data;
      if (row.process_guid !== guid || row.index !== index) return;
      if (routeMissing) {
        const entry = entryOf(type, data);
        if (entry) setEntries((list) => [...list, entry].slice(-ENTRIES_KEPT));
        return;
      }
      clearTimeout(timer);
      timer = window.setTimeout(load, 200);
    });
    const stopLogs = follow(`/v1/actual_lrps/${enc(guid)}/logs?follow=true&index=${index}&tail=${LINES_KEPT}`, {
      onOpen: () => setLines([]),
      onEvent: ({ event, data }) => {
        if (event !== 'log') return;
        try {
          const line = JSON.parse(data);
          setLines((list) => (list.length >= LINES_KEPT ? [...list.slice(-LINES_KEPT + 1), line] : [...list, line]));
        } catch {
          // not a line
        }
      },
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
      stopLogs();
    };
  }, [guid, index]);

  const merged = useMemo(() => {
    /** @type {Array<{ms: number, order: number, log?: any, entry?: any}>} log lines before decisions of the same ms */
    const rows = [
      ...lines.map((l) => ({ ms: l.at, order: 0, log: l })),
      ...entries.map((e) => ({ ms: e.at / 1e6, order: 1, entry: e })),
    ];
    return rows.sort((a, b) => a.ms - b.ms || a.order - b.order);
  }, [lines, entries]);

  useLayoutEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [merged]);

  return html`<section><h3>Instance ${index}: timeline and logs <span class="muted small">${entries.length} decisions, ${lines.length} lines${fromEvents ? ' (decisions from live events: this node has no timeline route)' : ''}</span></h3>
    <${ErrorLine} error=${error} />
    <div class="timeline" data-testid="timeline" ref=${box} onScroll=${(e) => (stick.current = e.currentTarget.scrollTop + e.currentTarget.clientHeight >= e.currentTarget.scrollHeight - 4)}>
      ${merged.map((r, i) => (r.log
        ? html`<div key=${`l${i}`} class=${`tl log ${r.log.stream}`} data-testid="tl-log" style=${`border-left-color:${colourOf(r.log.instance_guid ?? '')}`}>
            <span class="t">${clock(r.log.at * 1e6)}</span><span class="k">${r.log.source ?? r.log.stream}</span><span class="text">${r.log.line}</span></div>`
        : html`<div key=${`e${i}`} class=${`tl entry k-${r.entry.kind}`} data-testid="tl-entry" data-kind=${r.entry.kind} style=${`border-left-color:${colourOf(r.entry.instance_guid ?? '')}`}>
            <span class="t">${clock(r.entry.at)}</span><span class="k">${r.entry.kind}</span>
            <span class="text">${r.entry.detail || ''}${r.entry.cell_id ? html` <span class="muted">on ${r.entry.cell_id}</span>` : null}${r.entry.crash_count ? html` <span class="muted">crash #${r.entry.crash_count}</span>` : null}${r.entry.restart_at ? html` <span class="muted">restarts at ${clock(r.entry.restart_at)}</span>` : null}${r.entry.instance_guid ? html` <span class="muted small">${r.entry.instance_guid.slice(0, 8)}</span>` : null}</span></div>`))}
    </div></section>`;
}
