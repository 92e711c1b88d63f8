/**
 * nact persistence engine on LMDB (lmdb-js 3.x).
 *
 * Layout: two sub-databases, `events` and `snapshots`, both keyed `[persistenceKey, sequenceNumber]`
 * (ordered-binary array keys), so one key's history is one contiguous, ascending key range and
 * "a" never overlaps "ab".
 *
 * Durability: lmdb-js resolves a write promise when its transaction commits. With
 * `overlappingSync` (the default off Windows) the fsync happens after the commit, outside the
 * writer lock, so a commit is not yet durable. The env is opened with `separateFlushed: true`,
 * which hangs a `.flushed` promise on every write promise; `persist` awaits it.
 *
 * Batching: concurrent persists from many actors share transactions; nothing here serialises
 * writes or keeps per-write bookkeeping. lmdb-js's default (`eventTurnBatching`) holds every
 * write of an event-loop turn back until the turn ends, so with many busy actors the writer idles
 * while ~1000 actor handlers run, then the actors idle through commit + fsync. With
 * `eventTurnBatching: false` a transaction starts once `txnStartThreshold` writes are queued
 * (or at the next turn) and keeps absorbing writes while it is open: commits overlap the actors'
 * work, still a few hundred events per commit (bench/persistence.ts: about +30% events/s).
 * Nothing here needs several writes in one transaction; a store sharing the env that does
 * must group them explicitly (`transaction`/`batch`).
 *
 * Replication (issue 16): once a {@link JournalWriter} is attached (replicator.ts), every write
 * below goes to it instead, as data (store-ops.ts), and it writes them together with their
 * replication-log entry; without one (a lone node) nothing of that runs.
 */
import { open, type Database, type DatabaseOptions, type RootDatabase, type RootDatabaseOptions } from 'lmdb';
import {
  DuplicateEventError,
  pagedEventStream,
  type EventStream,
  type JournalRead,
  type PersistedEvent,
  type ScanOptions,
  type PersistedSnapshot,
  type PersistenceEngine,
} from './engine.js';
import { prefixEnd, type RuntimeRecord, type RuntimeStore } from './runtime-store.js';
import { scanLmdbJournals, TYPE_DECODER } from './lmdb-journal-scan.js';
import type { StoreOp } from './store-ops.js';

/**
 * Where a replicated engine's writes go instead (replicator.ts): each call is one entry of the
 * replication log, written in the same transaction as `ops`; resolves once the write may be
 * acknowledged (durable here and on the synchronous standbys), `false` when `unique` (an event's
 * key) was already stored and nothing was written; rejects when this node may not write.
 */
export interface JournalWriter {
  write(ops: StoreOp[], unique?: RecordKey): Promise<boolean>;
}

/** `txnStartThreshold` is a real lmdb-js option its typings omit. */
export type LmdbEnvOptions = RootDatabaseOptions & { txnStartThreshold?: number };

/** Env options the engine is tuned for. Callers sharing an env should open it with these. */
export const LMDB_ENV_OPTIONS: Readonly<LmdbEnvOptions> = {
  separateFlushed: true,
  eventTurnBatching: false,
  txnStartThreshold: 250,
};

/**
 * Options of the engine's sub-databases (a store sharing the env can open its own with them).
 * Values are plain msgpack maps. lmdb-js's default encoder uses msgpackr records without shared
 * structures, so every value carries the definition of each object shape it contains, and with
 * the many shapes actors journal (rows with and without optional fields, user-named keys) the
 * encoder kept building new ones: 12 µs per event in bench/auction.ts at 100k instances, a tenth
 * of all CPU. Plain maps cost about 1 µs and do not depend on the shapes seen before. Values
 * written with records still decode. `variableMapSize`: msgpackr's default writes every map with a
 * 16-bit size and refuses an object of more than 65,535 keys, so the snapshot of a registry of
 * 200k LRPs failed and every start replayed the events after the last one that fit; sized maps
 * cost no measurable time and are smaller. (Both are msgpackr options lmdb-js passes on; its
 * typings omit them.)
 */
export const LMDB_DB_OPTIONS: Readonly<DatabaseOptions> = { useRecords: false, variableMapSize: true } as DatabaseOptions;

/** Events read per page while streaming a history. */
const PAGE = 256;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

type RecordKey = [string, number];

/** Stored event: the key and sequence number live in the LMDB key. */
interface EventRecord {
  d: unknown;
  /** tags, omitted when empty */
  t?: string[];
  c: number;
  /** present (1) only on deleted events */
  x?: 1;
}

interface SnapshotRecord {
  d: unknown;
  c: number;
}

/** What an lmdb-js write returns when the env has `separateFlushed`. */
type WritePromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/** `put` with an options object: the runtime accepts it, the published typings do not. */
interface PutWithOptions {
  put(key: RecordKey, value: EventRecord, options: { noOverwrite: boolean }): WritePromise;
}

const NO_OVERWRITE = { noOverwrite: true };

export interface LmdbEngineOptions {
  /**
   * Prefix for the sub-database names (`${prefix}events`, `${prefix}snapshots`), so several
   * stores can share one environment. Default: no prefix.
   */
  prefix?: string;
}

