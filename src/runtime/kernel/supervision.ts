/**
 * Every supervision policy in one place. A parent declares a policy for the children it spawns
 * (`onCrash` in their spec); one policy object shared by a parent's children counts their
 * restarts together, as an OTP supervisor's intensity does.
 *
 * | policy            | on a failure                                                            |
 * |-------------------|-------------------------------------------------------------------------|
 * | oneForOne         | restart the failed actor; past the intensity, escalate to the parent    |
 * | oneForAll         | restart the failed actor and its siblings; past the intensity, escalate |
 * | restartOrQuarantine | restart the failed actor within its own intensity; past it, quarantine that actor |
 * | restartWithBackoff| wait min·factor^n (capped at max), then restart; n resets after a quiet spell |
 * | resumeOnCrash     | drop the message, keep the state                                        |
 * | stopOnCrash       | stop the actor                                                          |
 * | escalateOnCrash   | let the parent decide                                                   |
 *
 * Escalation is OTP's "the supervisor gives up": the parent's own policy then decides about
 * the parent (a restart of the parent restarts its whole subtree). Quarantine is for children
 * that each hold one stored record: one that cannot come back is set aside (stopped, shown in
 * the tree with its error) and its parent and siblings go on (docs/011 "Quarantine").
 */
import { backoffMs } from '../../base/backoff.js';
import type { Clock } from '../../base/clock.js';
import type { CrashDecision, CrashPolicy, Failure } from './system.js';

/** At most `maxRestarts` restarts within `withinMs`; the next failure escalates. */
export interface RestartIntensity {
  maxRestarts: number;
  withinMs: number;
}

/** OTP's default is 1 restart in 5 s; Proto.Actor's is 10 in 10 s. Auctor takes Proto.Actor's. */
export const DEFAULT_INTENSITY: RestartIntensity = { maxRestarts: 10, withinMs: 10_000 };

/**
 * Counts restarts in a sliding window. `admit(now)` records a restart and answers whether it
 * stays within the intensity; a refused restart is not recorded.
 */
export class RestartWindow {
  private readonly times: number[] = [];

  constructor(private readonly intensity: RestartIntensity) {
    if (intensity.maxRestarts < 0 || intensity.withinMs <= 0) throw new Error('restart intensity needs maxRestarts >= 0 and withinMs > 0');
  }

  admit(now: number): boolean {
    this.age(now);
    if (this.times.length >= this.intensity.maxRestarts) return false;
    this.times.push(now);
    return true;
  }

  /** No restart within the last `withinMs`: the window is as good as new. */
  isQuiet(now: number): boolean {
    this.age(now);
    return this.times.length === 0;
  }

  private age(now: number): void {
    while (this.times.length > 0 && now - this.times[0]! >= this.intensity.withinMs) this.times.shift();
  }
}

/** Restart only the failed actor, within the intensity. */
export function oneForOne(clock: Clock, intensity: RestartIntensity = DEFAULT_INTENSITY): CrashPolicy {
  return restartWithin(clock, intensity, 'restart');
}

/** Restart the failed actor and every sibling, within the intensity. */
export function oneForAll(clock: Clock, intensity: RestartIntensity = DEFAULT_INTENSITY): CrashPolicy {
  return restartWithin(clock, intensity, 'restart-all');
}

/** Windows kept before the quiet ones are dropped (each actor that failed lately has one). */
const QUARANTINE_WINDOWS_PRUNED_AT = 256;

/**
 * Restart the failed actor while it stays within `intensity`, counted for each actor apart (one
 * that keeps failing does not spend its siblings' restarts); the failure past it quarantines
 * that actor instead of escalating. For children that each hold one stored record (a DesiredLRP,
 * a Task): a record whose actor cannot come back costs that record, never its parent.
 */
export function restartOrQuarantine(clock: Clock, intensity: RestartIntensity = DEFAULT_INTENSITY): CrashPolicy {
  const windows = new Map<string, RestartWindow>();
  return (failure) => {
    const now = clock.now();
    let window = windows.get(failure.path);
    if (!window) {
      if (windows.size >= QUARANTINE_WINDOWS_PRUNED_AT) for (const [path, w] of windows) if (w.isQuiet(now)) windows.delete(path);
      windows.set(failure.path, (window = new RestartWindow(intensity)));
    }
    if (window.admit(now)) return 'restart';
    windows.delete(failure.path);
    return 'quarantine';
  };
}

function restartWithin(clock: Clock, intensity: RestartIntensity, decision: CrashDecision): CrashPolicy {
  const window = new RestartWindow(intensity);
  return () => (window.admit(clock.now()) ? decision : 'escalate');
}

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** growth per consecutive failure; default 2 */
  factor?: number;
  /** a failure this long after the previous restart starts the delays over; default maxMs */
  resetAfterMs?: number;
  /** optional cap on restarts in a window, beyond which the failure escalates */
  intensity?: RestartIntensity;
}

/** The delay before the `attempt`-th consecutive restart (0-based): min·factor^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  return backoffMs(attempt, { initialMs: options.minMs, maxMs: options.maxMs, factor: options.factor });
}

/**
 * Restart after an exponentially growing delay. Messages that arrive meanwhile wait in the
 * mailbox. Delays are tracked per failing actor.
 */
export function restartWithBackoff(clock: Clock, options: BackoffOptions): CrashPolicy {
  if (options.minMs < 0 || options.maxMs < options.minMs) throw new Error('backoff needs 0 <= minMs <= maxMs');
  const resetAfter = options.resetAfterMs ?? options.maxMs;
  const window = options.intensity && new RestartWindow(options.intensity);
  const attempts = new Map<string, { attempt: number; restartedAt: number }>();
  return async (failure: Failure) => {
    const now = clock.now();
    const key = failure.child ?? failure.path;
    const previous = attempts.get(key);
    // Quiet time counts from the previous restart, not the previous failure, or a long delay
    // would itself look like a quiet spell.
    const attempt = previous && now - previous.restartedAt < resetAfter ? previous.attempt + 1 : 0;
    if (window && !window.admit(now)) return 'escalate';
    const delay = backoffDelay(attempt, options);
    attempts.set(key, { attempt, restartedAt: now + delay });
    await clock.sleep(delay);
    return 'restart';
  };
}

export const resumeOnCrash: CrashPolicy = () => 'resume';
export const stopOnCrash: CrashPolicy = () => 'stop';
export const escalateOnCrash: CrashPolicy = () => 'escalate';
