/**
 * Rebuilds the query index (query-index.ts) after a control start from what the journals hold,
 * without any actor: the registries' journals (`lrps`, `tasks`) name the records and their
 * epochs; each supervisor's, instance's and task's journal is folded (latest snapshot, then the
 * events after it) with the same pure folds the actors replay with. So the index is whole even
 * where no instance actor is alive (a virtual, passive one), and a listing never waits for the
 * actors' own recovery.
 *
 * Why the journals and not a record of its own: every change is already one durable row in the
 * instance's journal, and a second per-instance record written beside it would double the
 * writes on the hot path (issue 14 counts them) to save a read that happens once per start.
 */
import type { PersistenceEngine } from '../runtime/persistence/engine.js';
import type { Task } from '../models/task.js';
import { applySupervisorEvent, needsTrim, type LrpSupervisorEvent, type LrpSupervisorState } from './lrp-supervisor.journal.js';
import { lrpSupervisorKey } from './lrp-supervisor.js';
import { actualLrpKey, applyEvent as applyRowsEvent, noRows, type ActualLrpEvent, type ActualLrpState } from './actual-lrp.rows.js';
import { taskKey } from './task.js';
import type { IndexLoader } from './query-index.js';

/** How many records are read at once. */
const CONCURRENCY = 256;

/** Folds one journal: its latest snapshot (or `init`), then the events after it. */
export async function foldJournal<S, E>(engine: PersistenceEngine, key: string, init: S, apply: (state: S, event: E) => S): Promise<S> {
  const snapshot = await engine.latestSnapshot(key);
  let state = snapshot ? (snapshot.data as S) : init;
  for await (const event of engine.events(key, snapshot?.sequenceNumber ?? 0)) {
    if (!event.isDeleted) state = apply(state, event.data as E);
  }
  return state;
}

type RegistryEvent = { type: 'added'; epoch: string } & Record<string, unknown> | { type: 'removed' } & Record<string, unknown>;

/** A registry's entries (guid → epoch) in its own order; `field` names the guid in its events. */
async function registry(engine: PersistenceEngine, key: string, field: 'process_guid' | 'task_guid'): Promise<Record<string, string>> {
  const whole = field === 'process_guid' ? 'lrps' : 'tasks';
  const snapshot = await engine.latestSnapshot(key);
  // a copy: the memory engine hands out the stored object, and this fold writes in place
  const entries: Record<string, string> = { ...((snapshot?.data as Record<string, Record<string, string>> | undefined)?.[whole] ?? {}) };
  for await (const event of engine.events(key, snapshot?.sequenceNumber ?? 0)) {
    if (event.isDeleted) continue;
    const e = event.data as RegistryEvent;
    const guid = e[field] as string;
    if (e.type === 'added') entries[guid] = e.epoch as string;
    else delete entries[guid];
  }
  return entries;
}

/** Runs `work` over `items`, `CONCURRENCY` at a time. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

/**
 * Fills `index` from the journals under `engine`. A record whose journal cannot be folded, or
 * holds what no desire could (more than `maxInstances`), is marked unreadable: listings ask its
 * actor instead (query-index-unreadable.ts), which fails on the same state and is quarantined.
 */
export async function loadQueryIndex(engine: PersistenceEngine, index: IndexLoader, maxInstances: number): Promise<void> {
  const [lrps, tasks] = await Promise.all([registry(engine, 'lrps', 'process_guid'), registry(engine, 'tasks', 'task_guid')]);
  for (const guid of Object.keys(lrps)) index.entry(guid);
  await inParallel(Object.entries(lrps), async ([guid, epoch]) => {
    try {
      const s = await foldJournal<LrpSupervisorState, LrpSupervisorEvent>(engine, lrpSupervisorKey(guid, epoch), { desired: undefined }, applySupervisorEvent);
      if (needsTrim(s)) index.rowsToTrim(guid);
      // more instances than a desire may ask for is a malformed journal: its supervisor fails on it too
      if (!s.desired) return;
      if (!(s.desired.instances <= maxInstances)) throw new Error(`instances: ${s.desired.instances}`);
      index.desired(s.desired);
      for (let i = 0; i < s.desired.instances; i++) {
        const rows = await foldJournal<ActualLrpState, ActualLrpEvent>(engine, actualLrpKey(guid, epoch, i), noRows(), applyRowsEvent).catch(() => undefined);
        if (rows) index.rows(guid, i, { o: rows.actual, s: rows.suspect, e: rows.evacuating });
        else index.unreadable('instances', guid);
      }
    } catch {
      index.unreadable('lrp', guid);
    }
  });
  await inParallel(Object.entries(tasks), async ([guid, epoch]) => {
    // a task actor's state (and so its snapshot) is `{ task, rt }`
    const task = (await foldJournal<{ task?: Task }, { type: 'task'; task: Task } | { type: 'deleted' }>(
      engine, taskKey(guid, epoch), {}, (_, e) => ({ task: e.type === 'task' ? e.task : undefined }),
    ).catch(() => { index.unreadable('task', guid); return undefined; }))?.task;
    if (task) index.task(task);
  });
}
