/**
 * The φ-accrual failure detector (Hayashibara et al.; Akka's and Cassandra's), with a hard cap on
 * silence. Pure: the caller passes `now`; no clock, no timers.
 *
 * φ is how unlikely the current silence is given the heartbeat inter-arrival times seen so far
 * (normal distribution, mean + `acceptablePauseMs`, standard deviation at least `minStdDevMs`):
 * φ = -log10(P(a heartbeat arrives later than now)). A node whose heartbeats come late but
 * regularly (a busy event loop) widens its own distribution, so it is judged against its own
 * rhythm; a node that dies stops abruptly and φ climbs fast.
 *
 * Defaults (derived from `--heartbeat-ms` h and `--cell-ttl-ms`, API.md: 1000 / 5000): pause = h,
 * min σ = h/5, suspect at φ ≥ 3, down at φ ≥ 8, and down after `memberTtlMs - h` of silence
 * whatever φ says. With steady 1 s heartbeats φ reaches 3 after ≈2.6 s and 8 after ≈3.1 s of
 * silence, so a killed node is down 2.1–3.2 s after it died. Akka's defaults (3 s pause, σ 0.5 s
 * for the first estimates) give ≈5.5 s: too slow for a 7 s failover that must also auction and
 * start the instances elsewhere (ACTORS.md §0.6, issue 6).
 */

export interface DetectorSettings {
  /** how often the member sends heartbeats: the first estimate of the interval */
  heartbeatMs: number;
  /** silence beyond the usual interval that is still not suspicious (a GC pause, a busy loop) */
  acceptablePauseMs: number;
  /** floor of σ, so a perfectly regular history does not make every small delay suspicious */
  minStdDevMs: number;
  suspectPhi: number;
  downPhi: number;
  /** down after this much silence, whatever φ says: bounds detection for an erratic history */
  maxSilenceMs: number;
  /** inter-arrival times kept */
  maxSamples: number;
}

export function detectorSettings(heartbeatMs: number, memberTtlMs: number): DetectorSettings {
  return {
    heartbeatMs,
    acceptablePauseMs: heartbeatMs,
    minStdDevMs: heartbeatMs / 5,
    suspectPhi: 3,
    downPhi: 8,
    maxSilenceMs: Math.max(memberTtlMs - heartbeatMs, 2 * heartbeatMs),
    maxSamples: 100,
  };
}

/** The heartbeat history of one member: a window of inter-arrival times. */
export class ArrivalWindow {
  private readonly intervals: number[] = [];
  private sum = 0;
  private sumOfSquares = 0;
  private last: number | undefined;

  /**
   * Seeded as Akka does with two samples around the expected interval (mean h, σ h/4), so the
   * first judgements are sane before real heartbeats accumulate.
   */
  constructor(private readonly maxSamples: number, heartbeatMs: number) {
    this.add(heartbeatMs - heartbeatMs / 4);
    this.add(heartbeatMs + heartbeatMs / 4);
  }

  /** Records a heartbeat that arrived at `now`. */
  record(now: number): void {
    if (this.last !== undefined) {
      if (now < this.last) return;
      this.add(now - this.last);
    }
    this.last = now;
  }

  /** When the last heartbeat arrived; undefined before the first. */
  get lastAt(): number | undefined {
    return this.last;
  }

  get samples(): number {
    return this.intervals.length;
  }

  mean(): number {
    return this.sum / this.intervals.length;
  }

  stdDev(): number {
    const mean = this.mean();
    return Math.sqrt(Math.max(0, this.sumOfSquares / this.intervals.length - mean * mean));
  }

  private add(interval: number): void {
    if (this.intervals.length >= this.maxSamples) {
      const dropped = this.intervals.shift()!;
      this.sum -= dropped;
      this.sumOfSquares -= dropped * dropped;
    }
    this.intervals.push(interval);
    this.sum += interval;
    this.sumOfSquares += interval * interval;
  }
}

/** φ for a silence of `elapsedMs` given a mean and σ (the logistic approximation Akka uses). */
export function phiOf(elapsedMs: number, meanMs: number, stdDevMs: number): number {
  const y = (elapsedMs - meanMs) / stdDevMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return elapsedMs > meanMs ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

/** φ of `window` at `now`; 0 before the first heartbeat. */
export function phi(window: ArrivalWindow, now: number, settings: DetectorSettings): number {
  if (window.lastAt === undefined) return 0;
  const elapsed = Math.max(0, now - window.lastAt);
  return phiOf(elapsed, window.mean() + settings.acceptablePauseMs, Math.max(window.stdDev(), settings.minStdDevMs));
}

export type Verdict = 'alive' | 'suspect' | 'down';

/** What the silence since the last heartbeat means at `now`. */
export function verdict(window: ArrivalWindow, now: number, settings: DetectorSettings): Verdict {
  if (window.lastAt === undefined) return 'alive';
  if (now - window.lastAt >= settings.maxSilenceMs) return 'down';
  const p = phi(window, now, settings);
  if (p >= settings.downPhi) return 'down';
  return p >= settings.suspectPhi ? 'suspect' : 'alive';
}

/**
 * The silence after which `verdict` reaches `level` for a history with this mean and σ (searched
 * to 1 ms; at most the cap): what a doc or a bench quotes as the detection bound.
 */
export function silenceUntil(level: 'suspect' | 'down', meanMs: number, stdDevMs: number, settings: DetectorSettings): number {
  const threshold = level === 'down' ? settings.downPhi : settings.suspectPhi;
  const m = meanMs + settings.acceptablePauseMs;
  const s = Math.max(stdDevMs, settings.minStdDevMs);
  let lo = 0;
  let hi = settings.maxSilenceMs;
  if (phiOf(hi, m, s) < threshold) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) / 2;
    if (phiOf(mid, m, s) >= threshold) hi = mid;
    else lo = mid;
  }
  return Math.ceil(hi);
}
