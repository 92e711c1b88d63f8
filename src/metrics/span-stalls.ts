/**
 * The longest event-loop stall within a span of time (a convergence pass): a timer every
 * `resolutionMs` notes how late it ran, and a span keeps the longest lateness of the intervals
 * that overlap it, the one still open when it ends included. `monitorEventLoopDelay` cannot say
 * this: its `reset()` drops the interval in progress, so a stall at the very start of a span
 * would not show.
 */
export class SpanStalls {
  private last = performance.now();
  private longest = 0;
  private open = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly resolutionMs = 10) {
    this.timer = setInterval(() => this.tick(performance.now()), resolutionMs);
    this.timer.unref();
  }

  /** A span starts (one at a time: a new start begins it again). */
  start(): void {
    this.open = true;
    this.longest = 0;
  }

  /** The span ends: its longest stall in ms, beyond the resolution (0 when the loop kept up). */
  end(): number {
    this.tick(performance.now());
    this.open = false;
    return this.longest;
  }

  /** Stops the timer. */
  close(): void {
    clearInterval(this.timer);
  }

  private tick(now: number): void {
    if (this.open) this.longest = Math.max(this.longest, now - this.last - this.resolutionMs);
    this.last = now;
  }
}
