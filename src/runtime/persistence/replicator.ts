/**
 * A node's {@link Replication} over its LMDB engine (replication.ts for the contract,
 * replication-log.ts for the log). Attached to the engine, it takes over every write: a write is
 * refused unless this node is the primary, becomes one log entry in the same transaction, and
 * resolves once durable here and acknowledged by `syncStandbys` caught-up standbys.
 *
 * Shipping (primary): per standby, `sent` (last LSN shipped) and `acked` (last it holds durably).
 * Entries are read back from the log once durable here and sent in chunks, at most `window`
 * unacknowledged; a standby that reports a gap (`next`) is resent from there on a new `stream`,
 * so gap reports about entries already in flight are recognised as stale. A standby that has not
 * answered for `retryMs` is probed again (its messages may have been lost with a broken stream,
 * or it restarted): the probe's answer says where it stands and shipping resumes from there.
 *
 * Applying (standby): entries are applied in arrival order (lmdb-js runs the transactions in call
 * order, so several appends may be in flight) and acknowledged once flushed.
 */
import type { LmdbPersistenceEngine, JournalWriter } from './lmdb-engine.js';
import { ReplicationLog } from './replication-log.js';
import {
  NotPrimaryError,
  type LogPosition,
  type ReplicaAddress,
  type Replication,
  type ReplicationEvent,
  type ReplicationMessage,
  type ReplicationRole,
  type ReplicationTransport,
  type ShippedEntry,
  type StandbyProgress,
} from './replication.js';
import { readCopyChunk, type CopyCursor } from './store-copy.js';
import type { StoreOp } from './store-ops.js';

/** The structured log the replicator writes (a pino Logger fits). */
export interface ReplicationLogger {
  info(fields: object, event: string): void;
  warn(fields: object, event: string): void;
}

export interface ReplicatorOptions {
  /** standbys that must hold an entry before a write resolves (`--sync-standbys`, default 1; 0: asynchronous) */
  syncStandbys?: number;
  /** entries kept in the log for standbys catching up (default 100,000) */
  retainEntries?: number;
  /** most entries, and about most bytes, per append message (default 512, 1 MiB) */
  chunkEntries?: number;
  chunkBytes?: number;
  /** most entries shipped and not yet acknowledged, per standby (default 8192) */
  window?: number;
  /** a standby silent this long with entries outstanding is probed again (default 500 ms) */
  retryMs?: number;
  log?: ReplicationLogger;
}

interface Standby extends ReplicaAddress {
  /** -1 until it answered a probe */
  sent: number;
  acked: number;
  stream: number;
  caughtUp: boolean;
  /** the primary's head when it answered the probe: acknowledging it is catching up */
  target: number;
  lastHeard: number;
  lastSent: number;
  /** a copy of the store under way: the chunk last sent, where the next starts (none: the last was sent), the position it brings the standby to */
  copy?: { seq: number; cursor: CopyCursor | undefined; base: LogPosition };
}

/** Records and bytes per chunk of a store copy; one chunk in flight. */
const COPY_RECORDS = 2048;
const COPY_BYTES = 1 << 20;

interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

const SILENT: ReplicationLogger = { info: () => {}, warn: () => {} };

export class Replicator implements Replication, JournalWriter {
  readonly log: ReplicationLog;
  private state: ReplicationRole = 'idle';
  private term = 0;
  private committed = 0;
  private readonly syncStandbys: number;
  private readonly settings: Required<Omit<ReplicatorOptions, 'log' | 'syncStandbys' | 'retainEntries'>>;
  private readonly logger: ReplicationLogger;
  private readonly peers = new Map<string, Standby>();
  private waiters: Waiter[] = [];
  private readonly handlers = new Set<(event: ReplicationEvent) => void>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private pumpQueued = false;
  private caughtUpWith: string | undefined;
  /** on a standby: the copy being received (from whom, on which stream, the chunk expected next) */
  private copyFrom: { address: string; term: number; stream: number; next: number } | undefined;
  private closed = false;

