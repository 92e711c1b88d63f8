/**
 * Who leads a control group: one leased key in etcd, raced with a guarded transaction
 * (docs/054-control-group.md). The winner's key create revision is its term, monotonic across
 * elections. etcd3 is used for leases, reads and transactions only; its `Election`, its automatic
 * keepalives and its circuit breaker are not (issue 16: phantom `elected`, `lost` only after 2×TTL,
 * a lease declared lost after etcd is back). Whether this node holds the lead is decided by its OWN
 * lease deadline: the send time of the last keepalive etcd confirmed plus the TTL, less a margin.
 * etcd expires the lease no sooner than that, so the node stops acknowledging before any other can
 * win, whatever arrives from etcd, and even when its process was stopped meanwhile (SIGSTOP).
 */
import { EventEmitter } from 'node:events';
import { Etcd3, type IOptions, type Lease } from 'etcd3';
import type { Clock } from '../../base/clock.js';
import { systemClock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { silentLogger } from '../../base/logger.js';
import { comparePositions, parseCandidate, parseLeader, type CandidateRecord, type LeaderInfo, type LogPosition } from './leader-records.js';

export type { LeaderInfo, LogPosition } from './leader-records.js';

/** The node's own part of the leader record. */
export interface ElectionSelf {
  name: string;
  /** gateway URL (`http://host:port`) clients are sent to */
  api: string;
  /** remoting address (`host:port`) */
  listen: string;
}

export interface LeaderElectionOptions {
  /** etcd client endpoints, `host:port` */
  endpoints: string[];
  self: ElectionSelf;
  /** lease TTL; etcd grants whole seconds, so it is rounded up there and the own deadline uses it as given */
  ttlMs: number;
  /** key prefix of the group in etcd (default `/auctor/control`) */
  prefix?: string;
  /**
   * What this node's store durably holds (the replication's `lastLsn()`). Among live candidates
   * only one holding the highest position may win, so a standby known to hold every acknowledged
   * write leads. Default: every node at {0, 0}.
   */
  lastLsn?: () => LogPosition;
  /** how often a standby looks at the key (default ttl/12, at most 250 ms) */
  pollMs?: number;
  /** how long one etcd request may take (default ttl/3) */
  requestTimeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

export type ElectionEvents = {
  /** this node won `term` */
  elected: [term: number];
  /** this node held the lead and no longer does (its deadline passed, or etcd showed another key) */
  lost: [reason: string];
  /** the leader this node sees changed (undefined: none) */
  leader: [leader: LeaderInfo | undefined];
};

/** Runs one node's side of the election until `stop()`. */
export class LeaderElection extends EventEmitter<ElectionEvents> {
  private readonly client: Etcd3;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaderKey: string;
  private readonly candidatePrefix: string;
  private readonly leaseTtlS: number;
  private readonly marginMs: number;
  private readonly keepaliveMs: number;
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;
  private lease: { lease: Lease; id: string; deadline: number; renewedAt: number } | undefined;
  private term: number | undefined;
  private seen: LeaderInfo | undefined;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fenceTimer: ReturnType<typeof setTimeout> | undefined;
  private published = '';

  constructor(private readonly options: LeaderElectionOptions) {
    super();
    if (options.endpoints.length === 0) throw new RangeError('no etcd endpoints');
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
    const prefix = options.prefix ?? '/auctor/control';
    this.leaderKey = `${prefix}/leader`;
    this.candidatePrefix = `${prefix}/candidates/`;
    this.leaseTtlS = Math.max(1, Math.ceil(options.ttlMs / 1000));
    // room for the time etcd takes to record a keepalive after it was sent, and timer lateness
    this.marginMs = Math.max(100, Math.round(options.ttlMs / 10));
    this.keepaliveMs = Math.max(50, Math.round(options.ttlMs / 3));
    this.pollMs = options.pollMs ?? Math.min(250, Math.max(20, Math.round(options.ttlMs / 12)));
    this.requestTimeoutMs = options.requestTimeoutMs ?? Math.max(100, Math.round(options.ttlMs / 3));
    // no retries and no circuit breaker: a failed request fails now, the next tick tries again
    // (async: etcd3 reports a failed stream through `execute(() => { throw })` and catches the promise)
    const passThrough = { execute: async (fn: (context: { signal: AbortSignal }) => unknown) => fn({ signal: new AbortController().signal }) };
    const clientOptions: IOptions = {
      hosts: options.endpoints.map((e) => (e.includes('://') ? e : `http://${e}`)),
      dialTimeout: this.requestTimeoutMs,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: new Date(Date.now() + this.requestTimeoutMs) }),
      faultHandling: { host: () => passThrough as never, global: passThrough as never },
    };
    this.client = new Etcd3(clientOptions);
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.schedule(0);
    return this;
  }

  /** True while this node leads and its own lease deadline (less the margin) has not passed. */
  holds(): boolean {
    return this.term !== undefined && this.lease !== undefined && this.clock.now() < this.lease.deadline - this.marginMs;
  }

  /** This node's term while it holds the lead. */
  currentTerm(): number | undefined {
    return this.holds() ? this.term : undefined;
  }

  /** The leader as this node last saw it: itself only while it holds the lead. */
  leader(): LeaderInfo | undefined {
    if (this.term !== undefined) return this.holds() ? { ...this.options.self, term: this.term } : undefined;
    return this.seen;
  }

  /** Stops campaigning; a leader deletes its key (guarded) so a standby need not wait for the TTL. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.fenceTimer);
    const held = this.lease;
    this.lease = undefined;
    this.term = undefined;
    try {
      // revoking the lease deletes the leader key and the candidate record with it
      if (held) await this.withTimeout(held.lease.revoke());
    } catch (error) {
      this.log.warn({ error: (error as Error).message }, 'election.revoke-failed');
    }
    this.client.close();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    let failed = false;
    try {
      await this.ensureLease();
      if (this.term !== undefined) await this.confirmLead();
      else await this.campaign();
    } catch (error) {
      failed = true;
      this.log.debug({ error: (error as Error).message }, 'election.etcd-request-failed');
    }
    // a leader whose renewal failed tries again soon: one lost keepalive must not cost the lead
    this.schedule(this.term !== undefined && !failed ? this.keepaliveMs : this.pollMs);
  }

  /** Grants a lease when there is none (or it expired), else renews it when due; moves the own deadline. */
  private async ensureLease(): Promise<void> {
    const now = this.clock.now();
    if (this.lease && now >= this.lease.deadline) this.dropLease('lease-deadline');
    if (!this.lease) {
      const lease = this.client.lease(this.leaseTtlS, { autoKeepAlive: false });
      lease.on('lost', () => {}); // reported by our own deadline, not by this event
      const id = await this.withTimeout(lease.grant());
      this.lease = { lease, id, deadline: now + this.options.ttlMs, renewedAt: now };
      this.published = '';
      return;
    }
    if (now - this.lease.renewedAt < this.keepaliveMs) return;
    const held = this.lease;
    const sentAt = now;
    const response = await this.withTimeout(held.lease.keepaliveOnce());
    // a keepalive answered after the deadline passed cannot revive a lead that was given up
    if (this.lease !== held || this.clock.now() >= held.deadline) return;
    const granted = Number(response.TTL) * 1000;
    held.deadline = sentAt + Math.min(this.options.ttlMs, granted);
    held.renewedAt = sentAt;
    if (this.term !== undefined) this.armFence();
  }

  /** A leader checks its key is still its own (create revision = term, lease = its lease). */
  private async confirmLead(): Promise<void> {
    const held = this.lease!;
    const response = await this.withTimeout(
      this.client.if(this.leaderKey, 'Create', '==', this.term!).and(this.leaderKey, 'Lease', '==', held.id).then(this.client.get(this.leaderKey)).commit(),
    );
    if (!response.succeeded && this.term !== undefined) this.loseLead('key-not-ours');
  }

  /** A standby publishes its position, reads the key, and races for it when it is absent and it may win. */
  private async campaign(): Promise<void> {
    const { id } = this.lease!;
    const position = this.options.lastLsn?.() ?? { term: 0, lsn: 0 };
    const record = JSON.stringify({ name: this.options.self.name, ...position } satisfies CandidateRecord);
    if (record !== this.published) {
      await this.withTimeout(this.client.put(this.candidatePrefix + this.options.self.name).value(record).lease(id).exec());
      this.published = record;
    }
    const current = await this.withTimeout(this.client.get(this.leaderKey).exec());
    const kv = current.kvs[0];
    if (kv) return this.see(parseLeader(kv.value.toString(), Number(kv.create_revision)));
    this.see(undefined);
    if (!(await this.mayWin(position))) return;
    const value = JSON.stringify(this.options.self);
    const response = await this.withTimeout(
      this.client.if(this.leaderKey, 'Create', '==', 0).then(this.client.put(this.leaderKey).value(value).lease(id)).commit(),
    );
    // the lease may have lapsed while the transaction was on its way (a phantom win): not a lead
    if (!response.succeeded || this.lease?.id !== id || this.clock.now() >= this.lease.deadline - this.marginMs) return;
    this.term = Number(response.header.revision);
    this.armFence();
    this.seen = this.leader();
    this.log.info({ term: this.term, name: this.options.self.name }, 'election.elected');
    this.emit('leader', this.seen);
    this.emit('elected', this.term);
  }

  /** No live candidate holds more of the log than this node. */
  private async mayWin(own: LogPosition): Promise<boolean> {
    const others = await this.withTimeout(this.client.getAll().prefix(this.candidatePrefix).strings());
    for (const [key, text] of Object.entries(others)) {
      const other = parseCandidate(text);
      if (!other || key === this.candidatePrefix + this.options.self.name) continue;
      if (comparePositions(other, own) > 0) {
        this.log.debug({ other: other.name, theirs: other, ours: own }, 'election.yields-to-longer-log');
        return false;
      }
    }
    return true;
  }

  /** Steps down when the own deadline passes without a renewal, whatever etcd says meanwhile. */
  private armFence(): void {
    clearTimeout(this.fenceTimer);
    const held = this.lease!;
    this.fenceTimer = setTimeout(() => {
      if (this.lease === held && this.term !== undefined && !this.holds()) this.loseLead('lease-deadline');
    }, Math.max(0, held.deadline - this.marginMs - this.clock.now()));
  }

  private loseLead(reason: string): void {
    const term = this.term;
    this.term = undefined;
    clearTimeout(this.fenceTimer);
    this.dropLease(reason);
    this.log.warn({ term, reason }, 'election.lost');
    this.emit('lost', reason);
    this.see(undefined);
  }

  private dropLease(reason: string): void {
    if (!this.lease) return;
    const { lease } = this.lease;
    this.lease = undefined;
    // the key may still be ours at etcd (the deadline is conservative): revoking frees it sooner
    void this.withTimeout(lease.revoke()).catch(() => {});
    if (this.term !== undefined) this.loseLead(reason);
  }

  private see(leader: LeaderInfo | undefined): void {
    const before = JSON.stringify(this.seen);
    this.seen = leader;
    if (JSON.stringify(leader) !== before) this.emit('leader', leader);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`etcd did not answer within ${this.requestTimeoutMs}ms`)), this.requestTimeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }
}
