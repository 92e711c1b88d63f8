/**
 * Streams refused before their peer authenticated. Anyone who can reach the remoting port can
 * open them, thousands a second, so each is counted (`counts()`, exported as
 * `auctor_remoting_rejected_connections_total{reason}`) but logged at most once per peer host and
 * reason per window (10 s by default). The line that ends a quiet window carries how many were
 * left unlogged since the previous one (`suppressed`); the counter has them all.
 *
 * Keyed by host, not host:port: a flood comes from fresh source ports. By reason too, so one
 * host's garbage does not hide that it also holds the wrong secret.
 */
import type { RemotingLog } from './options.js';
import { REJECT_REASONS, type RejectReason } from './types.js';

export interface RejectionsOptions {
  /** at most one line per host and reason in this long (default 10 s) */
  windowMs?: number;
  /** host-and-reason keys remembered; when full, those whose window is over are forgotten, and if none is, new hosts share one key (default 1024) */
  maxKeys?: number;
  /** monotonic milliseconds (default `performance.now`) */
  now?: () => number;
}

/** Every reason at zero: what a transport that refuses nothing reports. */
export function noRejections(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
}

/** The host of a gRPC peer string: `1.2.3.4:5678`, `[::1]:5678`, `ipv4:1.2.3.4:5678`. */
export function peerHost(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]*)\]:\d+$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  const plain = /^([^:]*):\d+$/.exec(bare);
  return plain ? plain[1]! : bare;
}

const OVERFLOW = '*';

export class Rejections {
  private readonly counted = noRejections();
  /** per `host reason`: when its last line was written, and how many since were not */
  private readonly lines = new Map<string, { at: number; suppressed: number }>();
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(private readonly log: RemotingLog, options: RejectionsOptions = {}) {
    this.windowMs = options.windowMs ?? 10_000;
    this.maxKeys = options.maxKeys ?? 1024;
    this.now = options.now ?? (() => performance.now());
  }

  /** Counts one refused stream from `remote` and logs `event` at warn unless its host and reason were logged within the window. */
  reject(remote: string, reason: RejectReason, event: string, fields: Record<string, unknown>): void {
    this.counted[reason]++;
    const now = this.now();
    const key = this.keyFor(`${peerHost(remote)} ${reason}`, now);
    const last = this.lines.get(key);
    if (last && now - last.at < this.windowMs) {
      last.suppressed++;
      return;
    }
    this.lines.set(key, { at: now, suppressed: 0 });
    this.log.warn({ remote, ...fields, suppressed: last?.suppressed ?? 0 }, event);
  }

  /** Refused streams since the start, by reason. */
  counts(): Record<RejectReason, number> {
    return { ...this.counted };
  }

  /** `key`, or the shared overflow key when too many hosts are remembered to add another. */
  private keyFor(key: string, now: number): string {
    if (this.lines.has(key) || this.lines.size < this.maxKeys) return key;
    // a key whose window is over would be logged anyway; forgetting it loses only its unlogged count (the counter has it)
    for (const [k, line] of this.lines) if (now - line.at >= this.windowMs) this.lines.delete(k);
    return this.lines.size < this.maxKeys ? key : OVERFLOW;
  }
}