  /** Takes over `engine`'s writes (before its first one) and answers `transport`'s messages. */
  constructor(engine: LmdbPersistenceEngine, private readonly transport: ReplicationTransport, options: ReplicatorOptions = {}) {
    this.log = new ReplicationLog(engine.environment, { prefix: engine.dbPrefix, retainEntries: options.retainEntries });
    this.syncStandbys = options.syncStandbys ?? 1;
    this.settings = { chunkEntries: options.chunkEntries ?? 512, chunkBytes: options.chunkBytes ?? 1 << 20, window: options.window ?? 8192, retryMs: options.retryMs ?? 500 };
    this.logger = options.log ?? SILENT;
    this.committed = this.log.lastLsn().lsn;
    engine.replicateThrough(this);
    this.unsubscribe = transport.onMessage((message, from) => this.receive(message, from));
    this.timer = setInterval(() => this.retry(), this.settings.retryMs).unref();
  }

  lastLsn(): LogPosition {
    return this.log.lastLsn();
  }

  sealedTerm(): number {
    return this.log.sealedTerm();
  }

  role(): ReplicationRole {
    return this.state;
  }

  committedLsn(): number {
    return this.committed;
  }

  async becomePrimary(term: number, standbys: ReplicaAddress[]): Promise<void> {
    if (term < this.log.sealedTerm() || term < this.log.lastLsn().term) {
      throw new Error(`cannot lead term ${term}: this node has seen term ${this.log.sealedTerm()}`);
    }
    await this.log.seal(term);
    this.state = 'primary';
    this.term = term;
    this.committed = this.log.lastLsn().lsn;
    this.peers.clear();
    this.setStandbys(standbys);
    this.logger.info({ term, standbys: standbys.map((s) => s.name), position: this.log.lastLsn() }, 'replication.became-primary');
  }

  setStandbys(standbys: ReplicaAddress[]): void {
    if (this.state !== 'primary') return;
    const wanted = new Set(standbys.map((s) => s.address));
    for (const address of this.peers.keys()) if (!wanted.has(address)) this.peers.delete(address);
    for (const { name, address } of standbys) {
      if (this.peers.has(address) || address === this.transport.self.address) continue;
      const peer: Standby = { name, address, sent: -1, acked: -1, stream: 1, caughtUp: false, target: 0, lastHeard: 0, lastSent: 0 };
      this.peers.set(address, peer);
      this.probe(peer);
    }
    this.advanceCommitted();
  }

  async becomeStandby(primary: ReplicaAddress | undefined): Promise<void> {
    if (this.state === 'primary') this.logger.info({ term: this.term, position: this.log.lastLsn() }, 'replication.stepped-down');
    this.state = 'standby';
    this.peers.clear();
    this.caughtUpWith = undefined;
    this.failWaiters(new NotPrimaryError(`stepped down${primary ? ` for ${primary.name}` : ''} before the write was acknowledged`));
  }

  async seal(term: number): Promise<void> {
    await this.log.seal(term);
    if (this.state === 'primary' && term > this.term) await this.becomeStandby(undefined);
  }

  standbys(): StandbyProgress[] {
    return [...this.peers.values()].map(({ name, address, acked, caughtUp }) => ({ name, address, ackedLsn: acked, caughtUp }));
  }

