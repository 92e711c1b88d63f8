/**
 * A node's part in the cluster, assembled in dependency order: membership over the node's
 * Remoting (heartbeats, joins, the failure detector), remote refs in the actor kernel (so
 * `dispatch`/`query` reach actors on other nodes, addressed through membership), the `/cluster`
 * actor, and death-watch fed by membership: a member that goes down or leaves fails the queries
 * waiting on it at once and tells its watchers.
 *
 * What a node does with the cluster is its owner's business: the scheduler finds its control
 * node with {@link ClusterNode.nodeWithRole} and reaches cells through {@link ClusterNode.membership}
 * (src/actors/control-link.ts, src/actors/cell-client.ts).
 */
import { DisposableStore } from '../../base/disposables.js';
import type { Logger } from '../../base/logger.js';
import type { AnyRef } from '../kernel/protocol.js';
import type { ActorSystem } from '../kernel/system.js';
import { attachRemoting, type RemoteNode } from '../remoting/remote-node.js';
import type { Remoting } from '../remoting/types.js';
import { spawnClusterActor } from './cluster-actor.js';
import { Membership } from './membership.js';
import { membershipDirectory, splitRemoting } from './cluster-routing.js';

export interface ClusterNodeOptions {
  system: ActorSystem;
  remoting: Remoting;
  roles: string[];
  /** `--join` */
  seeds: string[];
  /** default 1000 (Membership's) */
  heartbeatMs?: number;
  /** a member silent this long is down; default 5000 (Membership's) */
  memberTtlMs?: number;
  log: Logger;
}

export class ClusterNode {
  readonly membership: Membership;
  readonly remote: RemoteNode;
  /** this node's endpoint for envelopes to `/replication` (journal shipping: remoting/replication-link.ts) */
  readonly replicationRemoting: Remoting;
  private readonly parts = new DisposableStore();
  private roles: string[];

  constructor(private readonly options: ClusterNodeOptions) {
    const { system, remoting } = options;
    this.roles = [...options.roles];
    // membership reads its own envelopes to `/cluster`; remote refs carry the rest (cluster-routing.ts)
    const split = splitRemoting(remoting);
    this.replicationRemoting = split.replication;
    this.membership = new Membership({
      remoting: split.membership, roles: options.roles, seeds: options.seeds, heartbeatMs: options.heartbeatMs, memberTtlMs: options.memberTtlMs, log: options.log,
      // a cell that lost its control node tries the seeds at least every heartbeat, so it finds
      // a restarted control node well within a TTL once its stream reconnects (the control side
      // judges no cell before a TTL plus the longest reconnect: src/actors/control-deps.ts firstPassGraceMs)
      joinBackoff: { initialMs: Math.min(250, options.heartbeatMs ?? 1000), maxMs: Math.min(5_000, options.heartbeatMs ?? 1000) },
    });
    this.remote = attachRemoting(system, split.actors, membershipDirectory(this.membership));
    // stopped in reverse: events unsubscribed, then leave (members see `left`), then remote refs detached
    this.parts.add(() => this.remote.detach());
    this.parts.add(() => this.membership.stop());
    this.parts.add(
      this.membership.onEvent((event) => {
        if (event.type === 'member-down') this.remote.nodeDown(event.member.name, event.member.incarnation, `node ${event.reason === 'replaced' ? 'restarted' : 'down'}`);
        if (event.type === 'member-up') this.remote.nodeUp(event.member.name, event.member.incarnation);
        if (event.type === 'member-left') this.remote.nodeDown(event.member.name, event.member.incarnation, 'node left');
      }),
    );
  }

  /** Starts membership (joining through the seeds) and spawns `/cluster`. */
  start(parent: AnyRef = this.options.system.root): this {
    this.membership.start();
    spawnClusterActor(this.options.system, this.membership, { parent });
    return this;
  }

  /** Changes this node's roles (a control group's standby that wins takes `control`): Membership.setRoles. */
  setRoles(roles: readonly string[]): void {
    this.roles = [...roles];
    this.membership.setRoles(roles);
  }

  /** A node with `role`: this node when it has it, else the first member that is up with it. */
  nodeWithRole(role: string): string | undefined {
    const self = this.options.remoting.self.name;
    if (this.roles.includes(role)) return self;
    return this.membership.members().find((m) => m.name !== self && m.roles.includes(role) && m.status === 'up')?.name;
  }

  /**
   * Resolves once this node is part of a cluster (at once without seeds); logs while it waits.
   * With `timeoutMs`, rejects naming the seeds once that has passed.
   */
  async joined(timeoutMs?: number): Promise<void> {
    const started = Date.now();
    let logged = started;
    while (this.membership.status !== 'up' && !this.parts.isDisposed) {
      if (timeoutMs !== undefined && Date.now() - started > timeoutMs) throw new Error(`not joined through ${this.options.seeds.join(', ')} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (Date.now() - logged >= 5_000) {
        logged = Date.now();
        this.options.log.warn({ seeds: this.options.seeds, waited_ms: logged - started }, 'cluster.still-joining');
      }
    }
  }

  /** Leaves the cluster (members see `left`, not `down`) and detaches remote refs. */
  stop(): Promise<void> {
    return this.parts.dispose();
  }
}
