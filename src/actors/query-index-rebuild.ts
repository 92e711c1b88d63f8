/**
 * Rebuilds the query index (query-index.ts) after a control start from what the journals hold,
 * without any actor: the registries' journals (`lrps`, `tasks`) name the records and their
 * epochs; each supervisor's, instance's and task's journal is folded (latest snapshot, then the
 * events after it) with the same pure folds the actors replay with. The journals are read with
 * range scans in key order (`PersistenceEngine.scanJournals`), one per kind, not one read per
 * journal: at 250k instances 15.8 CPU s before, 8.9 after (bench/index-rebuild.ts). So the index is whole even
 * where no instance actor is alive (a virtual, passive one), and a listing never waits for the
 * actors' own recovery.
 *
 * Why the journals and not a record of its own: every change is already one durable row in the
 * instance's journal, and a second per-instance record written beside it would double the
 * writes on the hot path (issue 14 counts them) to save a read that happens once per start.
 * Measured at 250k: the scans skip the ~500k events that decide nothing without decoding them;
 * most of what is left (decoding, GC and compacting the 450k records the index keeps) a record
 * of its own would cost too.
 */
import type { JournalRead, PersistenceEngine } from '../runtime/persistence/engine.js';
import type { Task } from '../models/task.js';
import { applySupervisorEvent, needsTrim, type LrpSupervisorEvent, type LrpSupervisorState } from './lrp-supervisor.journal.js';
import { lrpSupervisorKey } from './lrp-supervisor.js';
import { actualLrpKey, applyEvent as applyRowsEvent, noRows, type ActualLrpEvent, type ActualLrpState } from './actual-lrp.rows.js';
import { taskKey } from './task.js';
import type { IndexLoader } from './query-index.js';
import { StringCompactor } from './query-index-compact.js';
import type { ActualLRP } from '../models/actual-lrp.js';

/** Folds one journal: its latest snapshot (or `init`), then the events after it. */
export async function foldJournal<S, E>(engine: PersistenceEngine, key: string, init: S, apply: (state: S, event: E) => S): Promise<S> {
  const snapshot = await engine.latestSnapshot(key);
  let state = snapshot ? (snapshot.data as S) : init;
  for await (const event of engine.events(key, snapshot?.sequenceNumber ?? 0)) {
    if (!event.isDeleted) state = apply(state, event.data as E);
  }
  return state;
}

/** Records folded between two turns of the event loop, where the rebuild loops by itself. */
const TURN = 5000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type RegistryEvent = { type: 'added'; epoch: string } & Record<string, unknown> | { type: 'removed' } & Record<string, unknown>;

/** A registry's entries (guid → epoch) in its own order; `field` names the guid in its events. */
async function registry(engine: PersistenceEngine, key: string, field: 'process_guid' | 'task_guid'): Promise<Record<string, string>> {
  const whole = field === 'process_guid' ? 'lrps' : 'tasks';
  let journal: JournalRead | undefined;
  // a scan, not `events()`: 200k registry events folded in pages, not one promise each
  await engine.scanJournals(key, (read) => {
    if (read.key === key) journal = read;
  }, { decode: true });
  const snapshot = journal ? journal.snapshot : await engine.latestSnapshot(key); // a snapshot with no event after it
  // a copy: the memory engine hands out the stored object, and this fold writes in place
  const entries: Record<string, string> = { ...((snapshot?.data as Record<string, Record<string, string>> | undefined)?.[whole] ?? {}) };
  const events = journal?.events ?? [];
  for (let i = 0; i < events.length; i++) {
    if (i % TURN === TURN - 1) await nextTurn();
    const event = events[i]!.read();
    if (event.isDeleted) continue;
    const e = event.data as RegistryEvent;
    const guid = e[field] as string;
    if (e.type === 'added') entries[guid] = e.epoch as string;
    else delete entries[guid];
  }
  return entries;
}

/** `record` with its process guid the registry's own string (one copy per LRP, whatever the records). */
function own<T extends { process_guid: string }>(record: T, guid: string): T {
  if (record.process_guid === guid) record.process_guid = guid;
  return record;
}

/** Folds a journal as a scan read it: its snapshot (or `init`), then its events up to `upTo` (all). */
function foldRead<S, E>(journal: JournalRead, init: S, apply: (state: S, event: E) => S, upTo = journal.events.length - 1): S {
  let state = journal.snapshot ? (journal.snapshot.data as S) : init;
  for (let i = 0; i <= upTo; i++) {
    const event = journal.events[i]!.read();
    if (!event.isDeleted) state = apply(state, event.data as E);
  }
  return state;
}

/**
 * An instance's rows from its journal as a scan read it, with as few events decoded as the fold
 * (actual-lrp.rows.ts) allows, and the same result: a `row` event sets the ORDINARY row and
 * `pending` and nothing else, so of the `row` events at the journal's end only the last counts;
 * a `rows` or `removed` event sets every field, so the events before it count only if one could
 * fail the fold, which one whose type the scan read cannot. A journal of UNCLAIMED, CLAIMED,
 * RUNNING rows is one decode instead of three.
 */
export function foldInstanceRows(journal: JournalRead): ActualLrpState {
  const events = journal.events;
  let last = events.length - 1;
  while (last >= 0 && events[last]!.type === 'row') last--;
  let state: ActualLrpState | undefined;
  if (last < 0) state = journal.snapshot ? (journal.snapshot.data as ActualLrpState) : noRows();
  else if (events[last]!.type === 'rows' || events[last]!.type === 'removed') {
    let typed = true;
    for (let i = 0; i < last && typed; i++) typed = events[i]!.type !== undefined;
    if (typed) state = applyRowsEvent(noRows(), events[last]!.read().data as ActualLrpEvent);
  }
  // an event of no type the scan could read (deleted, malformed, tagged): every event, as replay
  state ??= foldRead<ActualLrpState, ActualLrpEvent>(journal, noRows(), applyRowsEvent, last);
  if (last < events.length - 1) state = applyRowsEvent(state, events[events.length - 1]!.read().data as ActualLrpEvent);
  return state;
}

