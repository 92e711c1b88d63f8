/**
 * A node's {@link Replication} over its LMDB engine (replication.ts for the contract,
 * replication-log.ts for the log). Attached to the engine, it takes over every write: a write is
 * refused unless this node is the primary, becomes one log entry in the same transaction, and
 * resolves once durable here and acknowledged by `syncStandbys` counted standbys: every caught-up
 * one, or, with a published synchronous set, its members (sync-members.ts).
 *
 * Shipping (primary): one StandbyLink per standby (standby-link.ts), fed as soon as a write is
 * issued, so the standby's fsync overlaps the local one.
 *
 * Applying (standby): shipped-applier.ts. A standby that wins seals the new term first (what
 * arrives later of an older term is refused), then waits until what it accepted before is
 * applied: its store no longer changes when its control side recovers from it.
 */
import { AckWaiters } from './ack-waiters.js';
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
  type StandbyProgress,
} from './replication.js';
import { ShippedApplier } from './shipped-applier.js';
import { StandbyLink, type ReplicationLogger, type ShippingContext } from './standby-link.js';
import type { StoreOp } from './store-ops.js';
import { SyncMembers, type PublishSyncSet } from './sync-members.js';

export type { ReplicationLogger } from './standby-link.js';

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
  /** a member of the synchronous set silent this long with entries outstanding stops counting (default 1000 ms; sync-members.ts) */
  leaveAfterMs?: number;
  log?: ReplicationLogger;
}

const SILENT: ReplicationLogger = { info: () => {}, warn: () => {} };

export class Replicator implements Replication, JournalWriter {
  readonly log: ReplicationLog;
  private state: ReplicationRole = 'idle';
  private term = 0;
  private committed = 0;
  private readonly syncStandbys: number;
  private readonly settings: ShippingContext['settings'];
  private readonly shipping: ShippingContext;
  private readonly logger: ReplicationLogger;
  private readonly peers = new Map<string, StandbyLink>();
  private readonly waiters = new AckWaiters();
  private readonly handlers = new Set<(event: ReplicationEvent) => void>();
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;
  private pumpQueued = false;
  private closed = false;
  /** on a standby (and a node not yet primary): applies what the primary of the highest term ships */
  private readonly applier: ShippedApplier;
  /** with a published synchronous set: whose acknowledgements count (else every caught-up standby's) */
  private sync: SyncMembers | undefined;
  private readonly leaveAfterMs: number;

