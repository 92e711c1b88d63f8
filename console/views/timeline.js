/**
 * An instance's timeline: the scheduler's decisions about it (`GET /v1/actual_lrps/:guid/:index/
 * timeline`: unclaimed, placement failures, claims, running, crashes with their reason and
 * backoff, evacuation, suspect, replacement) merged by time with its log lines (the logs
 * route's SSE, `follow=true&index=`: the tail, then each new line). The timeline is read again
 * when an event about this instance arrives, so it follows live like the lines.
 * Each instance guid has its own colour, so lines and decisions of one run read together.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { follow } from '../sse.js';
import { onEvent } from '../store.js';
import { clock, colourOf, ErrorLine, html } from '../ui.js';

const LINES_KEPT = 2000;
const ENTRIES_KEPT = 1000;

/** @param {{guid: string, index: number}} props */
export function Timeline({ guid, index }) {
  const [entries, setEntries] = useState(/** @type {any[]} */ ([]));
  const [lines, setLines] = useState(/** @type {any[]} */ ([]));
  const [error, setError] = useState(/** @type {unknown} */ (undefined));
  const box = useRef(/** @type {HTMLDivElement | null} */ (null));
  const stick = useRef(true);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const load = async () => {
      try {
        const answer = await api('GET', `/v1/actual_lrps/${enc(guid)}/${index}/timeline?limit=${ENTRIES_KEPT}`);
        if (!stopped) (setEntries(answer.entries), setError(undefined));
      } catch (e) {
        if (!stopped) setError(e);
      }
    };
    void load();
    const unsubscribe = onEvent(({ data }) => {
      const row = data.actual_lrp ?? data.after ?? data;
      if (row.process_guid !== guid || row.index !== index) return;
      // a burst of changes (claim, run) is read once
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

  return html`<section><h3>Instance ${index}: timeline and logs <span class="muted small">${entries.length} decisions, ${lines.length} lines</span></h3>
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
