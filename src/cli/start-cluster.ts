/**
 * The cluster part of `auctor start`: remoting on `--listen` (gRPC, the cluster secret proved
 * on every connection), then membership and remote refs (ClusterNode), joining through `--join`.
 */
import type { Logger } from '../base/logger.js';
import { remoteRef } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import { CellsMsg } from '../actors/cells.protocol.js';
import { controlNode } from '../actors/control-link.js';
import { ClusterNode } from '../runtime/cluster/cluster-node.js';
import type { CellPresence } from '../models/cell-state.js';
import { startRemoting } from '../runtime/remoting/grpc-remoting.js';
import type { Remoting } from '../runtime/remoting/types.js';
import type { StartFlags } from './start-command.js';
import { STANDBY_ROLE } from './start-control-group.js';

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
    // a control group's standby takes the `control` role only once it wins (start-control-group.ts)
    roles: flags.etcd.length > 0 ? [STANDBY_ROLE] : flags.roles,
    seeds: flags.join.map((j) => `${j.host}:${j.port}`),
    heartbeatMs: flags.heartbeatMs,
    memberTtlMs: flags.cellTtlMs,
    log,
  }).start();
  const liveCells = async (): Promise<CellPresence[]> => {
    const control = controlNode(cluster);
    if (!control) return [];
    return system.query<CellsMsg, CellPresence[]>(remoteRef(control, '/control/cells'), CellsMsg.list, 5_000);
  };
  return { remoting, cluster, liveCells };
}
