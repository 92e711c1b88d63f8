/**
 * The replication log of one LMDB environment (replication.ts): the sub-database `${prefix}replog`,
 * keyed by LSN, whose values are the msgpack of `{t: term, o: StoreOp[]}`, written in the SAME
 * transaction as the writes it describes. The primary appends (assigning the next LSN inside the
 * write transaction, so LSN order is commit order, and a refused duplicate takes none); a standby
 * applies shipped entries as they are, in order, refusing gaps. `${prefix}replmeta` keeps the
 * sealed term. The oldest entries beyond `retainEntries` are trimmed in the same transactions: a
 * standby further behind than that needs a copy of the store.
 *
 * Writes go through `root.transaction` callbacks: they run in the write transaction, so the
 * duplicate check and a deletion's range read see every earlier write, and lmdb-js runs them in
 * call order. Durable once `root.flushed` resolves after the commit (lmdb-js gives a transaction
 * callback's promise no `.flushed` of its own; the env-wide one may also wait for a later commit).
 */
import type { Database, RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import { LMDB_DB_OPTIONS } from './lmdb-engine.js';
import type { LogPosition, ShippedEntry } from './replication.js';
import { applyOps, type StoreDbs, type StoreOp } from './store-ops.js';

/** What a log value holds. */
interface LogValue {
  t: number;
  o: StoreOp[];
}

const PACKR = new Packr({ useRecords: false, variableMapSize: true } as ConstructorParameters<typeof Packr>[0]);
const SEALED = 'sealed';

export interface ReplicationLogOptions {
  prefix?: string;
  /** entries kept for standbys catching up; default 100,000 */
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
  private readonly meta: Database<number, string>;
  private readonly retain: number;
  /** last LSN written by a transaction that ran (committed or about to) */
  private issued: LogPosition;
  /** last LSN known flushed to disk */
  private durable: LogPosition;
  private sealed: number;

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
    };
    this.log = root.openDB<Buffer, number>(`${prefix}replog`, { encoding: 'binary' });
    this.meta = root.openDB<number, string>(`${prefix}replmeta`, LMDB_DB_OPTIONS);
    this.issued = this.durable = this.readLast();
    this.sealed = Math.max(this.meta.get(SEALED) ?? 0, this.durable.term);
  }

  /** What the store durably holds (replication.ts `lastLsn`). */
  lastLsn(): LogPosition {
    return { ...this.durable };
  }

  sealedTerm(): number {
    return this.sealed;
  }

  /** The oldest LSN still in the log (lastLsn + 1 when empty). */
  firstRetained(): number {
    for (const key of this.log.getKeys({ limit: 1 })) return key;
    return this.issued.lsn + 1;
  }

  /** The term of the entry at `lsn`; 0 for lsn 0; undefined when not held (trimmed or beyond). */
  termAt(lsn: number): number | undefined {
    if (lsn === 0) return 0;
    const bytes = this.log.get(lsn);
    return bytes ? (PACKR.unpack(bytes) as LogValue).t : undefined;
  }

  /** Durably raises the sealed term (never lowers it). */
  async seal(term: number): Promise<void> {
    if (term <= this.sealed) return;
    this.sealed = term;
    await this.root.transaction(() => this.meta.putSync(SEALED, term));
    await this.root.flushed;
  }

  /**
   * The primary's write: `ops` and their log entry in one transaction, stamped `term`. `admit`
   * runs in the transaction first: when it returns false nothing is written and no LSN taken
   * (a duplicate event, or this node no longer primary). Resolves the entry's LSN once durable.
   */
  async append(term: number, ops: StoreOp[], admit: () => boolean): Promise<number | undefined> {
    const lsn = await this.root.transaction(() => {
      if (!admit()) return undefined;
      applyOps(this.dbs, ops);
      const lsn = this.issued.lsn + 1;
      this.log.putSync(lsn, PACKR.pack({ t: term, o: ops } satisfies LogValue));
      this.trim(lsn);
      this.issued = { term, lsn };
      return lsn;
    });
    if (lsn === undefined) return undefined;
    await this.root.flushed;
    this.advanceDurable({ term, lsn });
    return lsn;
  }

  /**
   * A standby's apply of entries shipped after `prevLsn` (whose term the primary says is
   * `prevTerm`): entries it already holds are skipped, a gap is refused (`next` is the LSN it
   * wants), and an entry at `prevLsn` of another term means this log diverged from the primary's.
   */
  async applyShipped(prevLsn: number, prevTerm: number, entries: ShippedEntry[]): Promise<ApplyResult> {
    const outcome = await this.root.transaction((): ApplyResult => {
      if (prevLsn > this.issued.lsn) return { ok: false, reason: 'gap', next: this.issued.lsn + 1 };
      const held = this.termAt(prevLsn);
      if (held !== undefined && held !== prevTerm) return { ok: false, reason: 'diverged', lsn: prevLsn };
      for (const [lsn, bytes] of entries) {
        if (lsn <= this.issued.lsn) continue; // already held (a resend)
        const value = PACKR.unpack(bytes) as LogValue;
        applyOps(this.dbs, value.o);
        this.log.putSync(lsn, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        this.trim(lsn);
        this.issued = { term: value.t, lsn };
      }
      return { ok: true, position: { ...this.issued } };
    });
    if (!outcome.ok) return outcome;
    await this.root.flushed;
    this.advanceDurable(outcome.position);
    return outcome;
  }

  /** Entries from `from` on, at most `maxEntries` and about `maxBytes`, as stored (for shipping). */
  read(from: number, maxEntries: number, maxBytes: number): ShippedEntry[] {
    const out: ShippedEntry[] = [];
    let bytes = 0;
    for (const { key, value } of this.log.getRange({ start: from, limit: maxEntries })) {
      if (key > this.durable.lsn || (out.length > 0 && bytes + value.length > maxBytes)) break;
      out.push([key, new Uint8Array(value)]);
      bytes += value.length;
    }
    return out;
  }

  private trim(lsn: number): void {
    if (lsn > this.retain) this.log.removeSync(lsn - this.retain);
  }

  private advanceDurable(position: LogPosition): void {
    if (position.lsn > this.durable.lsn) this.durable = { ...position };
  }

  private readLast(): LogPosition {
    for (const { key, value } of this.log.getRange({ reverse: true, limit: 1 })) {
      return { term: (PACKR.unpack(value) as LogValue).t, lsn: key };
    }
    return { term: 0, lsn: 0 };
  }
}