export type LmdbOpenOptions = LmdbEngineOptions & Omit<LmdbEnvOptions, 'separateFlushed'>;

export class LmdbPersistenceEngine implements PersistenceEngine {
  private readonly eventsDb: Database<EventRecord, RecordKey>;
  private readonly snapshotsDb: Database<SnapshotRecord, RecordKey>;
  private ownsEnv = false;
  private closed: Promise<void> | undefined;
  private readonly prefix: string;
  private runtime: RuntimeStore | undefined;
  private eventTypesDb: Database<string | undefined, RecordKey> | undefined;
  private writer: JournalWriter | undefined;

  /**
   * Opens (creating if needed) an LMDB environment at `path` that the engine owns and closes.
   * `options` may carry lmdb root options (e.g. `mapSize`) overriding {@link LMDB_ENV_OPTIONS};
   * `separateFlushed` is always on.
   */
  static open(path: string, options: LmdbOpenOptions = {}): LmdbPersistenceEngine {
    const { prefix, ...envOptions } = options;
    const root = open({ ...LMDB_ENV_OPTIONS, ...envOptions, separateFlushed: true, path });
    const engine = new LmdbPersistenceEngine(root, prefix === undefined ? {} : { prefix });
    engine.ownsEnv = true;
    return engine;
  }

  /**
   * Uses an environment the caller opened and will close. Open it with {@link LMDB_ENV_OPTIONS}
   * so `persist` can await each write's own flush; without them it falls back to the env-wide
   * `flushed`, which is still durable but may wait for later commits too.
   */
  constructor(
    private readonly root: RootDatabase,
    options: LmdbEngineOptions = {},
  ) {
    const prefix = (this.prefix = options.prefix ?? '');
    this.eventsDb = root.openDB<EventRecord, RecordKey>(`${prefix}events`, LMDB_DB_OPTIONS);
    this.snapshotsDb = root.openDB<SnapshotRecord, RecordKey>(`${prefix}snapshots`, LMDB_DB_OPTIONS);
  }

  /** The environment, for the replication log that shares it (replicator.ts). */
  get environment(): RootDatabase {
    return this.root;
  }

  /** The sub-database prefix (see {@link LmdbEngineOptions.prefix}). */
  get dbPrefix(): string {
    return this.prefix;
  }

  /** From now on every write goes through `writer` (replicator.ts); set once, before the first write. */
  replicateThrough(writer: JournalWriter): void {
    this.writer = writer;
  }

  /** See {@link PersistenceEngine.runtimeStore}: the sub-database `${prefix}runtime`, opened on first use. */
  runtimeStore(): RuntimeStore {
    if (this.runtime) return this.runtime;
    const db = this.root.openDB<unknown, string>(`${this.prefix}runtime`, LMDB_DB_OPTIONS);
    const durable = (write: WritePromise) => write.flushed ?? this.root.flushed;
    const assertOpen = () => this.assertOpen();
    const writer = () => this.writer;
    this.runtime = {
      get: <V>(key: string) => {
        assertOpen();
        return db.get(key) as V | undefined;
      },
      async put(key, value) {
        assertOpen();
        const replicated = writer();
        if (replicated) return void (await replicated.write([{ o: 'p', k: key, v: value }]));
        const write = db.put(key, value) as WritePromise;
        await write;
        await durable(write);
      },
      async remove(key) {
        assertOpen();
        const replicated = writer();
        if (replicated) return void (await replicated.write([{ o: 'r', k: key }]));
        const write = db.remove(key) as WritePromise;
        await write;
        await durable(write);
      },
      range: <V>(prefix: string, options: { after?: string; limit?: number } = {}) => {
        assertOpen();
        const out: Array<RuntimeRecord<V>> = [];
        const range = db.getRange({ start: options.after ?? prefix, end: prefixEnd(prefix), ...(options.limit === undefined ? {} : { limit: options.limit + 1 }) });
        for (const { key, value } of range) {
          if (key === options.after) continue;
          if (out.length === (options.limit ?? Number.POSITIVE_INFINITY)) break;
          out.push({ key, value: value as V });
        }
        return out;
      },
      count: (prefix: string) => {
        assertOpen();
        return db.getKeysCount({ start: prefix, end: prefixEnd(prefix) });
      },
    };
    return this.runtime;
  }

  /** See {@link PersistenceEngine.events}. Reads pages of {@link PAGE}; no read spans an await. */
  events(key: string, offset = 0, limit?: number, tags?: string[]): EventStream {
    return pagedEventStream(offset, limit, tags, (after) => {
      this.assertOpen();
      const page: PersistedEvent[] = [];
      const range = this.eventsDb.getRange({ start: [key, after + 1], end: [key, MAX_SEQ], limit: PAGE });
      for (const { key: k, value } of range) page.push(toEvent(key, k[1], value));
      return page;
    });
  }

