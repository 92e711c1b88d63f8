/** A Clock whose time moves only when a test calls `advance(ms)`. */
import { sleepOn, type Clock, type Timer } from '../../src/base/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((p) => p !== entry)) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /**
   * The process was stalled (a busy event loop): time moves on by `ms` and no timer fires; the
   * timers due meanwhile fire late, at the next `advance`.
   */
  stall(ms: number): void {
    this.current += ms;
  }

  /** Timers waiting to fire. */
  get waiting(): number {
    return this.pending.length;
  }

  /**
   * Moves time forward, firing due timers in order; lets promise callbacks run after each, so a
   * timer set by a continuation within the window fires too.
   */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.pending.filter((p) => p.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = until;
    await flushMicrotasks();
  }
}

/** Lets queued promise callbacks and immediates run (nact handles each message in a setImmediate). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
