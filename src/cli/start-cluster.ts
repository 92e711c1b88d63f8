/**
 * The cluster part of `auctor start`: remoting on `--listen` (gRPC, the cluster secret proved
 * on every connection), then membership and remote refs (ClusterNode), joining through `--join`.
 */
import type { Logger } from '../base/logger.js';
import { remoteRef } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import { localCellClient } from '../actors/cell-client.js';
import type { CellClient, CellMsg } from '../actors/cell.protocol.js';
import { CellsMsg } from '../actors/cells.protocol.js';
import type { EventHub } from '../actors/event-hub.js';
import { cellActorPath, ClusterNode } from '../runtime/cluster/cluster-node.js';
import { isAlive } from '../runtime/cluster/member.js';
import type { Membership } from '../runtime/cluster/membership.js';
import type { CellPresence } from '../models/cell-state.js';
import { startRemoting } from '../runtime/remoting/grpc-remoting.js';
import type { Remoting } from '../runtime/remoting/types.js';
import type { StartFlags } from './start-command.js';

export interface ClusterPart {
  remoting: Remoting;
  cluster: ClusterNode;
  /** the live cells as the control node of the moment sees them (a cell's drain asks it) */
  liveCells(): Promise<CellPresence[]>;
}

/** Listens for peers and starts membership; throws when `--listen` cannot be bound. */
export async function startClusterPart(flags: StartFlags, system: ActorSystem, log: Logger): Promise<ClusterPart> {
  const remoting = await startRemoting({
    // a restarted process is a new member: its incarnation is its start time
    self: { name: flags.name, incarnation: Date.now() },
    listen: flags.listen,
    ...(flags.clusterSecret === undefined ? {} : { secret: flags.clusterSecret }),
    log,
  });
  const cluster = new ClusterNode({
    system,
    remoting,
    roles: flags.roles,
    seeds: flags.join.map((j) => `${j.host}:${j.port}`),
    heartbeatMs: flags.heartbeatMs,
    cellTtlMs: flags.cellTtlMs,
    log,
  }).start();
  const liveCells = async (): Promise<CellPresence[]> => {
    const control = cluster.controlNode();
    if (!control) return [];
    return system.query<CellsMsg, CellPresence[]>(remoteRef(control, '/control/cells'), CellsMsg.list, 5_000);
  };
  return { remoting, cluster, liveCells };
}

/** What {@link cellRouting} asks of the cluster. */
export type CellHosts = Pick<ClusterNode, 'cellClient'> & { membership: Pick<Membership, 'members'> };

/**
 * How the control role reaches a cell: on the member named after the cell (`auctor start` runs
 * one cell per node, named after it), else on the live cell member listening at the cell's
 * `rep_address`, for a node that hosts many cells (bench/support/cell-simulator.ts: 1000 cells
 * in one process, which a full-mesh membership of 1000 members could not carry). The addresses
 * come from the presences of the cells as they appear: subscribe before the control starts, so
 * the control's own `cell_appeared` subscribers already find the cell.
 */
export function cellRouting(cluster: CellHosts, system: ActorSystem, events: EventHub): (cellId: string) => CellClient | undefined {
  const repAddress = new Map<string, string>();
  events.events$.subscribe((e) => {
    if (e.type === 'cell_appeared') repAddress.set(e.data.cell.cell_id, e.data.cell.rep_address);
    else if (e.type === 'cell_disappeared') repAddress.delete(e.data.cell_id);
  });
  return (cellId) => {
    const own = cluster.cellClient(cellId);
    if (own) return own;
    const address = repAddress.get(cellId);
    const host = address && cluster.membership.members().find((m) => m.address === address && isAlive(m.status) && m.roles.includes('cell'));
    return host ? localCellClient(system, remoteRef<CellMsg>(host.name, cellActorPath(cellId)), cellId) : undefined;
  };
}
