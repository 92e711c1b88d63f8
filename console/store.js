/**
 * The page's copy of the cluster: DesiredLRPs, ActualLRPs, tasks and cells, listed once and then
 * kept current from the one `/v1/events` stream (no polling per row). Views read it through
 * `useStore`, which re-renders them at most once per animation frame however many events came.
 *
 * Resynchronisation: whenever the stream starts afresh (first open, a 410 for a Last-Event-ID
 * that is no longer kept, a node that went away), the events that come while the listings load
 * are held back, then applied in order on top of them: every event sets a row to its new value
 * or deletes it, so one older than a listing changes nothing that the listing had not.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api.js';
import { follow } from './sse.js';

/** Events the Events view keeps (older ones drop off). */
const EVENTS_KEPT = 5000;

/** @param {any} row @returns {string} an ActualLRP row's key: an instance may have an ORDINARY and an EVACUATING row */
export const actualKey = (row) => `${row.process_guid}\u0000${row.index}\u0000${row.presence ?? 'ORDINARY'}`;

export const store = {
  /** @type {Map<string, any>} by process_guid */
  desired: new Map(),
  /** @type {Map<string, any>} by actualKey */
  actuals: new Map(),
  /** @type {Map<string, any>} by task_guid */
  tasks: new Map(),
  /** @type {any[]} GET /v1/cells, refreshed while the cluster view shows */
  cells: [],
  /** @type {Array<{id: string, type: string, data: any, at: number}>} newest last */
  events: [],
  /** whether the event stream is open */
  live: false,
  /** the listings have loaded at least once */
  loaded: false,
  /** @type {string | undefined} why the last listing failed */
  error: undefined,
  /** bumped on every change; derived views are memoised on it */
  version: 0,
};

/** @type {Set<() => void>} */
const listeners = new Set();
let scheduled = false;

/** Marks the store changed; listeners run once in the next frame. */
export function changed() {
  store.version += 1;
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    for (const listener of [...listeners]) listener();
  });
}

