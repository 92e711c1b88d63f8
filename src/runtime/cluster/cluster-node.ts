/**
 * A node's part in the cluster, assembled in dependency order: membership over the node's
 * Remoting (heartbeats, joins, the failure detector), remote refs in the actor kernel (so
 * `dispatch`/`query` reach actors on other nodes, addressed through membership), the `/cluster`
 * actor, and death-watch fed by membership: a member that goes down or leaves fails the queries
 * waiting on it at once and tells its watchers.
 *
 * It also answers the two questions the scheduler asks of the cluster: where the control node
 * is (a cell reports there) and how to reach a cell (the control side's CellClient).
 */
import { DisposableStore } from '../../base/disposables.js';
import type { Logger } from '../../base/logger.js';
import { remoteRef, type AnyRef, type Ref } from '../kernel/protocol.js';
import type { ActorSystem } from '../kernel/system.js';
import { localCellClient } from '../../actors/cell-client.js';
import type { CellClient, CellMsg, CellReport } from '../../actors/cell.protocol.js';
import { attachRemoting, type RemoteNode } from '../remoting/remote-node.js';
import type { Remoting } from '../remoting/types.js';
import { spawnClusterActor } from './cluster-actor.js';
import { isAlive } from './member.js';
import { Membership } from './membership.js';
import { membershipDirectory, splitRemoting } from './cluster-routing.js';

export interface ClusterNodeOptions {
  system: ActorSystem;
  remoting: Remoting;
  roles: string[];
  /** `--join` */
  seeds: string[];
  heartbeatMs: number;
  cellTtlMs: number;
  log: Logger;
}

/** The actor path of a cell's actor on its node (`spawnCell` names it after the cell). */
export const cellActorPath = (cellId: string): string => `/cell-${cellId}`;

/** Reports about instances and tasks a cell keeps while no control node is reachable (about 2 MB at most). */
export const REPORTS_HELD = 10_000;

export class ClusterNode {
  readonly membership: Membership;
  readonly remote: RemoteNode;
  private readonly parts = new DisposableStore();

  constructor(private readonly options: ClusterNodeOptions) {
    const { system, remoting } = options;
    // membership reads its own envelopes to `/cluster`; remote refs carry the rest (cluster-routing.ts)
    const split = splitRemoting(remoting);
    this.membership = new Membership({
      remoting: split.membership, roles: options.roles, seeds: options.seeds, heartbeatMs: options.heartbeatMs, cellTtlMs: options.cellTtlMs, log: options.log,
      // a cell that lost its control node tries the seeds at least every heartbeat, so it finds
      // a restarted control node well within a TTL once its stream reconnects (the control side
      // judges no cell before a TTL plus the longest reconnect: control/deps.ts firstPassGraceMs)
      joinBackoff: { initialMs: Math.min(250, options.heartbeatMs), maxMs: Math.min(5_000, options.heartbeatMs) },
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

  /** The control node's name: this node when it has the role, else a reachable member with it. */
  controlNode(): string | undefined {
    const self = this.options.remoting.self.name;
    if (this.options.roles.includes('control')) return self;
    return this.membership.members().find((m) => m.name !== self && m.roles.includes('control') && m.status === 'up')?.name;
  }

  /** The client of a cell on another node, while that node is a reachable member with the cell role. */
  cellClient(cellId: string): CellClient | undefined {
    const member = this.membership.member(cellId);
    if (!member || !isAlive(member.status) || !member.roles.includes('cell')) return undefined;
    return localCellClient(this.options.system, remoteRef<CellMsg>(cellId, cellActorPath(cellId)), cellId);
  }

  /**
   * A local actor that forwards each cell report to the control node of the moment: a cell
   * keeps one ref however often the control node restarts. While no control node is reachable
   * (it restarts, or this node's membership has not seen it up again yet) the reports about
   * instances and tasks wait, in order, up to `REPORTS_HELD` (older ones are dead letters past
   * that), and go first once one is: a claim or a RUNNING report lost there left its row
   * UNCLAIMED until convergence took it for stale. Heartbeats and container lists of the gap are
   * dropped, as fresh ones follow. `onControlReached` runs after the first report a control node
   * gets from this forwarder, and again after every gap or change of control node, so the cell
   * lists its containers at once (the list it sends at start goes out before it has joined).
   */
  spawnReportForwarder(parent: AnyRef = this.options.system.root, onControlReached?: (control: string) => void): Ref<CellReport> {
    const { system } = this.options;
    let reached: string | undefined;
    const held: CellReport[] = [];
    return system.spawnStateless<CellReport>(parent, {
      kind: 'control-link',
      name: 'control-link',
      handle: (report) => {
        const control = this.controlNode();
        if (!control) {
          reached = undefined;
          if (report.type === 'cell-report/heartbeat' || report.type === 'cell-report/containers') system.registry.deadLetter();
          else if (held.push(report) > REPORTS_HELD) {
            held.shift();
            system.registry.deadLetter();
          }
          return;
        }
        const to = remoteRef<CellReport>(control, '/control');
        for (const waiting of held.splice(0)) system.dispatch(to, waiting);
        system.dispatch(to, report);
        if (control !== reached) {
          reached = control;
          onControlReached?.(control);
        }
      },
    });
  }

  /** Resolves once this node is part of a cluster (at once without seeds); logs while it waits. */
  async joined(): Promise<void> {
    const started = Date.now();
    let logged = started;
    while (this.membership.status !== 'up' && !this.parts.isDisposed) {
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
