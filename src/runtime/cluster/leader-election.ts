/**
 * Who leads a control group: one leased key in etcd, raced with a guarded transaction
 * (docs/054-control-group.md). The winner's key create revision is its term, monotonic across
 * elections. etcd3 is used for leases, reads and transactions only; its `Election`, its automatic
 * keepalives and its circuit breaker are not (issue 16: phantom `elected`, `lost` only after 2×TTL,
 * a lease declared lost after etcd is back). Whether this node holds the lead is decided by its OWN
 * lease deadline: the send time of the last keepalive etcd confirmed plus the TTL, less a margin.
 * etcd expires the lease no sooner than that, so the node stops acknowledging before any other can
 * win, whatever arrives from etcd, and even when its process was stopped meanwhile (SIGSTOP).
 *
 * A leader whose deadline passes turns read-only (`read-only`) rather than giving up: it keeps its
 * lease and tries etcd again. If the lease is still alive there (etcd restarts renew every lease),
 * its key is its own and it leads on in the same term (`resumed`); if the lease is gone it
 * campaigns like a standby and, its log being the longest, may win a new term (`elected`); if
 * another node leads it has lost (`lost`). Standbys watch the leader key, so they race for it the
 * moment it goes; a slow poll stays as the fallback for a watch that went quiet.
 */
