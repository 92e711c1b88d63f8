/**
 * The one exponential backoff: remoting's reconnects, cluster joins, the kernel's
 * restartWithBackoff and Diego's crash restarts all wait `initial·factor^attempt`, capped.
 * Pure: the caller keeps the attempt count and passes the random source, so tests are exact.
 */

export interface BackoffOptions {
  /** the wait before attempt 0 */
  initialMs: number;
  /** the cap; the wait never grows past it (jitter aside) */
  maxMs: number;
  /** growth per attempt; default 2 */
  factor?: number;
  /** spread as a fraction of the wait, 0.2 for ±20 %; default 0 (no jitter) */
  jitter?: number;
}

/**
 * The wait (ms, not rounded) before the `attempt`-th try (0-based): `initialMs·factor^attempt`
 * capped at `maxMs`, then scaled by a uniform factor in `[1 − jitter, 1 + jitter]` drawn from
 * `random` (which must return values in [0, 1), like Math.random; it is not called without jitter).
 * A cap below `initialMs` wins; an initial wait of 0 stays 0 however many attempts (never NaN).
 */
export function backoffMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const { initialMs, maxMs, factor = 2, jitter = 0 } = options;
  // 0·∞ is NaN: an initial wait of 0 grows to nothing, whatever the attempt
  const grown = initialMs === 0 ? 0 : initialMs * factor ** attempt;
  const capped = Math.min(maxMs, grown);
  return jitter === 0 ? capped : capped * (1 - jitter + 2 * jitter * random());
}
