/**
 * The health monitor of one LRP instance: a startup phase, then liveness (Diego's executor
 * health-check and monitor steps, DIEGO.md 1.5). It is generic over the check, so declarative
 * tcp/http checks (checks.ts, check-definition.ts) and the legacy `monitor` action plug in alike.
 *
 * | state      | event                              | next       | effect                                                  |
 * |------------|------------------------------------|------------|---------------------------------------------------------|
 * | (start)    | signal not aborted                 | starting   | log `Starting health monitoring of container`; check now |
 * | starting   | check failed                       | starting   | next check `unhealthyIntervalMs` after this one ended    |
 * | starting   | check passed                       | healthy    | log `Container became healthy`; `onHealthy()`            |
 * | starting   | `startTimeoutMs` elapsed           | unhealthy  | abort check in flight; log `Failed after <d>: startup health check never passed.`; `onUnhealthy('Instance never healthy after <d>: <last reason>')` |
 * | healthy    | a liveness check passed            | healthy    | its next run one interval after this one ended           |
 * | healthy    | a liveness check failed            | unhealthy  | abort the others; log `Container became unhealthy`; `onUnhealthy('Instance became unhealthy: Liveness check unsuccessful: <reason>')` |
 * | starting, healthy | `stop()` or signal aborted  | stopped    | cancel every timer, abort every check in flight          |
 * | unhealthy, stopped | anything                  | (same)     | nothing: no callback, no timer, no check ever again      |
 *
 * Decisions:
 * - The first startup check runs at once (like Diego's declarative startup check; the legacy
 *   monitor step waited one interval first). Checks of one loop never overlap: the next starts
 *   an interval after the previous ended, so a slow check stretches the period.
 * - `startTimeoutMs` 0 or absent means no start timeout: the instance stays starting until a
 *   check passes, as in Diego (executor monitor_step.go: `if step.startTimeout > 0`). Diego's
 *   API does not default it; Cloud Controller sends 60 s when the user gave none. Callers that
 *   want a bound must pass one.
 * - The start-timeout reason carries the reason of the last check that completed; when none has
 *   completed yet (a check slower than the start timeout), it says `no health check completed`.
 * - A check's result that arrives after the monitor ended is dropped. A check that throws or
 *   rejects (against the contract) counts as a failure with the error's message.
 * - Callbacks run after the state has changed (and, for onUnhealthy, after every timer and check
 *   is gone), so one may call `stop()`. A callback that throws is a bug and is not caught: it
 *   surfaces as an uncaught error or unhandled rejection.
 * - Timers come from the injected Clock; the system clock `unref()`s them, so a monitor never
 *   keeps the process alive.
 */
import type { Clock, Timer } from '../../base/clock.js';
import { formatDuration } from '../../models/duration.js';
import type { OutputStream } from '../../garden/backend.js';
import type { CheckResult, HealthCheck } from './checks.js';

/** Diego rep defaults (diego-release:jobs/rep/spec). */
export const DEFAULT_UNHEALTHY_INTERVAL_MS = 2_000;
export const DEFAULT_HEALTHY_INTERVAL_MS = 30_000;

export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'stopped';

/** How a monitor ended. */
export type HealthEnd = { state: 'unhealthy'; reason: string } | { state: 'stopped' };

/** A liveness check with its own period (a check definition's `interval_ms`). */
export interface LivenessCheck {
  check: HealthCheck;
  /** ms between the end of one run and the start of the next; absent: `healthyIntervalMs` */
  intervalMs?: number;
}

export interface MonitorOptions {
  /** the startup check; also the liveness check unless `liveness` is given */
  check: HealthCheck;
  /**
   * Liveness checks, each run in its own loop at its own interval; the first failure of any
   * ends the monitor. Default: `[{ check }]` at `healthyIntervalMs`. An empty list means no
   * liveness checking: healthy until stopped.
   */
  liveness?: LivenessCheck[];
  /** how long startup may take; 0 or absent: no limit (see the header) */
  startTimeoutMs?: number;
  /** pause between startup checks; Diego's rep default 2000 */
  unhealthyIntervalMs: number;
  /** pause between liveness checks; Diego's rep default 30000 */
  healthyIntervalMs: number;
  clock: Clock;
  /** aborting it is `stop()` */
  signal?: AbortSignal;
  /** called once, when the startup check first passes */
  onHealthy?(): void;
  /** called at most once, with the crash reason; the monitor has stopped by then */
  onUnhealthy?(reason: string): void;
  /** Diego's transition lines for the instance's log (`Container became healthy`, ...) */
  onLog?(line: string, stream: OutputStream): void;
}

/** A running monitor; its owner stops it. */
export interface HealthMonitor {
  readonly state: HealthState;
  /** Resolves once the monitor has ended (unhealthy with the crash reason, or stopped); never rejects. */
  readonly done: Promise<HealthEnd>;
  /**
   * Cancels every timer and aborts every check in flight; no callback runs after it returns.
   * Idempotent; a no-op once the monitor has ended.
   */
  stop(): void;
}

/**
 * Starts monitoring: the first startup check runs now (asynchronously; no callback runs before
 * this returns). Throws `RangeError` for an interval that is not positive, as Diego's monitor
 * step refuses one.
 */
