/**
 * What a node that is not the primary does with what the primary ships (replicator.ts): appends
 * applied in arrival order (lmdb-js commits the batches in call order, so several may be in
 * flight) and acknowledged once flushed, a copy of the store replacing everything it held.
 * Refuses an older term than the one it is sealed at; a newer one seals it first (and a primary
 * receiving one steps down: `yieldTo`). `settled()` waits for what was accepted and is still
 * being applied: a standby that wins waits for it, so its store no longer changes afterwards.
 */
import type { ReplicationLog } from './replication-log.js';
import type { ReplicaAddress, ReplicationEvent, ReplicationMessage, ReplicationTransport } from './replication.js';
import type { ReplicationLogger } from './standby-link.js';

type Append = Extract<ReplicationMessage, { type: 'repl/append' }>;
type Copy = Extract<ReplicationMessage, { type: 'repl/copy' }>;

export interface ApplierContext {
  log: ReplicationLog;
  transport: ReplicationTransport;
  logger: ReplicationLogger;
  emit(event: ReplicationEvent): void;
  /** the primary said this LSN is acknowledged (bounded by what this node holds) */
  noteCommitted(lsn: number): void;
  /** a message of a term at or above the sealed one: false to ignore it (this node is primary of that very term) */
  yieldTo(term: number, from: ReplicaAddress): Promise<boolean>;
}

export class ShippedApplier {
  private caughtUpWith: string | undefined;
  /** the copy being received (from whom, on which stream, the chunk expected next) */
  private copyFrom: { address: string; term: number; stream: number; next: number } | undefined;
  /** appends and copy chunks accepted and still being applied */
  private readonly applying = new Set<Promise<void>>();

  constructor(private readonly ctx: ApplierContext) {}

  append(message: Append, from: ReplicaAddress): void {
    this.track(this.onAppend(message, from));
  }

  copy(message: Copy, from: ReplicaAddress): void {
    this.track(this.onCopy(message, from));
  }

  /** Resolves once everything accepted so far is applied (or failed). */
  async settled(): Promise<void> {
    while (this.applying.size > 0) await Promise.allSettled([...this.applying]);
  }

  /** A new primary: its `caught-up` is reported afresh. */
  forgetPrimary(): void {
    this.caughtUpWith = undefined;
  }

  private track(work: Promise<void>): void {
    this.applying.add(work);
    work.then(
      () => this.applying.delete(work),
      (error: Error) => {
        this.applying.delete(work);
        this.ctx.logger.warn({ error: error.message }, 'replication.apply-failed');
      },
    );
  }

  /** Whether this node takes a message of `term` from `from`: refuses an older term, seals itself at a newer one. */
  private async accepts(term: number, from: ReplicaAddress): Promise<boolean> {
    const { log, transport } = this.ctx;
    if (term < log.sealedTerm()) {
      transport.send(from.address, { type: 'repl/refuse', term: log.sealedTerm(), reason: 'stale-term', lsn: log.lastLsn().lsn });
      return false;
    }
    if (!(await this.ctx.yieldTo(term, from))) return false;
    if (term > log.sealedTerm()) await log.seal(term);
    return true;
  }

  private async onCopy(message: Copy, from: ReplicaAddress): Promise<void> {
    const { log, transport, logger } = this.ctx;
    const { term, stream, seq } = message;
    if (!(await this.accepts(term, from))) return;
    if (seq === 0) {
      logger.info({ primary: from.name, term }, 'replication.receiving-copy');
      log.beginCopy();
      this.caughtUpWith = undefined;
      this.copyFrom = { address: from.address, term, stream, next: 0 };
    }
    const copy = this.copyFrom;
    if (!copy || copy.address !== from.address || copy.stream !== stream || copy.next !== seq) return; // a stale chunk
    copy.next += 1;
    await log.applyCopy(message.records);
    if (!message.base) {
      transport.send(from.address, { type: 'repl/ack', term, stream, lsn: 0, copied: seq });
      return;
    }
    await log.finishCopy(message.base);
    this.copyFrom = undefined;
    logger.info({ primary: from.name, position: message.base }, 'replication.received-copy');
    transport.send(from.address, { type: 'repl/ack', term, stream, lsn: message.base.lsn });
  }

  private async onAppend(message: Append, from: ReplicaAddress): Promise<void> {
    const { log, transport, logger } = this.ctx;
    const { term, stream } = message;
    if (!(await this.accepts(term, from))) return;
    if (this.copyFrom?.address === from.address && this.copyFrom.term === term) return; // its entries wait until its copy is complete
    this.copyFrom = undefined; // another primary: the half copy is replayed over (from LSN 1) or replaced
    const result = await log.applyShipped(message.prevLsn, message.prevTerm, message.entries);
    if (!result.ok && result.reason === 'diverged') {
      logger.warn({ primary: from.name, term, at: result.lsn }, 'replication.diverged');
      this.ctx.emit({ type: 'diverged', primary: from, at: { term: message.prevTerm, lsn: result.lsn } });
      transport.send(from.address, { type: 'repl/refuse', term: log.sealedTerm(), reason: 'diverged', lsn: result.lsn });
      return;
    }
    const held = log.lastLsn();
    this.ctx.noteCommitted(Math.min(message.committed, held.lsn));
    if (!result.ok) {
      transport.send(from.address, { type: 'repl/ack', term, stream, lsn: held.lsn, next: result.next });
      return;
    }
    transport.send(from.address, { type: 'repl/ack', term, stream, lsn: result.position.lsn });
    if (this.caughtUpWith !== from.address && result.position.lsn >= message.head) {
      this.caughtUpWith = from.address;
      logger.info({ primary: from.name, position: result.position }, 'replication.caught-up');
      this.ctx.emit({ type: 'caught-up', primary: from, position: result.position });
    }
  }
}
