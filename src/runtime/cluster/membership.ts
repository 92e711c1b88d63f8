/**
 * Membership: the node's view of the cluster, kept over the Remoting interface (envelopes to
 * `/cluster`). Full mesh, for small clusters (one control and a few dozen cells): every node
 * heartbeats every other node every `heartbeatMs` and judges each with its own φ-accrual
 * detector (failure-detector.ts); joins, leaves and new incarnations spread by gossip. A heartbeat
 * carries a digest of the sender's table; a receiver whose digest differs answers with its
 * gossip, so tables converge within a heartbeat even when an announcement was lost.
 *
 * Joining: a node sends `cluster/join` to each `--join` address until that seed is a live member,
 * with backoff (250 ms doubling to 5 s, ±20 % jitter); it keeps doing so after a long partition,
 * so a node cut off from everyone finds its way back. Any seed works, even one still joining: a
 * node that admits a joiner has formed a cluster with it. A node without seeds is up at once.
 *
 * Every membership envelope but the leave is sent in the remoting's priority lane (docs/050-remoting.md), so a
 * peer's bulk queue at its bound neither refuses a heartbeat nor holds it behind queued batches.
 * Heartbeats are handled where they arrive (the Remoting callback), not through an actor's
 * mailbox, so a busy mailbox cannot delay them into a false suspicion. The check tick runs its
 * verdicts in the turn after the timer (setImmediate), so socket data that arrived meanwhile is
 * read first; and after a tick that itself ran late by more than half a heartbeat (this node's
 * own event loop stalled) no verdicts are made for a heartbeat, as Cassandra's detector ignores
 * local pauses: what the members sent during the pause may still be queued behind a backlog.
 */
