/**
 * The replication log of one LMDB environment (replication.ts): the sub-database `${prefix}replog`,
 * keyed by LSN, whose values are entries (log-entry.ts: `{t: term, o: LoggedOp[]}`), each written
 * in the SAME lmdb-js `batch` (one transaction) as the writes it describes. `${prefix}replmeta`
 * keeps the sealed term. The oldest entries are trimmed in the same batches, as long as the rest
 * hold the last `retainEntries` writes (ops): a standby further behind needs a copy of the store.
 *
 * On the primary, a turn's writes are grouped into one entry, and checked as they join it
 * (primary-writes.ts); a standby applies the entries shipped, or a copy of the primary's store.
 * LSNs are taken when an entry is handed to lmdb-js, which commits batches in the order they were
 * issued: LSN order is commit order. Each batch's own `.flushed` says when it is durable (the
 * env-wide `flushed` would also wait for later commits).
 */
import type { Database, Key, RootDatabase } from 'lmdb';
import { LMDB_DB_OPTIONS } from './lmdb-engine.js';
import { decodeEntry, encodeEntry, termOf } from './log-entry.js';
import { PrimaryWrites, type EntryToIssue, type IssuedWrite } from './primary-writes.js';
import { RecentEntries } from './recent-entries.js';
import { RetainedTail } from './retained-tail.js';
import type { CopiedRecord, LogPosition, ShippedEntry } from './replication.js';
import { applyOps, type RecordKey, type StoreDbs, type StoreOp } from './store-ops.js';

type WritePromise = Promise<boolean> & { flushed?: PromiseLike<unknown> };

const SEALED = 'sealed';
/** set while a copy of the primary's store is being received: the store holds nothing usable */
const COPYING = 'copying';
/** the position a finished copy brought the store to (its log starts after it) */
const BASE = 'base';

export interface ReplicationLogOptions {
  prefix?: string;
  /** writes (log ops) kept for standbys catching up, in whole entries; default 100,000 */
  retainEntries?: number;
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
  /** batches handed to lmdb-js and not committed (the primary's entries, a standby's applies) */
  private committing = 0;
  private readonly writes: PrimaryWrites;
  private readonly recent = new RecentEntries();
  private readonly tail: RetainedTail;
  /** told each time the primary issues an entry (the replicator ships it) */
  onIssued: (() => void) | undefined;

