/**
 * One standby as the primary sees it (replicator.ts): what was shipped to it (`sent`), what it
 * holds durably (`acked`), and the shipping itself. Entries are read from the primary's log
 * (from memory while recent) and sent in chunks, at most `window` unacknowledged; a standby that
 * reports a gap (`next`) is resent from there on a new `stream`, so gap reports about entries
 * already in flight are recognised as stale. A standby the retained tail cannot serve, or whose
 * log diverged, is sent a copy of the store (store-copy.ts), one chunk in flight; shipping
 * resumes after the copy's base. A link silent for `retryMs` while it owes an answer is probed
 * again (its messages may have been lost with a broken stream, or it restarted) or, during a
 * copy, the copy starts over.
 */
import type { ReplicationLog } from './replication-log.js';
import type { LogPosition, ReplicaAddress, ReplicationEvent, ReplicationMessage, ReplicationTransport, ShippedEntry } from './replication.js';
import { readCopyChunk, type CopyCursor } from './store-copy.js';

/** The structured log the replication writes (a pino Logger fits). */
export interface ReplicationLogger {
  info(fields: object, event: string): void;
  warn(fields: object, event: string): void;
}

/** What a link needs of its primary. */
export interface ShippingContext {
  log: ReplicationLog;
  transport: ReplicationTransport;
  logger: ReplicationLogger;
  term(): number;
  /** the LSN the primary knows acknowledged */
  committed(): number;
  emit(event: ReplicationEvent): void;
  settings: { chunkEntries: number; chunkBytes: number; window: number; retryMs: number };
}

/** Records and bytes per chunk of a store copy. */
const COPY_RECORDS = 2048;
const COPY_BYTES = 1 << 20;

type Ack = Extract<ReplicationMessage, { type: 'repl/ack' }>;

