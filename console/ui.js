/**
 * Small shared pieces: `html` (htm bound to preact), the virtualised list every long listing
 * uses, bars, the confirmation dialog, and time and colour helpers.
 */
import { h } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * A list that renders only the rows in view (plus a few either side), so 10k rows cost what 30
 * do. Rows have one fixed height; the container scrolls.
 * @param {{items: any[], rowHeight?: number, height?: string, row: (item: any, i: number) => any, rowKey: (item: any) => string, testId?: string}} props
 */
export function VirtualList({ items, rowHeight = 30, height = 'calc(100vh - 220px)', row, rowKey, testId }) {
  const ref = useRef(/** @type {HTMLDivElement | null} */ (null));
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(800);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    setViewport(el.clientHeight);
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const overscan = 8;
  // the list may have shrunk (a filter) since the last scroll event: the browser clamps its scrollTop, so must we
  const top = Math.max(0, Math.min(scrollTop, items.length * rowHeight - viewport));
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((top + viewport) / rowHeight) + overscan);
  const shown = [];
  for (let i = first; i < last; i++) {
    shown.push(html`<div class="vrow" key=${rowKey(items[i])} style=${`top:${i * rowHeight}px;height:${rowHeight}px`}>${row(items[i], i)}</div>`);
  }
  return html`<div class="vlist" ref=${ref} style=${`height:${height}`} data-testid=${testId} data-rows=${items.length} onScroll=${(e) => setScrollTop(e.currentTarget.scrollTop)}>
    <div class="vspace" style=${`height:${items.length * rowHeight}px`}>${shown}</div>
  </div>`;
}

/** @param {{label: string, used: number | null | undefined, total: number | null | undefined, unit?: string}} props */
export function Bar({ label, used, total, unit = '' }) {
  const known = typeof used === 'number' && typeof total === 'number' && total > 0;
  const share = known ? Math.min(1, Math.max(0, used / total)) : 0;
  const text = known ? `${label} ${Math.round(used)}/${total}${unit}` : `${label} ?`;
  const level = share > 0.9 ? 'high' : share > 0.7 ? 'mid' : 'low';
  return html`<span class="bar" title=${text} data-label=${label}><span class=${`fill ${level}`} style=${`width:${share * 100}%`}></span><span class="bar-text">${text}</span></span>`;
}

/** @type {((q: {message: string, resolve: (ok: boolean) => void} | undefined) => void) | undefined} */
let showConfirm;

/**
 * Asks the operator to confirm a change.
 * @param {string} message @returns {Promise<boolean>} whether they confirmed
 */
export function confirmAction(message) {
  return new Promise((resolve) => (showConfirm ? showConfirm({ message, resolve }) : resolve(window.confirm(message))));
}

/** The dialog `confirmAction` opens; mounted once by the app. */
export function ConfirmHost() {
  const [question, setQuestion] = useState(/** @type {{message: string, resolve: (ok: boolean) => void} | undefined} */ (undefined));
  useEffect(() => {
    showConfirm = setQuestion;
    return () => void (showConfirm = undefined);
  }, []);
  if (!question) return null;
  const answer = (ok) => {
    setQuestion(undefined);
    question.resolve(ok);
  };
  return html`<div class="modal-back"><div class="modal" role="dialog" aria-modal="true" data-testid="confirm">
    <p>${question.message}</p>
    <div class="row"><button class="danger" onClick=${() => answer(true)}>Confirm</button><button onClick=${() => answer(false)}>Cancel</button></div>
  </div></div>`;
}

/** @param {number | null | undefined} ns nanoseconds since the epoch @returns {string} */
export function clock(ns) {
  if (!ns) return '—';
  const d = new Date(ns / 1e6);
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** @param {number | null | undefined} ns @returns {string} e.g. `12s ago` */
export function ago(ns) {
  if (!ns) return '—';
  const s = Math.max(0, Math.round((Date.now() - ns / 1e6) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

/** @param {string} text @returns {string} a stable hue for an instance guid, for its lines' colour */
export function colourOf(text) {
  if (!text) return '#c6cbd8';
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return `hsl(${Math.abs(hash) % 360} 65% 42%)`;
}

/** @param {{error: unknown}} props shows an API error's message */
export function ErrorLine({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${/** @type {Error} */ (error).message ?? String(error)}</p>`;
}

/** @param {{state: string}} props @returns {any} a coloured state label */
export const State = ({ state }) => html`<span class=${`state s-${String(state).toLowerCase()}`}>${state}</span>`;
