/**
 * The primary's writes into the replication log (replication-log.ts), one entry per turn: the
 * writes made in one go (until the turn's microtasks have run: `process.nextTick`) share one
 * entry, one batch and one durability promise, up to {@link GROUP_BYTES} of values. Per write that
 * saves an entry's encoding, its log put and its promises here, its decoding and put on each
 * standby; with 64 writers in lockstep a round is one entry (docs/012 "Replication" has the
 * figures). The writes of one entry commit together, which lmdb-js would mostly do anyway (it
 * puts the writes queued while it commits into one transaction).
 *
 * Since nothing is checked inside the transaction, the checks are made when a write joins its
 * entry, against what is committed plus what is pending: an event key being written counts as
 * taken, and a deletion waits until nothing is pending, then reads the records it removes (rare:
 * an operator's delete) and logs them, alone in its entry, so a standby removes exactly those.
 */
import { EventSeqs } from './event-seqs.js';
import { journalRecords, logOps, type LoggedOp, type RecordKey, type StoreDbs, type StoreOp } from './store-ops.js';

/** A write taken into an entry: the entry's LSN, and when it is durable (shared by the entry's writes). */
export interface IssuedWrite {
  lsn: number;
  durable: Promise<void>;
}

/** An entry as handed to the log: it resolves once durable, or rejects with what lost it. */
export interface EntryToIssue {
  term: number;
  lsn: number;
  ops: LoggedOp[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What the primary's writes need of the log. */
export interface EntryLog {
  readonly dbs: StoreDbs;
  /** The LSN the next entry issued takes. */
  nextLsn(): number;
  /** How many batches were handed to lmdb-js and have not committed. */
  committing(): number;
  /** Resolves at lmdb-js's next commit. */
  nextCommit(): Promise<unknown>;
  /**
   * Hands `entry` to lmdb-js, its ops and itself in one batch, and settles it; `settled` runs
   * once lmdb-js has committed or failed the batch (or refused it at once: then the LSN stays
   * free), before the entry resolves or rejects.
   */
  issue(entry: EntryToIssue, settled: () => void): void;
}

/** This turn's entry, taking writes until it is handed to the log. */
interface OpenEntry extends EntryToIssue {
  /** the event keys it writes: taken until committed */
  ids: string[];
  bytes: number;
  write: IssuedWrite;
}

/** An entry takes writes until its values reach this many bytes; the next write opens another. */
export const GROUP_BYTES = 256 * 1024;

export class PrimaryWrites {
  private readonly pendingEvents = new Set<string>();
  private readonly seqs = new EventSeqs();
  /** set while a deletion waits for the pending writes: later writes wait for it */
  private quiet: Promise<void> | undefined;
  private open: OpenEntry | undefined;

  constructor(private readonly log: EntryLog) {}

  /**
   * The primary's write of `ops`, stamped `term`: undefined, with nothing written, when `unique`
   * (an event's key) is stored or being written; else the write, in this turn's entry.
   */
  append(term: number, ops: StoreOp[], unique?: RecordKey): IssuedWrite | undefined | Promise<IssuedWrite | undefined> {
    if (this.quiet) return this.afterQuiet(term, ops, unique);
    for (const op of ops) if (op.o === 'd') return this.appendDeletion(term, ops);
    let id: string | undefined;
    if (unique) {
      id = eventId(unique);
      // above the highest sequence number stored or pending for its key: not taken, no read needed
      const fresh = unique[1] > this.seqs.highest(unique[0], this.log.dbs.events);
      if (!fresh && (this.pendingEvents.has(id) || this.log.dbs.events.doesExist(unique))) return undefined;
      this.seqs.wrote(unique[0], unique[1], (top) => this.pendingEvents.has(eventId([unique[0], top])));
    }
    return this.join(term, logOps(ops), id);
  }

  /** The store was written other than through {@link append} (a shipped entry, a copy): the cached sequence numbers no longer hold. */
  forgetCachedSeqs(): void {
    this.seqs.clear();
  }

  private async afterQuiet(term: number, ops: StoreOp[], unique?: RecordKey): Promise<IssuedWrite | undefined> {
    while (this.quiet) await this.quiet;
    return this.append(term, ops, unique);
  }

  private async appendDeletion(term: number, ops: StoreOp[]): Promise<IssuedWrite | undefined> {
    let release!: () => void;
    this.quiet = new Promise((resolve) => (release = resolve));
    try {
      if (this.open) this.issue(this.open);
      while (this.log.committing() > 0) await this.log.nextCommit();
      this.seqs.clear();
      const resolved = ops.map((op) => (op.o === 'd' ? { ...op, ...journalRecords(this.log.dbs, op.k) } : op));
      const write = this.join(term, logOps(resolved), undefined);
      this.issue(this.open!);
      return write;
    } finally {
      this.quiet = undefined;
      release();
    }
  }

  /** Adds `ops` to this turn's entry, opening one (issued once the turn's microtasks have run) if needed. */
  private join(term: number, ops: LoggedOp[], id: string | undefined): IssuedWrite {
    if (this.open && (this.open.term !== term || this.open.bytes >= GROUP_BYTES)) this.issue(this.open);
    let entry = this.open;
    if (!entry) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const durable = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      const lsn = this.log.nextLsn();
      const opened: OpenEntry = { term, lsn, ops: [], ids: [], bytes: 0, write: { lsn, durable }, resolve, reject };
      entry = this.open = opened;
      process.nextTick(() => this.open === opened && this.issue(opened));
    }
    for (const op of ops) {
      entry.ops.push(op);
      if ('v' in op) entry.bytes += op.v.length;
    }
    if (id !== undefined) {
      this.pendingEvents.add(id);
      entry.ids.push(id);
    }
    return entry.write;
  }

  private issue(entry: OpenEntry): void {
    if (this.open === entry) this.open = undefined;
    this.log.issue(entry, () => {
      for (const id of entry.ids) this.pendingEvents.delete(id);
    });
  }
}

function eventId([key, seq]: RecordKey): string {
  return `${seq}\u0000${key}`;
}