  constructor(
    private readonly root: RootDatabase,
    options: ReplicationLogOptions = {},
  ) {
    const prefix = options.prefix ?? '';
    this.retain = options.retainEntries ?? 100_000;
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
    this.tail = new RetainedTail(this.retain, this.firstRetained(), this.issued.lsn);
    this.sealed = Math.max((this.meta.get(SEALED) as number | undefined) ?? 0, this.durable.term);
    this.writes = new PrimaryWrites({
      dbs: this.dbs,
      nextLsn: () => this.issued.lsn + 1,
      committing: () => this.committing,
      nextCommit: () => this.root.committed,
      issue: (entry, settled) => this.issue(entry, settled),
    });
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
    const recent = this.recent.termAt(lsn);
    if (recent !== undefined) return recent;
    const base = this.meta.get(BASE) as LogPosition | undefined;
    if (base?.lsn === lsn) return base.term;
    const bytes = this.log.get(lsn);
    return bytes ? termOf(bytes) : undefined;
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
   * (an event's key) is stored or being written; else the write, in this turn's entry
   * (primary-writes.ts).
   */
  append(term: number, ops: StoreOp[], unique?: RecordKey): IssuedWrite | undefined | Promise<IssuedWrite | undefined> {
    return this.writes.append(term, ops, unique);
  }

  /** Hands the primary's `entry` to lmdb-js, its ops and itself in one batch (the contract: primary-writes.ts `EntryLog.issue`). */
  private issue(entry: EntryToIssue, settled: () => void): void {
    const { term, lsn, ops } = entry;
    let bytes: Buffer;
    let write: WritePromise;
    try {
      bytes = encodeEntry({ t: term, o: ops });
      write = this.root.batch(() => {
        applyOps(this.dbs, ops);
        this.putEntry(lsn, bytes, ops.length);
      }) as WritePromise;
    } catch (error) {
      // refused before anything was queued (a closed store): the LSN stays free, the writes fail
      settled();
      entry.reject(error);
      return;
    }
    this.committing++;
    const position = { term, lsn };
    this.issued = position;
    this.recent.push(lsn, term, bytes);
    write.then(
      () => {
        this.committing--;
        settled();
        this.advance('visible', position);
        this.recent.dropCommitted(this.visible.lsn);
        (write.flushed ?? this.root.flushed).then(() => {
          this.advance('durable', position);
          entry.resolve();
        }, entry.reject);
      },
      (error: unknown) => {
        this.committing--;
        settled();
        entry.reject(error);
      },
    );
    this.onIssued?.();
  }

  /**
   * A standby's apply of entries shipped after `prevLsn` (whose term the primary says is
   * `prevTerm`, -1 when it no longer knows): entries it already holds are skipped, a gap is refused (`next` is the LSN it
   * wants), and an entry at `prevLsn` of another term means this log diverged from the primary's.
   * Issued at once, in one batch (so calls apply in call order); resolves once durable.
   */
  async applyShipped(prevLsn: number, prevTerm: number, entries: ShippedEntry[]): Promise<ApplyResult> {
    if (prevLsn > this.issued.lsn) return { ok: false, reason: 'gap', next: this.issued.lsn + 1 };
    const held = prevLsn === this.issued.lsn ? this.issued.term : this.termAt(prevLsn);
    if (held !== undefined && prevTerm >= 0 && held !== prevTerm) return { ok: false, reason: 'diverged', lsn: prevLsn };
    const fresh = entries.filter(([lsn]) => lsn > this.issued.lsn).map(([lsn, bytes]) => ({ lsn, bytes, value: decodeEntry(bytes) }));
    if (fresh.length === 0) {
      await this.whenDurable(this.issued.lsn);
      return { ok: true, position: this.lastLsn() };
    }
    const last: LogPosition = { term: fresh[fresh.length - 1]!.value.t, lsn: fresh[fresh.length - 1]!.lsn };
    this.issued = last;
    this.writes.forgetCachedSeqs();
    this.committing++;
    const write = this.root.batch(() => {
      for (const { lsn, bytes, value } of fresh) {
        applyOps(this.dbs, value.o);
        this.putEntry(lsn, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), value.o.length);
      }
    }) as WritePromise;
    try {
      await write;
    } finally {
      this.committing--;
    }
    this.advance('visible', last);
    await (write.flushed ?? this.root.flushed);
    this.advance('durable', last);
    return { ok: true, position: last };
  }

  /**
   * Entries from `from` on, at most `maxEntries` and about `maxBytes`, as stored (for shipping):
   * from memory while among the last issued (so the primary ships an entry while it commits it),
   * else those committed, from the log. None from before the retained tail, even when memory
   * still holds them: a standby that far behind gets a copy.
   */
  read(from: number, maxEntries: number, maxBytes: number): ShippedEntry[] {
    if (from < this.tail.first(this.issued.lsn + 1)) return [];
    const out: ShippedEntry[] = [];
    let bytes = 0;
    const take = (entry: ShippedEntry): boolean => {
      if (out.length >= maxEntries || (out.length > 0 && bytes + entry[1].length > maxBytes)) return false;
      out.push(entry);
      bytes += entry[1].length;
      return true;
    };
    const first = this.recent.first(this.issued.lsn + 1);
    let next = from;
    if (next < first) {
      for (const { key, value } of this.log.getRange({ start: next, end: first, limit: maxEntries })) {
        if (key !== next || key > this.visible.lsn || !take([key, new Uint8Array(value)])) return out;
        next++;
      }
    }
    for (let i = next - first; i >= 0 && i < this.recent.length && take(this.recent.at(i)!); i++);
    return out;
  }

  /**
   * Keeps the entries from `lsn` on (none trimmed) for `owner` for `ms` (default 30 s, renewed by
   * each call), or no longer when `lsn` is undefined: what a standby being copied needs once its
   * copy is in.
   */
  keepFrom(owner: object, lsn: number | undefined, ms?: number): void {
    this.tail.keepFrom(owner, lsn, ms);
  }

  /** Inside a batch: the entry, and the trim of those that fall out of the retained tail. */
  private putEntry(lsn: number, bytes: Buffer, ops: number): void {
    void this.log.put(lsn, bytes);
    for (const old of this.tail.add(lsn, ops)) void this.log.remove(old);
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
    this.recent.clear();
    this.tail.reset(1);
    this.writes.forgetCachedSeqs();
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
    this.tail.reset(base.lsn + 1);
  }

  private readLast(): LogPosition {
    if (this.meta.get(COPYING) !== undefined) return { term: 0, lsn: 0 };
    for (const { key, value } of this.log.getRange({ reverse: true, limit: 1 })) {
      return { term: termOf(value), lsn: key };
    }
    const base = this.meta.get(BASE) as LogPosition | undefined;
    return base ? { ...base } : { term: 0, lsn: 0 };
  }
}
