/** The options and events of a control group's election (leader-election.ts). */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { LeaderInfo, LogPosition } from './leader-records.js';

/** The node's own part of the leader record. */
export interface ElectionSelf {
  name: string;
  /** gateway URL (`http://host:port`) clients are sent to */
  api: string;
  /** remoting address (`host:port`) */
  listen: string;
}

export interface LeaderElectionOptions {
  /** etcd client endpoints, `host:port` */
  endpoints: string[];
  self: ElectionSelf;
  /** lease TTL; etcd grants whole seconds, so it is rounded up there and the own deadline uses it as given */
  ttlMs: number;
  /** key prefix of the group in etcd (default `/auctor/control`) */
  prefix?: string;
  /**
   * What this node's store durably holds (the replication's `lastLsn()`). Among live candidates
   * only one holding the highest position may win, so a standby known to hold every acknowledged
   * write leads. Default: every node at {0, 0}.
   */
  lastLsn?: () => LogPosition;
  /**
   * The group's `--sync-standbys`. When given, the group keeps a synchronous set in etcd
   * (sync-set.ts): the winner resets it in its winning transaction, the active names the
   * standbys it counts (`publishSyncSet`), and a candidate may win only once it has seen
   * witnesses of it. Undefined: no set, the longest live log wins.
   */
  syncQuorum?: number;
  /** how often a standby looks at the key besides watching it (default ttl/3: the watch may go quiet across etcd restarts) */
  pollMs?: number;
  /** how long one etcd request may take (default ttl/3) */
  requestTimeoutMs?: number;
  clock?: Clock;
  log?: Logger;
}

export type ElectionEvents = {
  /** this node won `term` */
  elected: [term: number];
  /** this node held the lead and its own deadline passed: it acknowledges nothing, and tries etcd again */
  /** `since`: when it stopped holding (its deadline less the margin, ms on its clock): the fence, which the event follows a turn or more later */
  'read-only': [term: number, since: number];
  /** etcd is back and this node's lease and key lived through: it leads `term` (the same) again */
  resumed: [term: number];
  /** this node held the lead (or was read-only) and no longer does: etcd showed another key, or another leader */
  lost: [reason: string];
  /** the leader this node sees changed (undefined: none) */
  leader: [leader: LeaderInfo | undefined];
};

/** What the election derives from its options. */
export interface ElectionTimings {
  /** etcd grants whole seconds */
  leaseTtlS: number;
  /** room for the time etcd takes to record a keepalive after it was sent, and timer lateness */
  marginMs: number;
  keepaliveMs: number;
  /** a standby's look at the key besides the watch; it renews the standby's lease too, so no slower than the keepalives */
  pollMs: number;
  /** after a failed request (etcd away), and a leader's failed renewal: soon */
  retryMs: number;
  requestTimeoutMs: number;
}

export function electionTimings({ ttlMs, pollMs, requestTimeoutMs }: LeaderElectionOptions): ElectionTimings {
  const keepaliveMs = Math.max(50, Math.round(ttlMs / 3));
  return {
    leaseTtlS: Math.max(1, Math.ceil(ttlMs / 1000)),
    marginMs: Math.max(100, Math.round(ttlMs / 10)),
    keepaliveMs,
    pollMs: Math.min(keepaliveMs, pollMs ?? keepaliveMs),
    retryMs: Math.min(250, Math.max(20, Math.round(ttlMs / 12))),
    requestTimeoutMs: requestTimeoutMs ?? Math.max(100, Math.round(ttlMs / 3)),
  };
}