/** @returns {number} the store's version; the calling component re-renders when it changes */
export function useStore() {
  const [, setVersion] = useState(store.version);
  useEffect(() => {
    const listener = () => setVersion(store.version);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return store.version;
}

/** @type {Set<(event: {id: string, type: string, data: any}) => void>} */
const eventListeners = new Set();

/**
 * Calls `listener` with each event as it arrives (for views that react to one instance's changes).
 * @param {(event: {id: string, type: string, data: any}) => void} listener
 * @returns {() => void} unsubscribe
 */
export function onEvent(listener) {
  eventListeners.add(listener);
  return () => void eventListeners.delete(listener);
}

/** @param {string} type @param {any} data applies one event to the maps */
function apply(type, data) {
  switch (type) {
    case 'desired_lrp_created':
      store.desired.set(data.desired_lrp.process_guid, data.desired_lrp);
      break;
    case 'desired_lrp_changed':
      store.desired.set(data.after.process_guid, data.after);
      break;
    case 'desired_lrp_removed':
      store.desired.delete(data.desired_lrp.process_guid);
      break;
    case 'actual_lrp_instance_created':
      store.actuals.set(actualKey(data.actual_lrp), data.actual_lrp);
      break;
    case 'actual_lrp_instance_changed':
      store.actuals.delete(actualKey(data.before));
      store.actuals.set(actualKey(data.after), data.after);
      break;
    case 'actual_lrp_instance_removed':
      store.actuals.delete(actualKey(data.actual_lrp));
      break;
    case 'task_created':
      store.tasks.set(data.task.task_guid, data.task);
      break;
    case 'task_changed':
      store.tasks.set(data.after.task_guid, data.after);
      break;
    case 'task_removed':
      store.tasks.delete(data.task.task_guid);
      break;
    default:
      break;
  }
}

/** @type {Array<{type: string, data: any}> | undefined} events held back while listing */
let heldBack;
let wantCells = 0;

async function relist() {
  heldBack = heldBack ?? [];
  try {
    const [desired, actuals, tasks] = await Promise.all([api('GET', '/v1/desired_lrps'), api('GET', '/v1/actual_lrps'), api('GET', '/v1/tasks')]);
    store.desired = new Map(desired.map((d) => [d.process_guid, d]));
    store.actuals = new Map(actuals.map((a) => [actualKey(a), a]));
    store.tasks = new Map(tasks.map((t) => [t.task_guid, t]));
    store.loaded = true;
    store.error = undefined;
  } catch (error) {
    // shown until a listing succeeds; the events keep applying meanwhile
    store.error = `listing failed: ${/** @type {Error} */ (error).message}; trying again`;
    // a 401 brings the token prompt instead; a new token connects and lists anew
    if (!(error instanceof ApiError && error.status === 401)) setTimeout(() => void relist(), 2000);
  }
  for (const event of heldBack) apply(event.type, event.data);
  heldBack = undefined;
  if (wantCells > 0) void refreshCells();
  changed();
}

let cellsTimer = 0;
let cellsLoading = false;
/** Lists the cells, at most once a second (their free resources change with every placement). */
export function refreshCells() {
  if (cellsTimer || cellsLoading) return;
  cellsTimer = window.setTimeout(async () => {
    cellsTimer = 0;
    cellsLoading = true;
    try {
      store.cells = await api('GET', '/v1/cells');
      changed();
    } catch {
      // the next change tries again
    } finally {
      cellsLoading = false;
    }
  }, store.cells.length === 0 ? 0 : 1000);
}

/** While a view that shows cells is mounted, they follow the events. @returns {() => void} */
export function watchCells() {
  wantCells += 1;
  refreshCells();
  return () => void (wantCells -= 1);
}

/** @type {(() => void) | undefined} */
let stopStream;

/** Starts following `/v1/events` (again, after a new token). */
export function connect() {
  stopStream?.();
  stopStream = follow('/v1/events', {
    resume: true,
    onOpen: ({ resumed }) => {
      if (!resumed) void relist();
    },
    onStatus: (live) => {
      store.live = live;
      changed();
    },
    onEvent: ({ id, event, data }) => {
      let parsed;
      try {
        parsed = JSON.parse(data);
      } catch {
        return;
      }
      store.events.push({ id: id ?? '', type: event, data: parsed, at: Date.now() });
      if (store.events.length > EVENTS_KEPT + 500) store.events.splice(0, store.events.length - EVENTS_KEPT);
      if (heldBack) heldBack.push({ type: event, data: parsed });
      else apply(event, parsed);
      if (wantCells > 0 && (event.startsWith('cell_') || event.startsWith('actual_lrp') || event.startsWith('task_'))) refreshCells();
      for (const listener of eventListeners) listener({ id: id ?? '', type: event, data: parsed });
      changed();
    },
  });
}

let derivedVersion = -1;
/** @type {Map<string, any[]>} */
let byLrp = new Map();
/** @type {Map<string, any[]>} */
let byCell = new Map();

function derive() {
  if (derivedVersion === store.version) return;
  derivedVersion = store.version;
  byLrp = new Map();
  byCell = new Map();
  for (const row of store.actuals.values()) {
    let list = byLrp.get(row.process_guid);
    if (!list) byLrp.set(row.process_guid, (list = []));
    list.push(row);
    if (row.cell_id) {
      let onCell = byCell.get(row.cell_id);
      if (!onCell) byCell.set(row.cell_id, (onCell = []));
      onCell.push(row);
    }
  }
}

/** @param {string} guid @returns {any[]} that LRP's ActualLRP rows, by index */
export function instancesOf(guid) {
  derive();
  return (byLrp.get(guid) ?? []).slice().sort((a, b) => a.index - b.index || String(a.presence).localeCompare(String(b.presence)));
}

/** @returns {Map<string, any[]>} ActualLRP rows by process guid (shared: do not change) */
export function instancesByLrp() {
  derive();
  return byLrp;
}

/** @returns {Map<string, any[]>} ActualLRP rows by cell (shared: do not change) */
export function instancesByCell() {
  derive();
  return byCell;
}
