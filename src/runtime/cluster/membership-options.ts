/** What a Membership is configured with, and the settings those options resolve to (the defaults live here). */
import type { BackoffOptions } from '../../base/backoff.js';
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { NodeIdentity, Remoting } from '../remoting/types.js';
import { detectorSettings, type DetectorSettings } from './failure-detector.js';

export interface MembershipOptions {
  remoting: Pick<Remoting, 'self' | 'sendTo' | 'onEnvelope'>;
  roles: string[];
  /** `--join`: `host:port` of nodes to join through; none for the first node */
  seeds?: string[];
  /** `--heartbeat-ms`; default 1000 */
  heartbeatMs?: number;
  /** a member silent this long is down (`auctor start` passes `--cell-ttl-ms`); default 5000: bounds the detector's silence cap */
  memberTtlMs?: number;
  /** overrides of the detector settings derived from the two above */
  detector?: Partial<DetectorSettings>;
  /** how long down and left members stay listed; default 30 heartbeats */
  removeAfterMs?: number;
  joinBackoff?: { initialMs: number; maxMs: number };
  clock?: Clock;
  log?: Logger;
  /** [0, 1): the join backoff's jitter */
  random?: () => number;
}

export interface MembershipStats {
  suspicions: number;
  downs: number;
  /** check ticks skipped because this node's own event loop had stalled */
  localPauses: number;
  malformed: number;
  joinAttempts: number;
}

/** The timings and seeds a Membership runs with, from its options. */
export interface MembershipTimings {
  heartbeatMs: number;
  /** how often members are judged: a tenth of a heartbeat, at least 5 ms */
  checkMs: number;
  settings: DetectorSettings;
  removeAfterMs: number;
  backoff: BackoffOptions;
  /** the `--join` addresses, without duplicates or this node's own */
  seeds: string[];
}

export function membershipTimings(options: MembershipOptions, self: NodeIdentity): MembershipTimings {
  const heartbeatMs = options.heartbeatMs ?? 1000;
  return {
    heartbeatMs,
    checkMs: Math.max(5, Math.round(heartbeatMs / 10)),
    settings: { ...detectorSettings(heartbeatMs, options.memberTtlMs ?? 5000), ...options.detector },
    removeAfterMs: options.removeAfterMs ?? 30 * heartbeatMs,
    backoff: { ...(options.joinBackoff ?? { initialMs: 250, maxMs: 5000 }), jitter: 0.2 },
    seeds: [...new Set(options.seeds ?? [])].filter((s) => s !== self.address),
  };
}
