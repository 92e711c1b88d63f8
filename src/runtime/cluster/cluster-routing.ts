/**
 * One Remoting endpoint, two receivers: Membership reads its own envelopes to `/cluster` (joins,
 * heartbeats, gossip: plain msgpack bodies, handled where they arrive), and the kernel's
 * RemoteNode reads everything else, the queries to the `/cluster` actor (`cluster/tree`, ...)
 * included. Each would count the other's envelopes as malformed, so the node's wiring gives each
 * its view: `attachRemoting(system, split.actors, directory)` and
 * `new Membership({ remoting: split.membership, ... })`. Sending is shared. Remote refs find
 * nodes through {@link membershipDirectory}.
 */
import type { NodeDirectory } from '../remoting/remote-directory.js';
import { isReplicationEnvelope } from '../remoting/replication-link.js';
import type { Envelope, NodeIdentity, Remoting } from '../remoting/types.js';
import { isAlive } from './member.js';
import type { Membership } from './membership.js';
import { CLUSTER_PATH, type ClusterMessageType } from './protocol.js';

// a Record, so a membership message added to protocol.ts without being listed here fails to compile
const MEMBERSHIP: Record<ClusterMessageType, true> = {
  'cluster/join': true,
  'cluster/welcome': true,
  'cluster/heartbeat': true,
  'cluster/gossip': true,
  'cluster/leave': true,
};

/** Whether `envelope` is one of Membership's own (rather than a message for the `/cluster` actor). */
export function isMembershipEnvelope(envelope: Envelope): boolean {
  return envelope?.to === CLUSTER_PATH && Object.hasOwn(MEMBERSHIP, envelope.type);
}

export interface SplitRemoting {
  /** for Membership: receives only membership envelopes */
  membership: Remoting;
  /** for the kernel's RemoteNode: receives every other envelope */
  actors: Remoting;
  /** for the journal's replication (remoting/replication-link.ts): envelopes to `/replication` */
  replication: Remoting;
}

export function splitRemoting(remoting: Remoting): SplitRemoting {
  const view = (accept: (envelope: Envelope) => boolean): Remoting => ({
    get self(): NodeIdentity {
      return remoting.self;
    },
    sendTo: (address, envelope, options) => remoting.sendTo(address, envelope, options),
    onEnvelope: (handler) => remoting.onEnvelope((envelope, from) => {
      if (accept(envelope)) handler(envelope, from);
    }),
    onPeer: (handler) => remoting.onPeer(handler),
    stats: () => remoting.stats(),
    close: () => remoting.close(),
  });
  return {
    membership: view(isMembershipEnvelope),
    actors: view((e) => !isMembershipEnvelope(e) && !isReplicationEnvelope(e)),
    replication: view(isReplicationEnvelope),
  };
}

/** Where remote refs find a node (the kernel's NodeDirectory), from Membership: live members only. */
export function membershipDirectory(membership: Pick<Membership, 'member'>): NodeDirectory {
  const live = (node: string) => {
    const member = membership.member(node);
    return member && isAlive(member.status) ? member : undefined;
  };
  return { address: (node) => live(node)?.address, incarnation: (node) => live(node)?.incarnation };
}