  /** See {@link PersistenceEngine.scanJournals} (lmdb-journal-scan.ts). */
  scanJournals(prefix: string, visit: (journal: JournalRead) => void, options?: ScanOptions): Promise<void> {
    this.eventTypesDb ??= this.root.openDB<string | undefined, RecordKey>(`${this.prefix}events`, { encoder: TYPE_DECODER } as DatabaseOptions);
    const source = { events: this.eventsDb, eventTypes: this.eventTypesDb, snapshots: this.snapshotsDb };
    return scanLmdbJournals(source, prefix, visit, () => this.assertOpen(), options);
  }

  /** See {@link PersistenceEngine.latestSnapshot}. */
  async latestSnapshot(key: string): Promise<PersistedSnapshot | undefined> {
    this.assertOpen();
    // reverse: start is the upper bound (inclusive), end the lower bound (exclusive)
    const range = this.snapshotsDb.getRange({ start: [key, MAX_SEQ], end: [key, -1], reverse: true, limit: 1 });
    for (const { key: k, value } of range) {
      return { data: value.d, sequenceNumber: k[1], key, createdAt: value.c };
    }
    return undefined;
  }

  /** See {@link PersistenceEngine.takeSnapshot}. Resolves once the snapshot is durable. */
  async takeSnapshot(snapshot: PersistedSnapshot): Promise<void> {
    this.assertOpen();
    const record: SnapshotRecord = { d: snapshot.data, c: snapshot.createdAt };
    if (this.writer) return void (await this.writer.write([{ o: 's', k: snapshot.key, s: snapshot.sequenceNumber, v: record }]));
    const write = this.snapshotsDb.put([snapshot.key, snapshot.sequenceNumber], record) as WritePromise;
    await write;
    await this.durable(write);
  }

  /**
   * See {@link PersistenceEngine.persist}. A no-overwrite put is the uniqueness check: it
   * resolves `false` instead of writing when (key, sequenceNumber) exists.
   */
  async persist(event: PersistedEvent): Promise<void> {
    this.assertOpen();
    if (this.writer) {
      const key: RecordKey = [event.key, event.sequenceNumber];
      if (!(await this.writer.write([{ o: 'e', k: event.key, s: event.sequenceNumber, v: toRecord(event) }], key))) {
        throw new DuplicateEventError(event.key, event.sequenceNumber);
      }
      return;
    }
    const events = this.eventsDb as unknown as PutWithOptions;
    const write = events.put([event.key, event.sequenceNumber], toRecord(event), NO_OVERWRITE);
    if (!(await write)) throw new DuplicateEventError(event.key, event.sequenceNumber);
    await this.durable(write);
  }

  /** See {@link PersistenceEngine.deleteJournal}: one transaction over the key's two ranges. */
  async deleteJournal(key: string): Promise<void> {
    this.assertOpen();
    await this.removeKeys(new Set([key]));
  }

  /**
   * See {@link PersistenceEngine.deleteJournalsWithPrefix}. The keys starting with `prefix` are
   * one contiguous range in both sub-databases (ordered-binary compares strings bytewise).
   */
  async deleteJournalsWithPrefix(prefix: string): Promise<number> {
    this.assertOpen();
    const keys = new Set<string>();
    for (const db of [this.eventsDb, this.snapshotsDb] as Array<Database<unknown, RecordKey>>) {
      for (const [key] of db.getKeys({ start: [prefix, -1] })) {
        if (!key.startsWith(prefix)) break;
        keys.add(key);
      }
    }
    await this.removeKeys(keys);
    return keys.size;
  }

  /** Removes every event and snapshot of `keys` in one transaction; resolves once durable. */
  private async removeKeys(keys: ReadonlySet<string>): Promise<void> {
    if (keys.size === 0) return;
    if (this.writer) return void (await this.writer.write([{ o: 'd', k: [...keys] }]));
    await this.root.transaction(() => {
      for (const key of keys) {
        for (const db of [this.eventsDb, this.snapshotsDb] as Array<Database<unknown, RecordKey>>) {
          for (const k of db.getKeys({ start: [key, -1], end: [key, MAX_SEQ] })) db.remove(k);
        }
      }
    });
    // rare (an operator's delete): waiting for the env-wide flush is simpler than tracking this commit's
    await this.root.flushed;
  }

  /**
   * Waits for writes already issued to be durable, then closes the environment if this engine
   * opened it. Later calls reject; calling close again returns the same promise.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.root.flushed;
      if (this.ownsEnv) await this.root.close();
    })();
    return this.closed;
  }

  private durable(write: WritePromise): PromiseLike<unknown> {
    return write.flushed ?? this.root.flushed;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('persistence engine is closed');
  }
}

function toRecord(event: PersistedEvent): EventRecord {
  const record: EventRecord = { d: event.data, c: event.createdAt };
  if (event.tags.length > 0) record.t = event.tags;
  if (event.isDeleted) record.x = 1;
  return record;
}

function toEvent(key: string, sequenceNumber: number, record: EventRecord): PersistedEvent {
  return {
    data: record.d,
    sequenceNumber,
    key,
    tags: record.t ?? [],
    createdAt: record.c,
    isDeleted: record.x === 1,
  };
}
