/**
 * `/cluster` in the node's tree (DESIGN.md): the actor face of {@link Membership}, so
 * `GET /v1/actors` shows the cluster as the node sees it and operators (or the gateway's
 * `GET /v1/members`) can ask for the members. It holds no state of its own: Membership keeps the
 * table and handles the envelopes to `/cluster` where they arrive (membership.ts says why), and
 * its owner (the node's wiring) starts and stops it.
 */
import { defineProtocol } from '../actors/kernel/protocol-schema.js';
import type { AnyRef, Ref } from '../actors/kernel/protocol.js';
import type { ActorSystem } from '../actors/kernel/system.js';
import type { MemberModel } from './member.js';
import type { Membership } from './membership.js';

export type ClusterActorMsg = { type: 'cluster/members'; replyTo: Ref<MemberModel[]> };

export const ClusterActorMsg = {
  members: (replyTo: Ref<MemberModel[]>): ClusterActorMsg => ({ type: 'cluster/members', replyTo }),
};

export const CLUSTER_PROTOCOL = defineProtocol<ClusterActorMsg>('cluster', {
  'cluster/members': { description: 'every member as this node sees it (GET /v1/members)', reply: 'required' },
});

export function spawnClusterActor(system: ActorSystem, membership: Membership, parent: AnyRef = system.root): Ref<ClusterActorMsg> {
  return system.spawn<Membership, ClusterActorMsg>(parent, {
    kind: 'cluster',
    name: 'cluster',
    protocol: CLUSTER_PROTOCOL,
    initialState: () => membership,
    summary: (m) => ({
      status: m.status,
      members: m.members().map((x) => ({ name: x.name, incarnation: x.incarnation, status: x.status })),
    }),
    handle: (m, msg, ctx) => {
      if (msg?.type === 'cluster/members') {
        ctx.system.dispatch(msg.replyTo, m.models());
        return m;
      }
      // envelopes to /cluster are Membership's; anything else that lands here is ignored, not a crash
      ctx.log.warn({ type: String((msg as { type?: unknown })?.type).slice(0, 80) }, 'cluster.unexpected-message');
      return m;
    },
  });
}