import { backoffMs, type BackoffOptions } from '../../base/backoff.js';
import type { Clock, Timer } from '../../base/clock.js';
import { systemClock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import { silentLogger } from '../../base/logger.js';
import type { Envelope, NodeIdentity, SendOptions } from '../remoting/types.js';
import { phi as phiOfWindow, type DetectorSettings } from './failure-detector.js';
import { membershipTimings, type MembershipOptions, type MembershipStats } from './membership-options.js';
import { MemberTable, type MemberEvent } from './member-table.js';
import { isAlive, memberModel, type Member, type MemberInfo, type MemberModel, type MemberStatus } from './member.js';
import { CLUSTER_PATH, ClusterMessage, decodeClusterMessage, encodeClusterMessage, type GossipEntry } from './protocol.js';

export type { MemberEvent } from './member-table.js';
export type { MembershipOptions, MembershipStats } from './membership-options.js';

/** Membership's envelopes but the leave travel in the remoting's priority lane: never refused or delayed by bulk traffic. */
const PRIORITY: SendOptions = { priority: true };

export class Membership {
  readonly settings: DetectorSettings;
  private readonly table: MemberTable;
  private readonly self: NodeIdentity;
  private readonly seeds: string[];
  private readonly heartbeatMs: number;
  private readonly checkMs: number;
  private readonly removeAfterMs: number;
  private readonly backoff: BackoffOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly handlers = new Set<(event: MemberEvent) => void>();
  private readonly timers = new Set<Timer>();
  private readonly counters: MembershipStats = { suspicions: 0, downs: 0, localPauses: 0, malformed: 0, joinAttempts: 0 };
  private unsubscribe: (() => void) | undefined;
  private lastCheckAt = 0;
  /** no verdicts before this (a member TTL after this node starts; a heartbeat after a local pause) */
  private quietUntil = 0;
  /** holds on verdicts not yet released (holdVerdicts), and when they lapse anyway */
  private holds = 0;
  private holdsLapseAt = 0;
  /** join rounds since the last time every seed was a live member */
  private joinAttempt = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(private readonly options: MembershipOptions) {
    this.self = options.remoting.self;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger();
    this.random = options.random ?? Math.random;
    ({ heartbeatMs: this.heartbeatMs, checkMs: this.checkMs, settings: this.settings, removeAfterMs: this.removeAfterMs, backoff: this.backoff, seeds: this.seeds } = membershipTimings(options, this.self));
    const info: MemberInfo = { name: this.self.name, incarnation: this.self.incarnation, address: this.self.address, roles: [...options.roles] };
    this.table = new MemberTable(info, this.seeds.length === 0 ? 'up' : 'joining', this.clock.now(), this.settings);
  }

  /** Subscribes to envelopes, starts heartbeats and checks, and starts joining through the seeds. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.unsubscribe = this.options.remoting.onEnvelope((envelope, from) => this.receive(envelope, from));
    this.lastCheckAt = this.clock.now();
    // a node that just started has heard too few heartbeats to judge anyone, and its own start
    // (replays, every peer reconnecting and reporting at once) delays the reading of those that
    // come: no verdicts for a member TTL (docs/052: not enough for a 5 s start at 50k instances).
    this.quietUntil = this.lastCheckAt + this.settings.maxSilenceMs + this.heartbeatMs;
    this.every(this.heartbeatMs, () => this.heartbeat());
    this.every(this.checkMs, () => setImmediate(() => this.check()));
    this.log.info({ name: this.self.name, incarnation: this.self.incarnation, seeds: this.seeds, status: this.table.self.status }, 'cluster.started');
    this.join();
  }

  /**
   * Judges no member until the returned release is called (or `maxMs` has passed), then none
   * for a member TTL more, as after this node's start. For a node whose own start takes longer
   * than that window: while it replays its state and every peer reports to it at once, the
   * heartbeats that come are read late (docs/052: at 50k instances a control node's 5 s start
   * cost three live cell nodes a verdict, and 1114 healthy instances were started again).
   * A member that dies meanwhile is judged a TTL after the release.
   */
  holdVerdicts(maxMs: number): () => void {
    this.holds++;
    this.holdsLapseAt = Math.max(this.holdsLapseAt, this.clock.now() + maxMs);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.quietUntil = Math.max(this.quietUntil, this.clock.now() + this.settings.maxSilenceMs + this.heartbeatMs);
    };
  }

  /** Changes this node's roles; every member learns them from the next heartbeat, sent now. */
  setRoles(roles: readonly string[]): void {
    this.table.setSelfRoles(roles);
    if (this.state === 'running') this.heartbeat();
  }

  /** This node's status: `joining` until it is part of a cluster, then `up`. */
  get status(): MemberStatus {
    return this.table.self.status;
  }

  /** Every member this node knows, itself first (with `status` as above). */
  members(): Member[] {
    return this.table.all();
  }

  /** The member of that name, or undefined. */
  member(name: string): Member | undefined {
    return this.table.get(name);
  }

  /** `GET /v1/members`: every member as API.md shows it. */
  models(): MemberModel[] {
    return this.table.all().map((m) => memberModel(m, m.name === this.self.name));
  }

  /** φ of a member's silence now; undefined for the node itself and members not up or suspect. */
  phi(name: string): number | undefined {
    const window = this.table.window(name);
    return window ? phiOfWindow(window, this.clock.now(), this.settings) : undefined;
  }

  /**
   * Calls `handler` with every member event (up, down, left, suspect, reachable) as it happens;
   * each status change of a record is reported once. Returns the unsubscribe.
   */
  onEvent(handler: (event: MemberEvent) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  stats(): MembershipStats {
    return { ...this.counters };
  }

  /**
   * Leaves gracefully (a `cluster/leave` to every live member, so they report it `left` at once
   * instead of down after the detector's bound), then stops timers and the subscription. Call it
   * before closing the Remoting, which flushes what is queued.
   */
  stop(): void {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    if (wasRunning) {
      const leave = encodeClusterMessage(ClusterMessage.leave(this.self.name, this.self.incarnation));
      // in the bulk queue, not the priority lane: the leave must follow what this node sent before it
      for (const m of this.table.others()) if (isAlive(m.status)) this.options.remoting.sendTo(m.address, leave);
    }
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.log.info({ name: this.self.name }, 'cluster.stopped');
  }

  private receive(envelope: Envelope, from: NodeIdentity): void {
    if (envelope.to !== CLUSTER_PATH || this.state !== 'running') return;
    const decoded = decodeClusterMessage(envelope);
    if (!decoded.ok) return this.malformed(from, envelope.type, decoded.reason);
    const message = decoded.message;
    const now = this.clock.now();
    switch (message.type) {
      case 'cluster/join': {
        if (!sameNode(message.member, from)) return this.malformed(from, message.type, 'member is not the sender');
        this.emit(this.table.heard(message.member, now));
        this.becomeUp(now);
        this.send(message.member.address, ClusterMessage.welcome(this.table.gossip()));
        const announcement = ClusterMessage.gossip([message.member]);
        for (const m of this.table.others()) if (isAlive(m.status) && m.name !== message.member.name) this.send(m.address, announcement);
        return;
      }
      case 'cluster/welcome': {
        const sender = message.members.find((m) => sameNode(m, from));
        if (!sender) return this.malformed(from, message.type, 'the sender is not in its member list');
        this.emit(this.table.heard(sender, now));
        this.merge(message.members, now);
        this.becomeUp(now);
        return;
      }
      case 'cluster/heartbeat': {
        if (!sameNode(message.member, from)) return this.malformed(from, message.type, 'member is not the sender');
        this.emit(this.table.heard(message.member, now));
        if (message.view !== this.table.digest()) this.send(message.member.address, ClusterMessage.gossip(this.table.gossip()));
        return;
      }
      case 'cluster/gossip':
        return this.merge(message.members, now);
      case 'cluster/leave':
        if (message.name !== from.name || message.incarnation !== from.incarnation) return this.malformed(from, message.type, 'a node may only leave for itself');
        return this.emit(this.table.leave(message.name, message.incarnation, now));
    }
  }

  private merge(entries: GossipEntry[], now: number): void {
    for (const entry of entries) this.emit(this.table.learn(entry, now).events);
  }

  private becomeUp(now: number): void {
    if (this.table.selfUp(now)) this.log.info({ name: this.self.name }, 'cluster.joined');
  }

  /** Heartbeats every member this node has not seen leave, the down ones too (a healed link re-admits them). */
  private heartbeat(): void {
    const beat = encodeClusterMessage(ClusterMessage.heartbeat(infoOfSelf(this.table.self), this.table.digest()));
    for (const m of this.table.others()) if (m.status !== 'left') this.options.remoting.sendTo(m.address, beat, PRIORITY);
  }

  private check(): void {
    if (this.state !== 'running') return;
    const now = this.clock.now();
    const late = now - this.lastCheckAt - this.checkMs;
    this.lastCheckAt = now;
    if (late > this.heartbeatMs / 2) {
      this.counters.localPauses++;
      this.log.warn({ lateMs: late }, 'cluster.local-pause');
      // the next tick comes at once (its timer is overdue too), before what the members sent
      // during the pause has been read: no verdicts for a heartbeat, as Cassandra waits
      this.quietUntil = Math.max(this.quietUntil, now + this.heartbeatMs);
      return;
    }
    if (now < this.quietUntil || (this.holds > 0 && now < this.holdsLapseAt)) return;
    this.emit(this.table.judge(now));
    for (const name of this.table.removeExpired(now, this.removeAfterMs)) this.log.info({ member: name }, 'cluster.member-removed');
  }

  /** Sends a join to every seed that is not yet a live member, then waits with backoff. */
  private join(): void {
    if (this.state !== 'running') return;
    const live = new Set(this.table.others().filter((m) => isAlive(m.status)).map((m) => m.address));
    const targets = this.seeds.filter((s) => !live.has(s));
    if (targets.length === 0) {
      this.joinAttempt = 0;
      this.after(this.heartbeatMs, () => this.join());
      return;
    }
    this.counters.joinAttempts++;
    const join = ClusterMessage.join(infoOfSelf(this.table.self));
    for (const seed of targets) this.send(seed, join);
    const delay = Math.round(backoffMs(this.joinAttempt++, this.backoff, this.random));
    this.log.debug({ seeds: targets, nextInMs: delay }, 'cluster.joining');
    this.after(delay, () => this.join());
  }

  private emit(events: MemberEvent[]): void {
    for (const event of events) {
      const { member } = event;
      const fields = { member: member.name, incarnation: member.incarnation, address: member.address };
      if (event.type === 'member-suspect') this.counters.suspicions++;
      if (event.type === 'member-down') this.counters.downs++;
      this.log.info(event.type === 'member-down' ? { ...fields, reason: event.reason } : event.type === 'member-suspect' ? { ...fields, phi: event.phi } : fields, `cluster.${event.type}`);
      for (const handler of this.handlers) {
        try {
          handler(event);
        } catch (error) {
          this.log.error({ ...fields, event: event.type, error: (error as Error)?.message }, 'cluster.handler-failed');
        }
      }
    }
  }

  private send(address: string, message: ClusterMessage): void {
    if (!this.options.remoting.sendTo(address, encodeClusterMessage(message), PRIORITY)) this.log.debug({ to: address, type: message.type }, 'cluster.send-dropped');
  }

  private malformed(from: NodeIdentity, type: string, reason: string): void {
    this.counters.malformed++;
    this.log.warn({ from: from.name, address: from.address, type: String(type).slice(0, 80), reason }, 'cluster.malformed-envelope');
  }

  /** Runs `fn` every `ms` until stopped (a chain of one-shot timers, so a stall never queues a burst). */
  private every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  private after(ms: number, fn: () => void): void {
    if (this.state !== 'running') return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      if (this.state === 'running') fn();
    }, ms);
    this.timers.add(timer);
  }
}

function sameNode(member: MemberInfo, from: NodeIdentity): boolean {
  return member.name === from.name && member.incarnation === from.incarnation;
}

function infoOfSelf(self: Member): MemberInfo {
  return { name: self.name, incarnation: self.incarnation, address: self.address, roles: [...self.roles] };
}