  onEvent(handler: (event: ReplicationEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'idle';
    clearInterval(this.timer);
    this.unsubscribe();
    this.failWaiters(new NotPrimaryError('replication closed before the write was acknowledged'));
  }

  /** See {@link JournalWriter.write}: the engine's every write, while primary. */
  async write(ops: StoreOp[], unique?: [string, number]): Promise<boolean> {
    if (this.state !== 'primary') throw new NotPrimaryError();
    const term = this.term;
    const issued = await this.log.append(term, ops, unique);
    if (!issued) return false;
    // shipped now, while it commits and flushes here: acknowledged once both are done
    this.schedulePump();
    await issued.durable;
    // stepped down meanwhile: the waiters were failed, and no one will acknowledge this one
    if (this.state !== 'primary' || this.term !== term) throw new NotPrimaryError('stepped down before the write was acknowledged');
    this.advanceCommitted();
    if (issued.lsn > this.committed) await new Promise<void>((resolve, reject) => this.wait({ lsn: issued.lsn, resolve, reject }));
    return true;
  }

  private receive(message: ReplicationMessage, from: ReplicaAddress): void {
    if (this.closed) return;
    switch (message.type) {
      case 'repl/append':
        void this.onAppend(message, from);
        return;
      case 'repl/copy':
        void this.onCopy(message, from);
        return;
      case 'repl/ack':
        this.onAck(message, from);
        return;
      case 'repl/refuse':
        this.onRefuse(message, from);
        return;
      default:
        assertNeverMessage(message);
    }
  }

  /** Whether a standby takes a message of `term` from `from`: refuses an older term, steps down for a newer one. */
  private async accepts(term: number, from: ReplicaAddress): Promise<boolean> {
    if (term < this.log.sealedTerm()) {
      this.transport.send(from.address, { type: 'repl/refuse', term: this.log.sealedTerm(), reason: 'stale-term', lsn: this.log.lastLsn().lsn });
      return false;
    }
    if (this.state === 'primary') {
      if (term === this.term) return false; // not possible in one term: ignore rather than obey
      this.emit({ type: 'superseded', by: from, term });
      await this.becomeStandby(from);
    }
    if (term > this.log.sealedTerm()) await this.log.seal(term);
    return true;
  }

  private async onCopy(message: Extract<ReplicationMessage, { type: 'repl/copy' }>, from: ReplicaAddress): Promise<void> {
    const { term, stream, seq } = message;
    if (!(await this.accepts(term, from))) return;
    if (seq === 0) {
      this.logger.info({ primary: from.name, term }, 'replication.receiving-copy');
      this.log.beginCopy();
      this.caughtUpWith = undefined;
      this.copyFrom = { address: from.address, term, stream, next: 0 };
    }
    const copy = this.copyFrom;
    if (!copy || copy.address !== from.address || copy.stream !== stream || copy.next !== seq) return; // a stale chunk
    copy.next += 1;
    await this.log.applyCopy(message.records);
    if (!message.base) {
      this.transport.send(from.address, { type: 'repl/ack', term, stream, lsn: 0, copied: seq });
      return;
    }
    await this.log.finishCopy(message.base);
    this.copyFrom = undefined;
    this.logger.info({ primary: from.name, position: message.base }, 'replication.received-copy');
    this.transport.send(from.address, { type: 'repl/ack', term, stream, lsn: message.base.lsn });
  }

  private async onAppend(message: Extract<ReplicationMessage, { type: 'repl/append' }>, from: ReplicaAddress): Promise<void> {
    const { term, stream } = message;
    if (!(await this.accepts(term, from))) return;
    if (this.copyFrom?.address === from.address && this.copyFrom.term === term) return; // its entries wait until its copy is complete
    this.copyFrom = undefined; // another primary: the half copy is replayed over (from LSN 1) or replaced
    const result = await this.log.applyShipped(message.prevLsn, message.prevTerm, message.entries);
    if (!result.ok && result.reason === 'diverged') {
      this.logger.warn({ primary: from.name, term, at: result.lsn }, 'replication.diverged');
      this.emit({ type: 'diverged', primary: from, at: { term: message.prevTerm, lsn: result.lsn } });
      this.transport.send(from.address, { type: 'repl/refuse', term: this.log.sealedTerm(), reason: 'diverged', lsn: result.lsn });
      return;
    }
    const held = this.log.lastLsn();
    this.committed = Math.max(this.committed, Math.min(message.committed, held.lsn));
    if (!result.ok) {
      this.transport.send(from.address, { type: 'repl/ack', term, stream, lsn: held.lsn, next: result.next });
      return;
    }
    this.transport.send(from.address, { type: 'repl/ack', term, stream, lsn: result.position.lsn });
    if (this.caughtUpWith !== from.address && result.position.lsn >= message.head) {
      this.caughtUpWith = from.address;
      this.emit({ type: 'caught-up', primary: from, position: result.position });
    }
  }

  private onAck(message: Extract<ReplicationMessage, { type: 'repl/ack' }>, from: ReplicaAddress): void {
    const peer = this.peers.get(from.address);
    if (this.state !== 'primary' || message.term !== this.term || !peer) return;
    peer.lastHeard = Date.now();
    if (peer.copy) {
      if (message.stream !== peer.stream) return; // about what was sent before the copy
      if (message.copied === peer.copy.seq && peer.copy.cursor) return this.sendCopyChunk(peer);
      if (message.copied !== undefined || peer.copy.cursor) return;
      peer.copy = undefined; // complete: shipping resumes after its base
      peer.acked = peer.sent = message.lsn;
      peer.target = this.log.lastIssued().lsn;
    }
    if (message.lsn > this.log.lastIssued().lsn) {
      // it holds entries this primary does not: an old term's unacknowledged tail, replaced by a copy
      this.logger.warn({ standby: peer.name, lsn: message.lsn, position: this.log.lastLsn() }, 'replication.standby-ahead');
      this.emit({ type: 'diverged', primary: this.transport.self, at: { term: this.term, lsn: message.lsn } });
      return this.startCopy(peer);
    }
    peer.acked = Math.max(peer.acked, message.lsn);
    if (peer.sent < 0) {
      peer.sent = message.next === undefined ? message.lsn : message.next - 1;
      peer.target = this.log.lastIssued().lsn;
    } else if (message.next !== undefined && message.stream === peer.stream) {
      this.logger.info({ standby: peer.name, from: message.next, sent: peer.sent }, 'replication.resending');
      peer.stream += 1;
      peer.sent = message.next - 1;
    }
    if (!peer.caughtUp && peer.acked >= peer.target) {
      peer.caughtUp = true;
      this.logger.info({ standby: peer.name, lsn: peer.acked }, 'replication.standby-caught-up');
      this.emit({ type: 'standby-caught-up', standby: { name: peer.name, address: peer.address }, position: { term: this.term, lsn: peer.acked } });
    }
    this.advanceCommitted();
    this.schedulePump();
  }

  private onRefuse(message: Extract<ReplicationMessage, { type: 'repl/refuse' }>, from: ReplicaAddress): void {
    if (this.state !== 'primary' || !this.peers.has(from.address)) return;
    this.logger.warn({ standby: from.name, term: message.term, reason: message.reason, lsn: message.lsn }, 'replication.refused');
    if (message.reason === 'stale-term' && message.term > this.term) {
      this.emit({ type: 'superseded', by: from, term: message.term });
      void this.seal(message.term);
    } else {
      this.emit({ type: 'diverged', primary: this.transport.self, at: { term: this.term, lsn: message.lsn } });
      this.startCopy(this.peers.get(from.address)!);
    }
  }

  /** The `syncStandbys`-th highest acknowledgement among caught-up standbys, or what is durable here when none is needed. */
  private advanceCommitted(): void {
    const durable = this.log.lastLsn().lsn;
    let reach = durable;
    if (this.syncStandbys > 0) {
      const acks = [...this.peers.values()].filter((p) => p.caughtUp).map((p) => p.acked).sort((a, b) => b - a);
      reach = acks.length >= this.syncStandbys ? Math.min(durable, acks[this.syncStandbys - 1]!) : this.committed;
    }
    if (reach <= this.committed) return;
    this.committed = reach;
    let done = 0;
    while (done < this.waiters.length && this.waiters[done]!.lsn <= reach) this.waiters[done++]!.resolve();
    if (done > 0) this.waiters.splice(0, done);
  }

  /** Waiters stay sorted by LSN (they nearly always come in order), so an ack resolves a prefix. */
  private wait(waiter: Waiter): void {
    let at = this.waiters.length;
    while (at > 0 && this.waiters[at - 1]!.lsn > waiter.lsn) at--;
    this.waiters.splice(at, 0, waiter);
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      if (this.state !== 'primary') return;
      for (const peer of this.peers.values()) this.pump(peer);
    });
  }

  /** Ships what `peer` lacks, within its window. */
  private pump(peer: Standby): void {
    const head = this.log.lastIssued().lsn;
    while (peer.sent >= 0 && peer.sent < head && peer.sent - peer.acked < this.settings.window) {
      const entries = this.log.read(peer.sent + 1, this.settings.chunkEntries, this.settings.chunkBytes);
      if (entries.length === 0 || entries[0]![0] !== peer.sent + 1) {
        // trimmed: the tail cannot bring it up to date
        this.logger.warn({ standby: peer.name, wants: peer.sent + 1, firstRetained: this.log.firstRetained() }, 'replication.standby-needs-copy');
        return this.startCopy(peer);
      }
      this.send(peer, peer.sent, entries);
      peer.sent = entries[entries.length - 1]![0];
    }
  }

  /** Sends `peer` a copy of the whole store, on a new stream; shipping resumes after the copy's base. */
  private startCopy(peer: Standby): void {
    this.logger.info({ standby: peer.name, base: this.log.lastVisible() }, 'replication.copying-store');
    peer.stream += 1;
    peer.sent = -1;
    peer.caughtUp = false;
    peer.copy = { seq: -1, cursor: { db: 0 }, base: this.log.lastVisible() };
    this.sendCopyChunk(peer);
  }

  private sendCopyChunk(peer: Standby): void {
    const copy = peer.copy!;
    const { records, next } = readCopyChunk(this.log.dbs, copy.cursor!, COPY_RECORDS, COPY_BYTES);
    copy.seq += 1;
    copy.cursor = next;
    peer.lastSent = Date.now();
    this.transport.send(peer.address, { type: 'repl/copy', term: this.term, stream: peer.stream, seq: copy.seq, records, ...(next ? {} : { base: copy.base }) });
  }

  private probe(peer: Standby): void {
    peer.sent = -1;
    this.send(peer, this.log.lastIssued().lsn, []);
  }

  private send(peer: Standby, prevLsn: number, entries: ShippedEntry[]): void {
    peer.lastSent = Date.now();
    this.transport.send(peer.address, {
      type: 'repl/append', term: this.term, stream: peer.stream, prevLsn, prevTerm: this.log.termAt(prevLsn) ?? -1,
      entries, head: this.log.lastIssued().lsn, committed: this.committed,
    });
  }

  /** Probes each standby that owes an answer and has been silent for `retryMs`. */
  private retry(): void {
    if (this.state !== 'primary') return;
    const now = Date.now();
    for (const peer of this.peers.values()) {
      const owes = peer.copy !== undefined || peer.sent < 0 || peer.acked < peer.sent;
      if (!owes || now - Math.max(peer.lastHeard, peer.lastSent) < this.settings.retryMs) continue;
      if (peer.copy) {
        this.startCopy(peer); // a chunk or its answer was lost: start over
      } else {
        peer.stream += 1;
        this.probe(peer);
      }
    }
  }

  private failWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private emit(event: ReplicationEvent): void {
    for (const handler of this.handlers) handler(event);
  }
}

function assertNeverMessage(message: never): never {
  throw new Error(`unknown replication message ${JSON.stringify(message)}`);
}