/**
 * Scans the journals under `prefix` (one range read in key order, not a read per journal) and
 * folds those `owners` names (journal key → guid); a journal of another epoch is left alone.
 * Resolves the guids whose journal the scan did not find (a key LMDB refuses, say): the caller
 * reads each of those on its own, as before the scan, so they fail (or not) as they did.
 */
async function scanOwned(engine: PersistenceEngine, prefix: string, owners: Map<string, string>, fold: (guid: string, journal: JournalRead) => void): Promise<string[]> {
  const found = new Set<string>();
  // every event of a supervisor's or task's journal is folded: decoded as read
  await engine.scanJournals(prefix, (journal) => {
    const guid = owners.get(journal.key);
    if (guid === undefined) return;
    found.add(journal.key);
    fold(guid, journal);
  }, { decode: true });
  return [...owners].filter(([key]) => !found.has(key)).map(([, guid]) => guid);
}

/**
 * Fills `index` from the journals under `engine`. A record whose journal cannot be folded, or
 * holds what no desire could (more than `maxInstances`), is marked unreadable: listings ask its
 * actor instead (query-index-unreadable.ts), which fails on the same state and is quarantined.
 *
 * Three range scans (`lrp/`, `actual-lrp/`, `task/`) read the journals in key order; an
 * instance's journal is folded only when its LRP is desired and its index below `instances`.
 */
export async function loadQueryIndex(engine: PersistenceEngine, index: IndexLoader, maxInstances: number): Promise<void> {
  const [lrps, tasks] = await Promise.all([registry(engine, 'lrps', 'process_guid'), registry(engine, 'tasks', 'task_guid')]);
  // decoded records are compacted before the index keeps them (query-index-compact.ts)
  const compact = new StringCompactor();
  const supervisors = new Map<string, string>();
  const guids = Object.keys(lrps);
  for (let i = 0; i < guids.length; i++) {
    if (i % TURN === TURN - 1) await nextTurn();
    const guid = guids[i]!;
    index.entry(guid);
    supervisors.set(lrpSupervisorKey(guid, lrps[guid]!), guid);
  }
  // journal key prefix of an LRP's instances (`actual-lrp/<guid>/<epoch>`) → its guid and instances
  const instancesOf = new Map<string, { guid: string; instances: number }>();
  const desired = (guid: string, s: LrpSupervisorState) => {
    if (needsTrim(s)) index.rowsToTrim(guid);
    // more instances than a desire may ask for is a malformed journal: its supervisor fails on it too
    if (!s.desired) return;
    if (!(s.desired.instances <= maxInstances)) throw new Error(`instances: ${s.desired.instances}`);
    index.desired(own(compact.compact(s.desired), guid));
    if (s.desired.instances > 0) instancesOf.set(actualLrpKey(guid, lrps[guid]!, 0).slice(0, -'/0'.length), { guid, instances: s.desired.instances });
  };
  const unscanned = await scanOwned(engine, 'lrp/', supervisors, (guid, journal) => {
    try {
      desired(guid, foldRead<LrpSupervisorState, LrpSupervisorEvent>(journal, { desired: undefined }, applySupervisorEvent));
    } catch {
      index.unreadable('lrp', guid);
    }
  });
  for (const guid of unscanned) {
    try {
      desired(guid, await foldJournal<LrpSupervisorState, LrpSupervisorEvent>(engine, lrpSupervisorKey(guid, lrps[guid]!), { desired: undefined }, applySupervisorEvent));
    } catch {
      index.unreadable('lrp', guid);
    }
  }

  await engine.scanJournals('actual-lrp/', (journal) => {
    const slash = journal.key.lastIndexOf('/');
    const lrp = instancesOf.get(journal.key.slice(0, slash));
    const at = journal.key.slice(slash + 1);
    const i = Number(at);
    // only `0..instances-1`, each spelt as actualLrpKey spells it (rows above are being removed)
    if (!lrp || !(i < lrp.instances) || String(i) !== at) return;
    try {
      const rows = foldInstanceRows(journal);
      const keep = (row: ActualLRP | undefined) => row && compact.row(row, lrp.guid);
      index.rows(lrp.guid, i, { o: keep(rows.actual), s: keep(rows.suspect), e: keep(rows.evacuating) });
    } catch {
      index.unreadable('instances', lrp.guid);
    }
  });

  const taskJournals = new Map<string, string>();
  for (const [guid, epoch] of Object.entries(tasks)) taskJournals.set(taskKey(guid, epoch), guid);
  // a task actor's state (and so its snapshot) is `{ task, rt }`
  const applyTask = (_: { task?: Task }, e: { type: 'task'; task: Task } | { type: 'deleted' }) => ({ task: e.type === 'task' ? e.task : undefined });
  const unscannedTasks = await scanOwned(engine, 'task/', taskJournals, (guid, journal) => {
    let task: Task | undefined;
    try {
      task = foldRead(journal, {}, applyTask).task;
    } catch {
      index.unreadable('task', guid);
    }
    if (task) index.task(compact.compact(task));
  });
  for (const guid of unscannedTasks) {
    const task = (await foldJournal(engine, taskKey(guid, tasks[guid]!), {}, applyTask).catch(() => { index.unreadable('task', guid); return undefined; }))?.task;
    if (task) index.task(compact.compact(task));
  }
}
