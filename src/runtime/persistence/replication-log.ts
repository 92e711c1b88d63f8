/**
 * The replication log of one LMDB environment (replication.ts): the sub-database `${prefix}replog`,
 * keyed by LSN, whose values are the msgpack of `{t: term, o: StoreOp[]}`, each written in the
 * SAME lmdb-js `batch` (one transaction) as the writes it describes. `${prefix}replmeta` keeps the
 * sealed term. The oldest entries beyond `retainEntries` are trimmed in the same batches: a
 * standby further behind than that needs a copy of the store.
 *
 * LSNs are taken when a write is handed to lmdb-js, which commits single writes and batches in
 * the order they were issued: LSN order is commit order. Each batch's own `.flushed` says when it
 * is durable (the env-wide `flushed` would also wait for later commits). Since nothing is checked
 * inside the transaction, the checks are made when the write is issued against what is committed
 * plus what is still pending: an event key being written counts as taken, and a deletion waits
 * until nothing is pending, then reads the records it removes (rare: an operator's delete) and
 * logs them, so a standby removes exactly those.
 */
import type { Database, Key, RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import { LMDB_DB_OPTIONS } from './lmdb-engine.js';
import type { CopiedRecord, LogPosition, ShippedEntry } from './replication.js';
import { applyOps, journalRecords, logOps, type LoggedOp, type RecordKey, type StoreDbs, type StoreOp } from './store-ops.js';

/** What a log value holds. */
interface LogValue {
  t: number;
  o: LoggedOp[];
}

type WritePromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/** A write handed to lmdb-js: its LSN, and when it is visible and when durable. */
export interface IssuedWrite {
  lsn: number;
  committed: Promise<void>;
  durable: Promise<void>;
}

const PACKR = new Packr({ useRecords: false, variableMapSize: true } as ConstructorParameters<typeof Packr>[0]);
const SEALED = 'sealed';
/** set while a copy of the primary's store is being received: the store holds nothing usable */
const COPYING = 'copying';
/** the position a finished copy brought the store to (its log starts after it) */
const BASE = 'base';

export interface ReplicationLogOptions {
  prefix?: string;
  /** entries kept for standbys catching up; default 100,000 */
  retainEntries?: number;
  /** the last entries issued kept in memory for shipping; default 16,384 */
  recentEntries?: number;
}

/** Outcome of a standby's {@link ReplicationLog.applyShipped}. */
export type ApplyResult =
  | { ok: true; position: LogPosition }
  | { ok: false; reason: 'gap'; next: number }
  | { ok: false; reason: 'diverged'; lsn: number };

export class ReplicationLog {
  readonly dbs: StoreDbs;
  private readonly log: Database<Buffer, number>;
  private readonly meta: Database<number | LogPosition, string>;
  private readonly retain: number;
  /** last LSN handed to lmdb-js */
  private issued: LogPosition;
  /** last LSN committed (readable) */
  private visible: LogPosition;
  /** last LSN flushed to disk */
  private durable: LogPosition;
  private sealed: number;
  private pending = 0;
  private readonly pendingEvents = new Set<string>();
  /** set while a deletion waits for the pending writes: later writes wait for it */
  private quiet: Promise<void> | undefined;
  /** the last entries issued here, committed or not: what the primary ships while it commits them */
  private readonly recent: ShippedEntry[] = [];
  private readonly recentMax: number;

  constructor(
    private readonly root: RootDatabase,
    options: ReplicationLogOptions = {},
  ) {
    const prefix = options.prefix ?? '';
    this.retain = options.retainEntries ?? 100_000;
    this.recentMax = options.recentEntries ?? 16_384;
    this.dbs = {
      events: root.openDB(`${prefix}events`, LMDB_DB_OPTIONS),
      snapshots: root.openDB(`${prefix}snapshots`, LMDB_DB_OPTIONS),
      runtime: root.openDB(`${prefix}runtime`, LMDB_DB_OPTIONS),
      eventBytes: root.openDB(`${prefix}events`, { encoding: 'binary' }),
      snapshotBytes: root.openDB(`${prefix}snapshots`, { encoding: 'binary' }),
      runtimeBytes: root.openDB(`${prefix}runtime`, { encoding: 'binary' }),
    };
    this.log = root.openDB<Buffer, number>(`${prefix}replog`, { encoding: 'binary' });
    this.meta = root.openDB<number | LogPosition, string>(`${prefix}replmeta`, LMDB_DB_OPTIONS);
    this.issued = this.visible = this.durable = this.readLast();
    this.sealed = Math.max((this.meta.get(SEALED) as number | undefined) ?? 0, this.durable.term);
  }

  /** What the store durably holds (replication.ts `lastLsn`). */
  lastLsn(): LogPosition {
    return { ...this.durable };
  }

  /** The last entry committed (readable; perhaps not flushed yet). */
  lastVisible(): LogPosition {
    return { ...this.visible };
  }

  /** The last entry handed to lmdb-js (perhaps not committed yet). */
  lastIssued(): LogPosition {
    return { ...this.issued };
  }

  sealedTerm(): number {
    return this.sealed;
  }

  /** The oldest LSN still in the log (the next one when it is empty). */
  firstRetained(): number {
    for (const key of this.log.getKeys({ limit: 1 })) return key;
    return this.issued.lsn + 1;
  }

  /** The term of the entry at `lsn`; 0 for lsn 0; undefined when not held (trimmed, or beyond; on a standby also while pending). */
  termAt(lsn: number): number | undefined {
    if (lsn === 0) return 0;
    const base = this.meta.get(BASE) as LogPosition | undefined;
    if (base?.lsn === lsn) return base.term;
    const first = this.recent[0]?.[0];
    const bytes = first !== undefined && lsn >= first ? this.recent[lsn - first]?.[1] : this.log.get(lsn);
    return bytes ? (PACKR.unpack(bytes) as LogValue).t : undefined;
  }

  /** Durably raises the sealed term (never lowers it). */
  async seal(term: number): Promise<void> {
    if (term <= this.sealed) return;
    this.sealed = term;
    const write = this.meta.put(SEALED, term) as WritePromise;
    await write;
    await (write.flushed ?? this.root.flushed);
  }

  /**
   * The primary's write of `ops`, stamped `term`: undefined, with nothing written, when `unique`
   * (an event's key) is stored or being written; else the issued write.
   */
  async append(term: number, ops: StoreOp[], unique?: RecordKey): Promise<IssuedWrite | undefined> {
    while (this.quiet) await this.quiet;
    if (!ops.some((op) => op.o === 'd')) {
      const taken = unique !== undefined && (this.pendingEvents.has(eventId(unique)) || this.dbs.events.doesExist(unique));
      return taken ? undefined : this.issue(term, logOps(ops), unique);
    }
    let release!: () => void;
    this.quiet = new Promise((resolve) => (release = resolve));
    try {
      while (this.pending > 0) await this.root.committed;
      const resolved = ops.map((op) => (op.o === 'd' ? { ...op, ...journalRecords(this.dbs, op.k) } : op));
      return this.issue(term, logOps(resolved), undefined);
    } finally {
      this.quiet = undefined;
      release();
    }
  }

  /**
   * A standby's apply of entries shipped after `prevLsn` (whose term the primary says is
   * `prevTerm`, -1 when it no longer knows): entries it already holds are skipped, a gap is refused (`next` is the LSN it
   * wants), and an entry at `prevLsn` of another term means this log diverged from the primary's.
   * Issued at once (so calls apply in call order); resolves once durable.
   */
  async applyShipped(prevLsn: number, prevTerm: number, entries: ShippedEntry[]): Promise<ApplyResult> {
    if (prevLsn > this.issued.lsn) return { ok: false, reason: 'gap', next: this.issued.lsn + 1 };
    const held = prevLsn === this.issued.lsn ? this.issued.term : this.termAt(prevLsn);
    if (held !== undefined && prevTerm >= 0 && held !== prevTerm) return { ok: false, reason: 'diverged', lsn: prevLsn };
    const fresh = entries.filter(([lsn]) => lsn > this.issued.lsn).map(([lsn, bytes]) => ({ lsn, bytes, value: PACKR.unpack(bytes) as LogValue }));
    if (fresh.length === 0) {
      await this.whenDurable(this.issued.lsn);
      return { ok: true, position: this.lastLsn() };
    }
    const last: LogPosition = { term: fresh[fresh.length - 1]!.value.t, lsn: fresh[fresh.length - 1]!.lsn };
    this.issued = last;
    this.pending++;
    const write = this.root.batch(() => {
      for (const { lsn, bytes, value } of fresh) {
        applyOps(this.dbs, value.o);
        this.putEntry(lsn, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
    }) as WritePromise;
    try {
      await write;
    } finally {
      this.pending--;
    }
    this.advance('visible', last);
    await (write.flushed ?? this.root.flushed);
    this.advance('durable', last);
    return { ok: true, position: last };
  }

  /**
   * Entries from `from` on, at most `maxEntries` and about `maxBytes`, as stored (for shipping):
   * from memory while they are among the last issued (so the primary ships an entry while it
   * commits it), else those committed, read from the log. None from before the retained tail,
   * even when memory still holds them: a standby that far behind gets a copy.
   */
  read(from: number, maxEntries: number, maxBytes: number): ShippedEntry[] {
    if (from <= this.issued.lsn - this.retain) return [];
    const out: ShippedEntry[] = [];
    let bytes = 0;
    const take = (entry: ShippedEntry): boolean => {
      if (out.length >= maxEntries || (out.length > 0 && bytes + entry[1].length > maxBytes)) return false;
      out.push(entry);
      bytes += entry[1].length;
      return true;
    };
    const first = this.recent[0]?.[0];
    if (first !== undefined && from >= first) {
      for (let i = from - first; i < this.recent.length && take(this.recent[i]!); i++);
      return out;
    }
    for (const { key, value } of this.log.getRange({ start: from, limit: maxEntries })) {
      if (key > this.visible.lsn || !take([key, new Uint8Array(value)])) break;
    }
    return out;
  }

  private issue(term: number, ops: LoggedOp[], unique: RecordKey | undefined): IssuedWrite {
    const position = { term, lsn: this.issued.lsn + 1 };
    this.issued = position;
    const id = unique && eventId(unique);
    if (id) this.pendingEvents.add(id);
    this.pending++;
    // a copy: msgpackr may reuse the buffer it packed into
    const bytes = Buffer.from(PACKR.pack({ t: term, o: ops } satisfies LogValue));
    this.recent.push([position.lsn, bytes]);
    // dropped in bulk (amortised), so between recentMax and twice that are kept
    if (this.recent.length >= 2 * this.recentMax) this.recent.splice(0, this.recent.length - this.recentMax);
    const write = this.root.batch(() => {
      applyOps(this.dbs, ops);
      this.putEntry(position.lsn, bytes);
    }) as WritePromise;
    const committed = write.then(
      () => {
        this.pending--;
        if (id) this.pendingEvents.delete(id);
        this.advance('visible', position);
      },
      (error: unknown) => {
        this.pending--;
        if (id) this.pendingEvents.delete(id);
        throw error;
      },
    );
    const durable = committed.then(async () => {
      await (write.flushed ?? this.root.flushed);
      this.advance('durable', position);
    });
    return { lsn: position.lsn, committed, durable };
  }

  /** Inside a batch: the entry, and the trim of the one that falls out of the retained tail. */
  private putEntry(lsn: number, bytes: Buffer): void {
    void this.log.put(lsn, bytes);
    if (lsn > this.retain) void this.log.remove(lsn - this.retain);
  }

  private async whenDurable(lsn: number): Promise<void> {
    if (this.durable.lsn >= lsn) return;
    const upTo = this.visible; // committed, so covered by the flush that follows
    await this.root.flushed;
    this.advance('durable', upTo);
  }

  private advance(which: 'visible' | 'durable', position: LogPosition): void {
    if (position.lsn > this[which].lsn) this[which] = { ...position };
  }

  /** Empties the store (and the log) to receive a copy of the primary's; until it is finished the store holds nothing. */
  beginCopy(): void {
    void this.meta.put(COPYING, 1);
    for (const db of [this.dbs.events, this.dbs.snapshots, this.dbs.runtime, this.log] as Array<Database<unknown, Key>>) void db.clearAsync();
    this.recent.length = 0;
    this.issued = this.visible = this.durable = { term: 0, lsn: 0 };
  }

  /** Writes one chunk of the copy; resolves once committed. */
  async applyCopy(records: CopiedRecord[]): Promise<void> {
    const dbs = [this.dbs.eventBytes, this.dbs.snapshotBytes, this.dbs.runtimeBytes] as Array<Database<Buffer, Key>>;
    await this.root.batch(() => {
      for (const [db, key, bytes] of records) void dbs[db]!.put(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
  }

  /** The copy is complete as of the primary's `base`: the store holds `base` from now on, durably. */
  async finishCopy(base: LogPosition): Promise<void> {
    const write = this.root.batch(() => {
      void this.meta.put(BASE, base);
      void this.meta.remove(COPYING);
    }) as WritePromise;
    await write;
    await (write.flushed ?? this.root.flushed);
    this.issued = this.visible = this.durable = { ...base };
  }

  private readLast(): LogPosition {
    if (this.meta.get(COPYING) !== undefined) return { term: 0, lsn: 0 };
    for (const { key, value } of this.log.getRange({ reverse: true, limit: 1 })) {
      return { term: (PACKR.unpack(value) as LogValue).t, lsn: key };
    }
    const base = this.meta.get(BASE) as LogPosition | undefined;
    return base ? { ...base } : { term: 0, lsn: 0 };
  }
}

function eventId([key, seq]: RecordKey): string {
  return `${seq}\u0000${key}`;
}
