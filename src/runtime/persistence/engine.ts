/**
 * The persistence-engine contract nact 7.6.2 calls (see ../shared/ACTORS.md section 1.6), typed.
 *
 * nact duck-types the engine: it calls `latestSnapshot(key)` then `events(key, offset).reduce(...)`
 * during recovery, `persist(event)` from `ctx.persist`, and `takeSnapshot(snapshot)` every
 * `snapshotEvery` persisted events. Every engine in this folder implements this interface and
 * passes the same contract suite (test/runtime/persistence/engine-contract.ts).
 */

import type { RuntimeStore } from './runtime-store.js';

/** One persisted event. Sequence numbers are 1-based and strictly increasing per key. */
export interface PersistedEvent {
  data: unknown;
  sequenceNumber: number;
  key: string;
  tags: string[];
  /** ms since the epoch */
  createdAt: number;
  /** replay skips deleted events but still advances the sequence number past them */
  isDeleted: boolean;
}

/** A snapshot of an actor's state as of `sequenceNumber` (events up to it are folded in). */
export interface PersistedSnapshot {
  data: unknown;
  sequenceNumber: number;
  key: string;
  createdAt: number;
}

/**
 * What `events()` returns: an async iterable that also has the `.reduce(fn, init)` nact's
 * recovery calls. `reduce` awaits each step, so a long history is folded one page at a time
 * instead of being loaded whole.
 */
export interface EventStream extends AsyncIterable<PersistedEvent> {
  reduce<U>(fn: (acc: U, event: PersistedEvent, index: number) => U | Promise<U>, init: U): Promise<U>;
}

/**
 * One event as {@link PersistenceEngine.scanJournals} reads it: not decoded until asked, so a
 * reader that needs only some events of a journal (the last of a run that each replace the
 * same field, say) decodes only those.
 */
export interface ScannedEvent {
  sequenceNumber: number;
  /**
   * The event's `data.type` when the engine can tell it without decoding the rest (a live event
   * whose data is a map with a string `type` first); undefined when it cannot, never set on a
   * deleted event. A hint: `read()` is the truth.
   */
  type: string | undefined;
  /** The event, decoded now unless the scan decoded it already (`decode`). */
  read(): PersistedEvent;
}

export interface ScanOptions {
  /**
   * Decode every event as the range is read: for a reader that needs them all (a registry, a
   * journal of one event), which is cheaper than a read per event. Default: only when `read()`.
   */
  decode?: boolean;
}

/** One journal as {@link PersistenceEngine.scanJournals} reads it. */
export interface JournalRead {
  key: string;
  /** its latest snapshot, if any */
  snapshot: PersistedSnapshot | undefined;
  /** the events after the snapshot (every event when there is none), ascending, deleted ones included */
  events: ScannedEvent[];
}

export interface PersistenceEngine {
  /**
   * Events of `key` with `sequenceNumber > offset`, ascending; at most `limit` of them; when
   * `tags` is given, only events carrying every one of those tags.
   */
  events(key: string, offset?: number, limit?: number, tags?: string[]): EventStream;
  /** The snapshot of `key` with the highest sequence number, or undefined when there is none. */
  latestSnapshot(key: string): Promise<PersistedSnapshot | undefined>;
  /** Stores a snapshot; a later snapshot of the same (key, sequenceNumber) replaces it. */
  takeSnapshot(snapshot: PersistedSnapshot): Promise<void>;
  /**
   * Stores one event. Resolves only once the event is durable, so the caller may acknowledge
   * it. Rejects with {@link DuplicateEventError} when (key, sequenceNumber) is already stored:
   * that is the only guard against two live actors writing the same key.
   */
  persist(event: PersistedEvent): Promise<void>;
  /**
   * Deletes every event and snapshot of `key` (nact never calls this: a journal that must go,
   * such as a quarantined record's, is deleted by Auctor). Resolves once the deletion is durable;
   * a later `persist` to `key` starts a new journal.
   */
  deleteJournal(key: string): Promise<void>;
  /**
   * Deletes the journals of every key starting with `prefix` (e.g. `actual-lrp/<guid>/<epoch>/`);
   * resolves with how many keys had one, once the deletion is durable.
   */
  deleteJournalsWithPrefix(prefix: string): Promise<number>;
  /**
   * Reads every journal whose key starts with `prefix` in key order (bytewise), with range reads
   * rather than one read per key (a control's start reads hundreds of thousands of journals):
   * `visit` gets each journal that has events, with its latest snapshot and the events after it.
   * Reads a page at a time and yields to the event loop between pages, so a long scan does not
   * hold the loop; writes made meanwhile may or may not be seen (each journal is read as it was
   * at some point during the scan). Resolves once every journal was visited.
   */
  scanJournals(prefix: string, visit: (journal: JournalRead) => void, options?: ScanOptions): Promise<void>;
  /**
   * The runtime's own records beside the journals (./runtime-store.ts): virtual children's
   * index, durable timers. Optional: an engine without it cannot host virtual children.
   */
  runtimeStore?(): RuntimeStore;
  /** Releases the engine's resources; pending writes finish first. */
  close(): Promise<void>;
}

/** `persist` was given a (key, sequenceNumber) that is already stored. */
export class DuplicateEventError extends Error {
  readonly code = 'DuplicateEvent';
  constructor(readonly key: string, readonly sequenceNumber: number) {
    super(`event ${sequenceNumber} of "${key}" is already persisted`);
    this.name = 'DuplicateEventError';
  }
}

/** Builds the event record nact would build (its constructor sorts the tags). */
export function persistedEvent(
  key: string,
  sequenceNumber: number,
  data: unknown,
  tags: string[] = [],
  createdAt = Date.now(),
): PersistedEvent {
  return { data, sequenceNumber, key, tags: [...tags].sort(), createdAt, isDeleted: false };
}

export function persistedSnapshot(
  key: string,
  sequenceNumber: number,
  data: unknown,
  createdAt = Date.now(),
): PersistedSnapshot {
  return { data, sequenceNumber, key, createdAt };
}

/**
 * Builds an {@link EventStream} from a source of pages: `nextPage(after)` returns the events
 * with sequence numbers above `after`, ascending, at most one page of them (empty when done).
 * Engines share this so paging, limits and tag filtering behave the same in each.
 */
export function pagedEventStream(
  offset: number,
  limit: number | undefined,
  tags: string[] | undefined,
  nextPage: (after: number) => PersistedEvent[] | Promise<PersistedEvent[]>,
): EventStream {
  const wanted = tags && tags.length > 0 ? tags : undefined;
  const max = limit ?? Number.POSITIVE_INFINITY;
  async function* iterate(): AsyncGenerator<PersistedEvent> {
    let after = offset;
    let yielded = 0;
    while (yielded < max) {
      const page = await nextPage(after);
      if (page.length === 0) return;
      for (const event of page) {
        after = event.sequenceNumber;
        if (wanted && !wanted.every((t) => event.tags.includes(t))) continue;
        yield event;
        if (++yielded >= max) return;
      }
    }
  }
  return {
    [Symbol.asyncIterator]: iterate,
    async reduce<U>(fn: (acc: U, event: PersistedEvent, index: number) => U | Promise<U>, init: U): Promise<U> {
      let acc = init;
      let index = 0;
      for await (const event of iterate()) acc = await fn(acc, event, index++);
      return acc;
    },
  };
}