export class StandbyLink implements ReplicaAddress {
  /** last LSN shipped; -1 until it answered a probe (and during a copy) */
  sent = -1;
  /** last LSN it holds durably, as it acknowledged */
  acked = -1;
  caughtUp = false;
  private stream = 1;
  /** the primary's head when it answered the probe: acknowledging it is catching up */
  private target = 0;
  private lastHeard = 0;
  private lastSent = 0;
  /** a copy under way: the chunk last sent, where the next starts (none: the last was sent), the position it brings the standby to */
  private copy: { seq: number; cursor: CopyCursor | undefined; base: LogPosition } | undefined;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly ctx: ShippingContext,
  ) {
    this.lastHeard = Date.now(); // silence counts from its start, not from 1970
    this.probe();
  }

  /** ms it has owed an answer without one (0 when it owes none). */
  silentFor(now: number): number {
    const owes = this.copy !== undefined || this.sent < 0 || this.acked < this.sent;
    return owes ? now - this.lastHeard : 0;
  }

  /** Takes the standby's answer; true when its acknowledged LSN may have moved. */
  onAck(message: Ack): boolean {
    const { log, logger } = this.ctx;
    this.lastHeard = Date.now();
    if (this.copy) {
      if (message.stream !== this.stream) return false; // about what was sent before the copy
      if (message.copied === this.copy.seq && this.copy.cursor) return this.sendCopyChunk(), false;
      if (message.copied !== undefined || this.copy.cursor) return false;
      this.copy = undefined; // complete: shipping resumes after its base
      this.acked = this.sent = message.lsn;
      log.keepFrom(this, this.acked + 1);
      this.target = log.lastIssued().lsn;
      // nothing written since the base: an empty append tells the standby it holds the head (its `caught-up`)
      if (this.sent >= this.target) this.send(this.sent, []);
    }
    if (message.lsn > log.lastIssued().lsn) {
      // it holds entries this primary does not: an old term's unacknowledged tail, replaced by a copy
      logger.warn({ standby: this.name, lsn: message.lsn, position: log.lastLsn() }, 'replication.standby-ahead');
      this.diverged(message.lsn);
      return false;
    }
    this.acked = Math.max(this.acked, message.lsn);
    if (this.sent < 0) {
      this.sent = message.next === undefined ? message.lsn : message.next - 1;
      this.target = log.lastIssued().lsn;
    } else if (message.next !== undefined && message.stream === this.stream) {
      logger.info({ standby: this.name, from: message.next, sent: this.sent }, 'replication.resending');
      this.stream += 1;
      this.sent = message.next - 1;
    }
    // until it has caught up, what it lacks stays in the log (renewed by each answer)
    if (!this.caughtUp && this.acked >= 0) log.keepFrom(this, this.acked + 1);
    if (!this.caughtUp && this.acked >= this.target) {
      log.keepFrom(this, undefined);
      this.caughtUp = true;
      logger.info({ standby: this.name, lsn: this.acked }, 'replication.standby-caught-up');
      this.ctx.emit({ type: 'standby-caught-up', standby: { name: this.name, address: this.address }, position: { term: this.ctx.term(), lsn: this.acked } });
    }
    return true;
  }

  /** Its log holds what the primary's does not at `lsn`: it gets a copy of the store. */
  diverged(lsn: number): void {
    this.ctx.emit({ type: 'diverged', primary: this.ctx.transport.self, at: { term: this.ctx.term(), lsn } });
    this.startCopy();
  }

  /** Ships what it lacks, within its window. */
  pump(): void {
    const { log, settings } = this.ctx;
    const head = log.lastIssued().lsn;
    while (this.sent >= 0 && this.sent < head && this.sent - this.acked < settings.window) {
      const entries = log.read(this.sent + 1, settings.chunkEntries, settings.chunkBytes);
      if (entries.length === 0 || entries[0]![0] !== this.sent + 1) {
        // trimmed: the tail cannot bring it up to date
        this.ctx.logger.warn({ standby: this.name, wants: this.sent + 1, firstRetained: log.firstRetained() }, 'replication.standby-needs-copy');
        return this.startCopy();
      }
      this.send(this.sent, entries);
      this.sent = entries[entries.length - 1]![0];
    }
  }

  /** Probes it again, or starts its copy over, when it owes an answer and has been silent for `retryMs`. */
  retry(now: number): void {
    const owes = this.copy !== undefined || this.sent < 0 || this.acked < this.sent;
    if (!owes || now - Math.max(this.lastHeard, this.lastSent) < this.ctx.settings.retryMs) return;
    if (this.copy) return this.startCopy(); // a chunk or its answer was lost
    this.stream += 1;
    this.probe();
  }

  private probe(): void {
    this.sent = -1;
    this.send(this.ctx.log.lastIssued().lsn, []);
  }

  private send(prevLsn: number, entries: ShippedEntry[]): void {
    const { log } = this.ctx;
    this.lastSent = Date.now();
    this.ctx.transport.send(this.address, {
      type: 'repl/append', term: this.ctx.term(), stream: this.stream, prevLsn, prevTerm: log.termAt(prevLsn) ?? -1,
      entries, head: log.lastIssued().lsn, committed: this.ctx.committed(),
    });
  }

  /** Sends a copy of the whole store, on a new stream. */
  private startCopy(): void {
    const base = this.ctx.log.lastVisible();
    this.ctx.logger.info({ standby: this.name, base }, 'replication.copying-store');
    // the entries after the base stay in the log until it has them (writes go on meanwhile)
    this.ctx.log.keepFrom(this, base.lsn + 1);
    this.stream += 1;
    this.sent = -1;
    this.caughtUp = false;
    this.copy = { seq: -1, cursor: { db: 0 }, base };
    this.sendCopyChunk();
  }

  private sendCopyChunk(): void {
    const copy = this.copy!;
    const { records, next } = readCopyChunk(this.ctx.log.dbs, copy.cursor!, COPY_RECORDS, COPY_BYTES);
    this.ctx.log.keepFrom(this, copy.base.lsn + 1);
    copy.seq += 1;
    copy.cursor = next;
    this.lastSent = Date.now();
    this.ctx.transport.send(this.address, { type: 'repl/copy', term: this.ctx.term(), stream: this.stream, seq: copy.seq, records, ...(next ? {} : { base: copy.base }) });
  }
}
