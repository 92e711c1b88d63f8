/**
 * A node's membership and remote refs over its Remoting, from the runtime's parts: Membership
 * reads its own envelopes to `/cluster` (joins, heartbeats, gossip), the kernel's remote refs read
 * the rest and find nodes through Membership, membership's verdicts feed death-watch, and the
 * `/cluster` actor answers other nodes' questions (members, this node's tree).
 *
 * This is what src/runtime/cluster/cluster-node.ts's ClusterNode assembles, minus its scheduler
 * methods (a cell's control node, cell clients, the report forwarder): that file imports the
 * scheduler's cell protocol, so a program of the runtime alone cannot import it yet.
 */
import type { Logger } from '../../src/base/logger.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';
import { attachRemoting, type RemoteNode } from '../../src/runtime/remoting/remote-node.js';
import type { Remoting } from '../../src/runtime/remoting/types.js';
import { spawnClusterActor } from '../../src/runtime/cluster/cluster-actor.js';
import { membershipDirectory, splitRemoting } from '../../src/runtime/cluster/cluster-routing.js';
import { Membership } from '../../src/runtime/cluster/membership.js';

export interface ClusterMember {
  membership: Membership;
  remote: RemoteNode;
  /** Resolves once this node is part of a cluster (at once without seeds); rejects after `timeoutMs`. */
  joined(timeoutMs: number): Promise<void>;
  /** Leaves (members see `left`) and detaches remote refs; close the Remoting after. */
  stop(): void;
}

export function joinCluster(system: ActorSystem, remoting: Remoting, options: { seeds: string[]; log: Logger }): ClusterMember {
  const split = splitRemoting(remoting);
  const membership = new Membership({ remoting: split.membership, roles: [], seeds: options.seeds, log: options.log });
  const remote = attachRemoting(system, split.actors, membershipDirectory(membership));
  const unsubscribe = membership.onEvent((event) => {
    if (event.type === 'member-down' || event.type === 'member-left') remote.nodeDown(event.member.name, event.member.incarnation, event.type === 'member-left' ? 'node left' : 'node down');
    if (event.type === 'member-up') remote.nodeUp(event.member.name, event.member.incarnation);
  });
  membership.start();
  spawnClusterActor(system, membership);
  return {
    membership,
    remote,
    joined: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (membership.status !== 'up') {
        if (Date.now() > deadline) throw new Error(`not joined through ${options.seeds.join(', ')} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => {
      unsubscribe();
      membership.stop();
      remote.detach();
    },
  };
}
