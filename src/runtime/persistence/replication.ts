/**
 * Journal shipping between the nodes of a control group (docs/012-persistence.md "Replication"):
 * the contract the election (src/runtime/cluster) codes against, and the messages that travel.
 *
 * Every write the LMDB engine makes (events, snapshots, deleted journals, runtime-store records)
 * is also appended, in the SAME LMDB transaction, to one ordered replication log keyed by LSN
 * (1, 2, 3, ... without gaps), each entry stamped with the term of the primary that wrote it.
 * The primary ships the log to its standbys in order; a standby applies each entry (the same
 * writes, plus the entry in its own log) in one transaction, and acknowledges once durable. The
 * primary's write promise, what a 2xx waits for, resolves once the entry is durable locally and
 * on `syncStandbys` standbys. Knows nothing of what is stored, nor of the transport: a
 * {@link ReplicationTransport} carries the messages (src/runtime/remoting/replication-link.ts over
 * the cluster's gRPC remoting; an in-memory one in tests).
 */

/** A place in the replication log: the LSN of an entry and the term it was written in. */
export interface LogPosition {
  term: number;
  /** 0 when the log is empty */
  lsn: number;
}

/** Where a peer of the group is reached: its node name and remoting address. */
export interface ReplicaAddress {
  name: string;
  /** `host:port`, what the transport sends to */
  address: string;
}

export type ReplicationRole = 'idle' | 'primary' | 'standby';

/** What the primary knows of one standby. */
export interface StandbyProgress extends ReplicaAddress {
  /** the highest LSN the standby holds durably, as it last acknowledged (-1 before it answered) */
  ackedLsn: number;
  /** it acknowledged everything the primary held at some point since it connected */
  caughtUp: boolean;
}

export type ReplicationEvent =
  /** on the primary: `standby` acknowledged all the primary held; it now counts as synchronous */
  | { type: 'standby-caught-up'; standby: ReplicaAddress; position: LogPosition }
  /** on a standby: it holds everything the primary had shipped when it last heard from it */
  | { type: 'caught-up'; primary: ReplicaAddress; position: LogPosition }
  /** on the primary: a standby is sealed at a higher term: this node must step down */
  | { type: 'superseded'; by: ReplicaAddress; term: number }
  /** on a standby: its log holds an entry the primary's does not (an unacknowledged tail of an old term) */
  | { type: 'diverged'; primary: ReplicaAddress; at: LogPosition };

/**
 * A node's side of the replication. One per node, over its LMDB engine. A node starts `idle`:
 * its engine refuses writes (with {@link NotPrimaryError}) until {@link becomePrimary}.
 */
export interface Replication {
  /** What this node's store durably holds: its log's last entry (`{term: 0, lsn: 0}` when empty). */
  lastLsn(): LogPosition;
  /** The highest term this node accepted or was sealed at; entries of lower terms are refused. */
  sealedTerm(): number;
  role(): ReplicationRole;
  /**
   * The highest LSN known acknowledged: on the primary, held by `syncStandbys` standbys (and
   * locally); on a standby, the primary's as of its last message.
   */
  committedLsn(): number;
  /**
   * Makes this node the primary of `term` (sealing it first: `term` must be above every term it
   * saw, else it rejects; then the entries it accepted before the seal are applied) shipping to
   * `standbys`. Local writes are accepted from now on; each
   * resolves once durable here and on `syncStandbys` standbys (0: here only).
   */
  becomePrimary(term: number, standbys: ReplicaAddress[], publishSyncSet?: (members: string[]) => Promise<boolean>): Promise<void>;
  /** The primary's standbys changed (a member joined or left); ignored unless primary. */
  setStandbys(standbys: ReplicaAddress[]): void;
  /**
   * Makes this node a standby (of `primary`, named in its log lines): local writes are refused,
   * writes still waiting for acknowledgement reject with {@link NotPrimaryError}. Entries are
   * applied in order from whichever node ships them at a term not below the sealed one (a
   * higher term seals this node first), in every role but primary: the term, not the sender,
   * says who may write.
   */
  becomeStandby(primary: ReplicaAddress | undefined): Promise<void>;
  /** Durably refuses, from now on, every entry and message of a term below `term`. */
  seal(term: number): Promise<void>;
  /** On the primary: each standby's progress. Empty otherwise. */
  standbys(): StandbyProgress[];
  onEvent(handler: (event: ReplicationEvent) => void): () => void;
  /** Stops shipping and answering; writes still waiting reject. The engine is closed by its owner. */
  close(): void;
}

/** A write reached a node that is not the primary, or the primary stepped down before it was acknowledged. */
export class NotPrimaryError extends Error {
  readonly code = 'NotPrimary';
  constructor(message = 'this node is not the primary of its control group') {
    super(message);
    this.name = 'NotPrimaryError';
  }
}

/** One shipped log entry: its LSN and its stored bytes (the primary's log value, applied as is). */
export type ShippedEntry = [lsn: number, bytes: Uint8Array];

/** One record of a store copy: its sub-database (0 events, 1 snapshots, 2 runtime), key and stored bytes. */
export type CopiedRecord = [db: 0 | 1 | 2, key: [string, number] | string, bytes: Uint8Array];

/**
 * The replication protocol. `stream` numbers the primary's resends to one standby: a gap report
 * for an older stream is stale (entries still in flight when the primary resent) and ignored.
 */
export type ReplicationMessage =
  /**
   * primary -> standby: entries `prevLsn + 1 ...` in order (none: a probe); `head` is the last LSN
   * the primary held when it sent this, `committed` the last it knows acknowledged
   */
  | { type: 'repl/append'; term: number; stream: number; prevLsn: number; prevTerm: number; entries: ShippedEntry[]; head: number; committed: number }
  /**
   * primary -> standby: chunk `seq` of a copy of the whole store, for a standby the retained tail
   * cannot bring up to date, or whose log diverged: chunk 0 empties the standby's store first;
   * the last chunk carries `base`, the primary's position when the copy began, from which
   * shipping resumes (the copy is read while writes go on; the entries after `base` redo them)
   */
  | { type: 'repl/copy'; term: number; stream: number; seq: number; records: CopiedRecord[]; base?: LogPosition }
  /**
   * standby -> primary: it durably holds every entry up to `lsn`; with `next`, it missed entries
   * and wants them from `next`; with `copied`, it applied that copy chunk (and wants the next)
   */
  | { type: 'repl/ack'; term: number; stream: number; lsn: number; next?: number; copied?: number }
  /** standby -> primary: refused: `term` is the standby's sealed term (above the append's), or its log diverges at `prevLsn` */
  | { type: 'repl/refuse'; term: number; reason: 'stale-term' | 'diverged'; lsn: number };

/** How replication messages travel between nodes (the remoting adapter, or an in-memory fake). */
export interface ReplicationTransport {
  readonly self: ReplicaAddress;
  /** Queues `message` for the node at `address`; false when it was dropped (at most once, in order per pair). */
  send(address: string, message: ReplicationMessage): boolean;
  /** Every replication message that arrives, with its sender. */
  onMessage(handler: (message: ReplicationMessage, from: ReplicaAddress) => void): () => void;
}
