/**
 * The contract between remoting (`src/runtime/remoting/`: gRPC streams between node processes) and its
 * users (membership in `src/runtime/cluster/`, remote refs in the actor kernel). Written first so the
 * parts can be built side by side; each side tests against an in-memory fake of the other.
 */

/** One node process of the cluster. A restarted process is a new incarnation: a new member. */
export interface NodeIdentity {
  /** `--name`: unique in the cluster, the first segment of actor paths (`/<node>/...`) */
  name: string;
  /** chosen at process start (ms since the epoch, or larger); only grows for one name */
  incarnation: number;
  /** the remoting address peers dial: `host:port` */
  address: string;
}

/** What travels: one message to one actor. */
export interface Envelope {
  /** the target actor's path on the receiving node */
  to: string;
  /** the sender's path on the sending node, when it wants to be known */
  from?: string;
  /** ties a reply to its query */
  correlation?: number;
  /** the message's discriminated-union tag, checked against the body on arrival; never empty (an untagged reply travels as `~value`) */
  type: string;
  /** the message, msgpack-encoded */
  body: Uint8Array;
  /**
   * Set for a shaped body (docs/051-remote-refs.md "Wire form"): the message's keys, in order,
   * whose values alone the body holds. The transport carries it: once per batch on the wire.
   */
  shape?: readonly string[];
}

export type PeerEvent =
  | { type: 'up'; peer: NodeIdentity }
  | { type: 'down'; peer: NodeIdentity; reason: string };

/**
 * Why a stream was refused before its peer authenticated (docs/050-remoting.md "Refused streams"):
 * a wrong proof, another protocol version, a malformed or out-of-order frame, no proof in time,
 * or a stream that ended before it finished the handshake.
 */
export const REJECT_REASONS = ['bad-proof', 'protocol-mismatch', 'malformed', 'timeout', 'abandoned'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** What `Remoting.stats()` counts, since the node started. */
export interface RemotingStats {
  sent: number;
  received: number;
  /** envelopes not sent: dead letters */
  dropped: number;
  malformed: number;
  /** streams refused before they authenticated, by reason */
  rejected: Record<RejectReason, number>;
}

/** How `Remoting.sendTo` queues an envelope. */
export interface SendOptions {
  /**
   * The priority lane (docs/050-remoting.md "Priority lane"), for small, rare messages that must
   * not wait behind bulk traffic: the cluster's heartbeats, joins and gossip. Bounded apart from
   * the bulk queue (so a full bulk queue does not refuse them) and written before its next batch;
   * order is kept within each lane, not between them.
   */
  priority?: boolean;
}

/** The node's remoting endpoint: a server plus one outbound stream per peer. */
export interface Remoting {
  readonly self: NodeIdentity;
  /**
   * Queues `envelope` for the peer at `address` (dialling it if needed). False when the peer's
   * bounded queue is full: the envelope is dropped and counted as a dead letter, never queued
   * without limit. Throws a TypeError for an envelope it cannot carry (empty `to` or `type`).
   * With `{ priority: true }` the envelope goes in the peer's priority lane (see SendOptions).
   */
  sendTo(address: string, envelope: Envelope, options?: SendOptions): boolean;
  /** Every envelope that arrives from a peer that proved the cluster secret. */
  onEnvelope(handler: (envelope: Envelope, from: NodeIdentity) => void): () => void;
  /** Streams to and from peers coming up and going down. */
  onPeer(handler: (event: PeerEvent) => void): () => void;
  /** Counters for metrics: sent, received, dropped (dead letters), malformed, rejected streams. */
  stats(): RemotingStats;
  /** Flushes what is queued (bounded wait), ends the streams, stops the server. */
  close(): Promise<void>;
}