import { EventEmitter } from 'node:events';
import { EtcdLeaseInvalidError, type Etcd3, type Lease, type Watcher } from 'etcd3';
import type { Clock } from '../../base/clock.js';
import { systemClock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { silentLogger } from '../../base/logger.js';
import { plainEtcdClient, watchKey, withTimeout } from './etcd-client.js';
import { electionTimings, type ElectionEvents, type ElectionTimings, type LeaderElectionOptions } from './leader-election-options.js';
import { GroupRecords } from './group-records.js';
import { parseLeader, type LeaderInfo } from './leader-records.js';

export type { LeaderInfo, LogPosition } from './leader-records.js';
export type { ElectionEvents, ElectionSelf, LeaderElectionOptions } from './leader-election-options.js';

/** Runs one node's side of the election until `stop()`. */
export class LeaderElection extends EventEmitter<ElectionEvents> {
  private readonly client: Etcd3;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaderKey: string;
  private readonly records: GroupRecords;
  private readonly timings: ElectionTimings;
  private lease: { lease: Lease; id: string; deadline: number; renewedAt: number } | undefined;
  private term: number | undefined;
  /** read-only: the term this node led and its lease, kept (not revoked) in case etcd still holds them */
  private suspended: { term: number; lease: Lease; id: string } | undefined;
  /** read-only and the lease gone: the term it led, until it wins again or sees another leader */
  private former: number | undefined;
  private watcher: Watcher | undefined;
  private ticking = false;
  private wakeAgain = false;
  private seen: LeaderInfo | undefined;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fenceTimer: ReturnType<typeof setTimeout> | undefined;
  /** a candidate waits for witnesses of the synchronous set to publish: it looks again soon */
  private waitsForWitnesses = false;

  constructor(private readonly options: LeaderElectionOptions) {
    super();
    if (options.endpoints.length === 0) throw new RangeError('no etcd endpoints');
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
    this.timings = electionTimings(options);
    // no retries and no circuit breaker: a failed request fails now, the next tick tries again
    this.client = plainEtcdClient(options.endpoints, this.timings.requestTimeoutMs);
    const within = <T>(promise: Promise<T>) => this.withTimeout(promise);
    this.records = new GroupRecords(this.client, options.prefix ?? '/auctor/control', options.self, options.syncQuorum, within, this.log);
    this.leaderKey = this.records.leaderKey;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.watchLeaderKey();
    this.schedule(0);
    return this;
  }

  /** The term this node led while it is read-only (its deadline passed, etcd not reached since). */
  readOnlyTerm(): number | undefined {
    return this.suspended?.term ?? this.former;
  }

  /** True while this node leads and its own lease deadline (less the margin) has not passed. */
  holds(): boolean {
    return this.term !== undefined && this.lease !== undefined && this.clock.now() < this.lease.deadline - this.timings.marginMs;
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

  /**
   * The active names the standbys whose acknowledgements it counts (sync-set.ts): written to
   * etcd only while this node holds the lead and its key; false otherwise (or etcd failed).
   */
  async publishSyncSet(members: string[]): Promise<boolean> {
    const term = this.currentTerm();
    const held = this.lease;
    if (term === undefined || !held) return false;
    return this.records.publishSyncSet(term, held.id, members);
  }

  /** Stops campaigning; a leader deletes its key (guarded) so a standby need not wait for the TTL. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.fenceTimer);
    const held = this.lease?.lease ?? this.suspended?.lease;
    this.lease = this.suspended = undefined;
    this.term = this.former = undefined;
    try {
      // revoking the lease deletes the leader key and the candidate record with it
      if (held) await this.withTimeout(held.revoke());
    } catch (error) {
      this.log.warn({ error: (error as Error).message }, 'election.revoke-failed');
    }
    await this.withTimeout(this.watcher?.cancel() ?? Promise.resolve()).catch(() => {});
    this.client.close();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** A tick now (after the one under way, if any): the leader key changed, or the watch (re)connected. */
  private wake(): void {
    if (!this.running) return;
    if (this.ticking) this.wakeAgain = true;
    else this.schedule(0);
  }

  /**
   * Watches the group's keys: a standby races the moment the leader key is deleted, and one
   * waiting for witnesses of the synchronous set looks again as each publishes its position.
   */
  private watchLeaderKey(): void {
    if (this.watcher || !this.running) return;
    const changed = (key?: string) => {
      if (key === undefined || key === this.leaderKey || (this.waitsForWitnesses && this.records.isCandidateKey(key))) this.wake();
    };
    const watcher = watchKey(this.client, this.records.groupPrefix, this.log, changed, () => {
      if (this.watcher === watcher) this.watcher = undefined;
    }, true);
    this.watcher = watcher;
  }

  private async tick(): Promise<void> {
    let failed = false;
    this.ticking = true;
    try {
      this.watchLeaderKey();
      if (this.suspended) await this.resume();
      // each step may turn the node read-only (its deadline passed meanwhile)
      if (!this.suspended) await this.ensureLease();
      if (!this.suspended) await (this.term !== undefined ? this.confirmLead() : this.campaign());
    } catch (error) {
      failed = true;
      this.log.debug({ error: (error as Error).message }, 'election.etcd-request-failed');
    } finally {
      this.ticking = false;
    }
    if (this.wakeAgain) {
      this.wakeAgain = false;
      return this.schedule(0);
    }
    // a leader whose renewal failed tries again soon: one lost keepalive must not cost the lead
    this.schedule(failed || this.suspended || this.waitsForWitnesses ? this.timings.retryMs : this.term !== undefined ? this.timings.keepaliveMs : this.timings.pollMs);
  }

  /**
   * Read-only: renews the kept lease. Alive, with the key still on it: the same term leads on.
   * Gone (etcd expired it, and the key with it): the node campaigns with a fresh lease.
   */
  private async resume(): Promise<void> {
    const held = this.suspended!;
    const sentAt = this.clock.now();
    let granted: number;
    try {
      granted = Number((await this.withTimeout(held.lease.keepaliveOnce())).TTL) * 1000;
    } catch (error) {
      if (!(error instanceof EtcdLeaseInvalidError)) throw error;
      this.log.info({ term: held.term }, 'election.read-only-lease-gone');
      this.suspended = undefined;
      this.former = held.term;
      return;
    }
    const mine = await this.records.keyIsMine(held.term, held.id);
    if (this.suspended !== held) return;
    this.suspended = undefined;
    if (!mine) {
      this.former = held.term;
      void this.withTimeout(held.lease.revoke()).catch(() => {});
      return;
    }
    this.lease = { lease: held.lease, id: held.id, deadline: sentAt + Math.min(this.options.ttlMs, granted), renewedAt: sentAt };
    this.term = held.term;
    this.armFence();
    this.log.info({ term: this.term }, 'election.resumed');
    this.see(this.leader());
    this.emit('resumed', this.term);
  }

  /** Grants a lease when there is none (or it expired), else renews it when due; moves the own deadline. */
  private async ensureLease(): Promise<void> {
    const now = this.clock.now();
    if (this.lease && now >= this.lease.deadline) {
      if (this.term !== undefined) return this.turnReadOnly();
      this.dropLease();
    }
    if (!this.lease) {
      const lease = this.client.lease(this.timings.leaseTtlS, { autoKeepAlive: false });
      lease.on('lost', () => {}); // reported by our own deadline, not by this event
      const id = await this.withTimeout(lease.grant());
      this.lease = { lease, id, deadline: now + this.options.ttlMs, renewedAt: now };
      this.records.forgetPublished();
      return;
    }
    if (now - this.lease.renewedAt < this.timings.keepaliveMs) return;
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
    const mine = await this.records.keyIsMine(this.term!, this.lease!.id);
    if (!mine && this.term !== undefined) this.loseLead('key-not-ours');
  }

  /**
   * A standby reads the key and the synchronous set, publishes its position (with the revision it
   * saw the key absent at, when it did), and races for the key when it is absent and it may win.
   */
  private async campaign(): Promise<void> {
    const { id } = this.lease!;
    this.waitsForWitnesses = false;
    const [current, sync] = await Promise.all([this.withTimeout(this.client.get(this.leaderKey).exec()), this.records.readSync()]);
    const kv = current.kvs[0];
    const position = this.options.lastLsn?.() ?? { term: 0, lsn: 0 };
    await this.records.publishPosition(id, position, kv ? undefined : Number(current.header.revision), sync.set);
    if (kv) {
      const leader = parseLeader(kv.value.toString(), Number(kv.create_revision));
      // a read-only former leader: another node leads, so it has lost
      if (this.former !== undefined && leader?.term !== this.former) return this.loseLead('another-leads', leader);
      return this.see(leader);
    }
    this.see(undefined);
    const verdict = await this.records.eligibility(position, sync.set);
    if (!verdict.may) {
      // the witnesses publish as they see the key gone, moments apart: look again soon
      this.waitsForWitnesses = verdict.reason === 'witnesses-unseen';
      return;
    }
    const term = await this.records.race(id, sync);
    // the lease may have lapsed while the transaction was on its way (a phantom win): not a lead
    if (term === undefined || this.lease?.id !== id || this.clock.now() >= this.lease.deadline - this.timings.marginMs) return;
    this.term = term;
    this.former = undefined;
    this.armFence();
    this.seen = this.leader();
    this.log.info({ term: this.term, name: this.options.self.name }, 'election.elected');
    this.emit('leader', this.seen);
    this.emit('elected', this.term);
  }

  /** Steps down when the own deadline passes without a renewal, whatever etcd says meanwhile. */
  private armFence(): void {
    clearTimeout(this.fenceTimer);
    const held = this.lease!;
    this.fenceTimer = setTimeout(() => {
      if (this.lease === held && this.term !== undefined && !this.holds()) this.turnReadOnly();
    }, Math.max(0, held.deadline - this.timings.marginMs - this.clock.now()));
  }

  /** The own deadline passed: no longer holding, the lease kept (not revoked) in case etcd still has it. */
  private turnReadOnly(): void {
    const term = this.term!;
    const { lease, id, deadline } = this.lease!;
    const since = deadline - this.timings.marginMs;
    this.term = this.lease = undefined;
    this.suspended = { term, lease, id };
    this.records.forgetPublished();
    clearTimeout(this.fenceTimer);
    this.log.warn({ term, since }, 'election.read-only');
    this.see(undefined);
    this.emit('read-only', term, since);
    this.wake();
  }

  private loseLead(reason: string, leader?: LeaderInfo): void {
    const term = this.term ?? this.former;
    this.term = this.former = undefined;
    clearTimeout(this.fenceTimer);
    this.dropLease();
    this.log.warn({ term, reason }, 'election.lost');
    this.emit('lost', reason);
    this.see(leader);
  }

  private dropLease(): void {
    if (!this.lease) return;
    const { lease } = this.lease;
    this.lease = undefined;
    // the key may still be ours at etcd (the deadline is conservative): revoking frees it sooner
    void this.withTimeout(lease.revoke()).catch(() => {});
  }

  private see(leader: LeaderInfo | undefined): void {
    const before = JSON.stringify(this.seen);
    this.seen = leader;
    if (JSON.stringify(leader) !== before) this.emit('leader', leader);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return withTimeout(promise, this.timings.requestTimeoutMs);
  }
}
