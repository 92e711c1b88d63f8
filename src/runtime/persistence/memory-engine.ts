/**
 * In-memory persistence engine with the LMDB engine's semantics, for tests. Records are cloned
 * on the way in and out, as serialisation would, so a caller mutating an object after
 * persisting it cannot change history. Tests can inject write faults.
 */
import {
  DuplicateEventError,
  pagedEventStream,
  type EventStream,
  type JournalRead,
  type PersistedEvent,
  type PersistedSnapshot,
  type PersistenceEngine,
} from './engine.js';
import { MemoryRuntimeStore, type RuntimeStore } from './runtime-store.js';

const PAGE = 256;

interface Sequenced {
  sequenceNumber: number;
}

export class MemoryPersistenceEngine implements PersistenceEngine {
  private readonly journal = new Map<string, PersistedEvent[]>();
  private readonly snapshots = new Map<string, PersistedSnapshot[]>();
  private persistFaults: Error[] = [];
  private snapshotFaults: Error[] = [];
  private closed = false;
  private readonly runtime = new MemoryRuntimeStore();

  /** See {@link PersistenceEngine.runtimeStore}: kept, like the journals, across close. */
  runtimeStore(): RuntimeStore {
    return this.runtime;
  }

  /** Makes the next `persist` call reject with `error` without storing anything. Faults queue. */
  failNextPersist(error: Error): void {
    this.persistFaults.push(error);
  }

  /** Makes the next `takeSnapshot` call reject with `error` without storing anything. */
  failNextSnapshot(error: Error): void {
    this.snapshotFaults.push(error);
  }

  /** Number of events stored for `key` (deleted ones included). */
  eventCount(key: string): number {
    return this.journal.get(key)?.length ?? 0;
  }

  /** See {@link PersistenceEngine.events}. */
  events(key: string, offset = 0, limit?: number, tags?: string[]): EventStream {
    return pagedEventStream(offset, limit, tags, async (after) => {
      await Promise.resolve();
      this.assertOpen();
      const list = this.journal.get(key) ?? [];
      const from = firstAbove(list, after);
      return list.slice(from, from + PAGE).map((e) => structuredClone(e));
    });
  }

  /** See {@link PersistenceEngine.latestSnapshot}. */
  async latestSnapshot(key: string): Promise<PersistedSnapshot | undefined> {
    this.assertOpen();
    const list = this.snapshots.get(key);
    const last = list?.[list.length - 1];
    return last && structuredClone(last);
  }

  /** See {@link PersistenceEngine.scanJournals}: one page, the whole prefix (tests hold few journals). */
  async scanJournals(prefix: string, visit: (journal: JournalRead) => void): Promise<void> {
    await Promise.resolve();
    this.assertOpen();
    const keys = [...this.journal.keys()].filter((k) => k.startsWith(prefix) && this.journal.get(k)!.length > 0).sort(bytewise);
    for (const key of keys) {
      const list = this.snapshots.get(key);
      const snapshot = list?.[list.length - 1];
      const events = this.journal.get(key)!;
      visit({
        key,
        snapshot: snapshot && structuredClone(snapshot),
        events: events.slice(firstAbove(events, snapshot?.sequenceNumber ?? 0)).map((e) => ({
          sequenceNumber: e.sequenceNumber,
          type: e.isDeleted ? undefined : typeOf(e.data),
          read: () => structuredClone(e),
        })),
      });
    }
  }

  /** See {@link PersistenceEngine.takeSnapshot}. */
  async takeSnapshot(snapshot: PersistedSnapshot): Promise<void> {
    this.assertOpen();
    const fault = this.snapshotFaults.shift();
    if (fault) throw fault;
    const copy = structuredClone(snapshot);
    insertSorted(this.snapshots, snapshot.key, copy, true);
  }

  /** See {@link PersistenceEngine.persist}. */
  async persist(event: PersistedEvent): Promise<void> {
    this.assertOpen();
    const fault = this.persistFaults.shift();
    if (fault) throw fault;
    const copy = structuredClone(event);
    if (!insertSorted(this.journal, event.key, copy, false)) {
      throw new DuplicateEventError(event.key, event.sequenceNumber);
    }
  }

  /** See {@link PersistenceEngine.deleteJournal}. */
  async deleteJournal(key: string): Promise<void> {
    this.assertOpen();
    this.journal.delete(key);
    this.snapshots.delete(key);
  }

  /** See {@link PersistenceEngine.deleteJournalsWithPrefix}. */
  async deleteJournalsWithPrefix(prefix: string): Promise<number> {
    this.assertOpen();
    const keys = new Set([...this.journal.keys(), ...this.snapshots.keys()].filter((k) => k.startsWith(prefix)));
    for (const key of keys) await this.deleteJournal(key);
    return keys.size;
  }

  /** Marks the engine closed; later calls reject. The stored data is kept. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('persistence engine is closed');
  }
}

/** `data.type` when it is a string. */
function typeOf(data: unknown): string | undefined {
  const type = data !== null && typeof data === 'object' ? (data as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/** Orders keys as LMDB does (UTF-8 bytes; the same as UTF-16 code units below the surrogates). */
function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first item with sequenceNumber > `after` (binary search). */
function firstAbove(list: readonly Sequenced[], after: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.sequenceNumber <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Inserts `item` into the key's list in sequence order. An existing item with the same sequence
 * number is replaced when `replace`, otherwise nothing is stored and false is returned.
 */
function insertSorted<T extends Sequenced>(map: Map<string, T[]>, key: string, item: T, replace: boolean): boolean {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  const at = firstAbove(list, item.sequenceNumber - 1);
  if (list[at]?.sequenceNumber === item.sequenceNumber) {
    if (!replace) return false;
    list[at] = item;
    return true;
  }
  list.splice(at, 0, item);
  return true;
}