  /** Takes over `engine`'s writes (before its first one) and answers `transport`'s messages. */
  constructor(engine: LmdbPersistenceEngine, private readonly transport: ReplicationTransport, options: ReplicatorOptions = {}) {
    this.log = new ReplicationLog(engine.environment, { prefix: engine.dbPrefix, retainEntries: options.retainEntries });
    this.syncStandbys = options.syncStandbys ?? 1;
    this.settings = { chunkEntries: options.chunkEntries ?? 512, chunkBytes: options.chunkBytes ?? 1 << 20, window: options.window ?? 8192, retryMs: options.retryMs ?? 500 };
    this.logger = options.log ?? SILENT;
    this.leaveAfterMs = options.leaveAfterMs ?? 2 * this.settings.retryMs;
    this.shipping = {
      log: this.log, transport, logger: this.logger, settings: this.settings,
      term: () => this.term, committed: () => this.committed,
      emit: (event) => {
        if (event.type === 'standby-caught-up') this.reviewSync();
        this.emit(event);
      },
    };
    this.applier = new ShippedApplier({
      log: this.log, transport, logger: this.logger, emit: (event) => this.emit(event),
      noteCommitted: (lsn) => (this.committed = Math.max(this.committed, lsn)),
      yieldTo: async (term, from) => {
        if (this.state !== 'primary') return true;
        if (term === this.term) return false; // not possible in one term: ignore rather than obey
        this.emit({ type: 'superseded', by: from, term });
        await this.becomeStandby(from);
        return true;
      },
    });
    this.committed = this.log.lastLsn().lsn;
    engine.replicateThrough(this);
    this.log.onIssued = () => this.schedulePump();
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

  async becomePrimary(term: number, standbys: ReplicaAddress[], publishSyncSet?: PublishSyncSet): Promise<void> {
    if (term < this.log.sealedTerm() || term < this.log.lastLsn().term) {
      throw new Error(`cannot lead term ${term}: this node has seen term ${this.log.sealedTerm()}`);
    }
    await this.log.seal(term);
    // nothing of an older term is accepted from now on; what was accepted before is applied
    // first, so the control side recovers from a store that no longer changes under it
    await this.applier.settled();
    this.state = 'primary';
    this.term = term;
    this.committed = this.log.lastLsn().lsn;
    this.peers.clear();
    // the winner's set names no standby yet (its election wrote it so): each joins once caught up
    this.sync = publishSyncSet && this.syncStandbys > 0 ? new SyncMembers(publishSyncSet, this.syncStandbys, this.leaveAfterMs, this.logger) : undefined;
    this.setStandbys(standbys);
    this.logger.info({ term, standbys: standbys.map((s) => s.name), position: this.log.lastLsn() }, 'replication.became-primary');
  }

  setStandbys(standbys: ReplicaAddress[]): void {
    if (this.state !== 'primary') return;
    const wanted = new Set(standbys.map((s) => s.address));
    for (const address of this.peers.keys()) if (!wanted.has(address)) this.peers.delete(address);
    for (const { name, address } of standbys) {
      if (this.peers.has(address) || address === this.transport.self.address) continue;
      this.peers.set(address, new StandbyLink(name, address, this.shipping));
    }
    this.reviewSync();
    this.advanceCommitted();
  }

  /** The members of the published synchronous set (none without one). */
  syncMembers(): string[] {
    return this.sync?.members() ?? [];
  }

  async becomeStandby(primary: ReplicaAddress | undefined): Promise<void> {
    if (this.state === 'primary') this.logger.info({ term: this.term, position: this.log.lastLsn() }, 'replication.stepped-down');
    this.state = 'standby';
    this.peers.clear();
    this.sync = undefined;
    this.applier.forgetPrimary();
    this.waiters.failAll(new NotPrimaryError(`stepped down${primary ? ` for ${primary.name}` : ''} before the write was acknowledged`));
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
    this.waiters.failAll(new NotPrimaryError('replication closed before the write was acknowledged'));
  }

  /** See {@link JournalWriter.write}: the engine's every write, while primary. */
  async write(ops: StoreOp[], unique?: [string, number]): Promise<boolean> {
    if (this.state !== 'primary') throw new NotPrimaryError();
    const term = this.term;
    const appended = this.log.append(term, ops, unique);
    const issued = appended instanceof Promise ? await appended : appended; // mostly not a promise: no turn lost
    if (!issued) return false;
    // shipped as soon as its entry is issued (log.onIssued), while it commits and flushes here:
    // acknowledged once both are done
    await issued.durable;
    // stepped down meanwhile: the waiters were failed, and no one will acknowledge this one
    if (this.state !== 'primary' || this.term !== term) throw new NotPrimaryError('stepped down before the write was acknowledged');
    this.advanceCommitted();
    if (issued.lsn > this.committed) await this.waiters.wait(issued.lsn);
    return true;
  }

  private receive(message: ReplicationMessage, from: ReplicaAddress): void {
    if (this.closed) return;
    switch (message.type) {
      case 'repl/append':
        return this.applier.append(message, from);
      case 'repl/copy':
        return this.applier.copy(message, from);
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

  private onAck(message: Extract<ReplicationMessage, { type: 'repl/ack' }>, from: ReplicaAddress): void {
    const link = this.peers.get(from.address);
    if (this.state !== 'primary' || message.term !== this.term || !link) return;
    if (!link.onAck(message)) return;
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
      this.peers.get(from.address)!.diverged(message.lsn);
    }
  }

  /** The `syncStandbys`-th highest acknowledgement among caught-up standbys, or what is durable here when none is needed. */
  private advanceCommitted(): void {
    const durable = this.log.lastLsn().lsn;
    let reach = durable;
    if (this.syncStandbys > 0) {
      const sync = this.sync;
      const counted = sync ? (p: StandbyLink) => sync.counts(p.name) : (p: StandbyLink) => p.caughtUp;
      const acks = [...this.peers.values()].filter(counted).map((p) => p.acked).sort((a, b) => b - a);
      reach = acks.length >= this.syncStandbys ? Math.min(durable, acks[this.syncStandbys - 1]!) : this.committed;
    }
    if (reach <= this.committed) return;
    this.committed = reach;
    this.waiters.acknowledged(reach);
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    // right after the entry's issue (a nextTick too), a turn sooner than setImmediate: the append
    // goes out in the remoting's next frame
    process.nextTick(() => {
      this.pumpQueued = false;
      if (this.state !== 'primary') return;
      for (const link of this.peers.values()) link.pump();
    });
  }

  /** Probes each standby that owes an answer and has been silent for `retryMs`. */
  private retry(): void {
    if (this.state !== 'primary') return;
    const now = Date.now();
    for (const link of this.peers.values()) link.retry(now);
    this.reviewSync();
  }

  /** Keeps the counted standbys and the published synchronous set in step (sync-members.ts). */
  private reviewSync(): void {
    if (this.state !== 'primary' || !this.sync) return;
    this.sync.review([...this.peers.values()], this.committed, Date.now(), () => this.advanceCommitted());
  }

  private emit(event: ReplicationEvent): void {
    for (const handler of this.handlers) handler(event);
  }
}

function assertNeverMessage(message: never): never {
  throw new Error(`unknown replication message ${JSON.stringify(message)}`);
}
