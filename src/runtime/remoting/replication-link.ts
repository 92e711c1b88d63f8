/**
 * The replication's transport (src/runtime/persistence/replication.ts) over the node's Remoting:
 * each message is one envelope to {@link REPLICATION_PATH}, its body the message in msgpack (the
 * shipped entries as binary, as stored in the primary's log). Remoting keeps order per pair of
 * nodes and delivers at most once; the replicator recovers from what a broken stream loses.
 * The node's wiring hands the kernel's RemoteNode a view without these envelopes
 * (src/runtime/cluster/cluster-routing.ts).
 */
import { pack, unpack } from 'msgpackr';
import type { ReplicaAddress, ReplicationMessage, ReplicationTransport } from '../persistence/replication.js';
import type { Envelope, Remoting } from './types.js';

/** Where replication envelopes are addressed: no actor lives there. */
export const REPLICATION_PATH = '/replication';

const TYPES = new Set<ReplicationMessage['type']>(['repl/append', 'repl/copy', 'repl/ack', 'repl/refuse']);

/** Whether `envelope` carries a replication message. */
export function isReplicationEnvelope(envelope: Envelope): boolean {
  return envelope?.to === REPLICATION_PATH;
}

export function remotingReplicationTransport(remoting: Pick<Remoting, 'self' | 'sendTo' | 'onEnvelope'>): ReplicationTransport {
  const self: ReplicaAddress = { name: remoting.self.name, address: remoting.self.address };
  return {
    self,
    send: (address, message) => remoting.sendTo(address, { to: REPLICATION_PATH, type: message.type, body: pack(message) }),
    onMessage: (handler) =>
      remoting.onEnvelope((envelope, from) => {
        if (!isReplicationEnvelope(envelope) || !TYPES.has(envelope.type as ReplicationMessage['type'])) return;
        const message = unpack(envelope.body) as ReplicationMessage;
        if (message?.type !== envelope.type || typeof message.term !== 'number') return;
        handler(message, { name: from.name, address: from.address });
      }),
  };
}