export function monitorHealth(options: MonitorOptions): HealthMonitor {
  for (const name of ['unhealthyIntervalMs', 'healthyIntervalMs'] as const) {
    if (!(options[name] > 0)) throw new RangeError(`${name} must be positive, got ${options[name]}`);
  }
  for (const { intervalMs } of options.liveness ?? []) {
    if (intervalMs !== undefined && !(intervalMs > 0)) throw new RangeError(`liveness intervalMs must be positive, got ${intervalMs}`);
  }
  const monitor = new Monitor(options);
  monitor.start();
  return monitor;
}

/**
 * The no-check variant (no monitor action, no check definition): healthy as soon as the process
 * runs. `onHealthy` runs on the next microtask, unless the monitor is stopped first; the
 * returned monitor then stays healthy until stopped (any exit of the process is a crash, which
 * its owner sees, not the monitor).
 */
export function healthyOnStart(options: Pick<MonitorOptions, 'signal' | 'onHealthy'>): HealthMonitor {
  const { signal, onHealthy } = options;
  let state: HealthState = 'starting';
  let resolveDone!: (end: HealthEnd) => void;
  const done = new Promise<HealthEnd>((resolve) => (resolveDone = resolve));
  const stop = () => {
    if (state === 'stopped') return;
    state = 'stopped';
    signal?.removeEventListener('abort', stop);
    resolveDone({ state: 'stopped' });
  };
  if (signal?.aborted) {
    stop();
  } else {
    signal?.addEventListener('abort', stop, { once: true });
    queueMicrotask(() => {
      if (state !== 'starting') return;
      state = 'healthy';
      onHealthy?.();
    });
  }
  return { get state() { return state; }, done, stop };
}

class Monitor implements HealthMonitor {
  state: HealthState = 'starting';
  readonly done: Promise<HealthEnd>;
  private resolveDone!: (end: HealthEnd) => void;
  private readonly timers = new Set<Timer>();
  private readonly inFlight = new Set<AbortController>();
  private deadline: Timer | undefined;
  private lastReason: string | undefined;

  constructor(private readonly options: MonitorOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  start(): void {
    if (!this.listen()) return;
    this.log('Starting health monitoring of container', 'stdout');
    const { startTimeoutMs } = this.options;
    if (startTimeoutMs && startTimeoutMs > 0) this.deadline = this.options.clock.setTimeout(() => this.startupTimedOut(), startTimeoutMs);
    this.startupCheck();
  }

  stop = (): void => {
    if (this.state === 'unhealthy' || this.state === 'stopped') return;
    this.state = 'stopped';
    this.dispose();
    this.resolveDone({ state: 'stopped' });
  };

  /** False (and stopped) when the signal has already aborted. */
  private listen(): boolean {
    const { signal } = this.options;
    if (signal?.aborted) {
      this.stop();
      return false;
    }
    signal?.addEventListener('abort', this.stop, { once: true });
    return true;
  }

  private startupCheck(): void {
    this.run(this.options.check, (result) => {
      if (this.state !== 'starting') return;
      if (result.ok) return this.becomeHealthy();
      this.lastReason = result.reason;
      this.after(this.options.unhealthyIntervalMs, () => this.startupCheck());
    });
  }

  private startupTimedOut(): void {
    this.deadline = undefined;
    if (this.state !== 'starting') return;
    const after = formatDuration(this.options.startTimeoutMs!);
    this.log(`Failed after ${after}: startup health check never passed.`, 'stderr');
    this.end(`Instance never healthy after ${after}: ${this.lastReason ?? 'no health check completed'}`);
  }

  private becomeHealthy(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
    this.state = 'healthy';
    const { check, liveness = [{ check }], healthyIntervalMs } = this.options;
    for (const loop of liveness) this.after(loop.intervalMs ?? healthyIntervalMs, () => this.livenessCheck(loop));
    this.log('Container became healthy', 'stdout');
    this.options.onHealthy?.();
  }

  private livenessCheck(loop: LivenessCheck): void {
    this.run(loop.check, (result) => {
      if (this.state !== 'healthy') return;
      if (!result.ok) {
        this.log('Container became unhealthy', 'stderr');
        return this.end(`Instance became unhealthy: Liveness check unsuccessful: ${result.reason}`);
      }
      this.after(loop.intervalMs ?? this.options.healthyIntervalMs, () => this.livenessCheck(loop));
    });
  }

  private end(reason: string): void {
    this.state = 'unhealthy';
    this.dispose();
    this.resolveDone({ state: 'unhealthy', reason });
    this.options.onUnhealthy?.(reason);
  }

  /** Runs one check under its own controller; `then` sees its result unless the monitor ended first. */
  private run(check: HealthCheck, then: (result: CheckResult) => void): void {
    const controller = new AbortController();
    this.inFlight.add(controller);
    let pending: Promise<CheckResult>;
    try {
      pending = Promise.resolve(check(controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending
      .catch((error: unknown): CheckResult => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }))
      .then((result) => {
        this.inFlight.delete(controller);
        if (!controller.signal.aborted) then(result);
      });
  }

  private after(ms: number, fn: () => void): void {
    const timer = this.options.clock.setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private dispose(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
    this.options.signal?.removeEventListener('abort', this.stop);
  }

  private log(line: string, stream: OutputStream): void {
    this.options.onLog?.(line, stream);
  }
}
