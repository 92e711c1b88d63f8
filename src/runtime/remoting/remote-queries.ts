/**
 * Queries across nodes: the pending table. Each query gets a correlation id from a counter (a JS
 * number stays exact to 2^53: centuries at a million queries a second; nact's random 32-bit temp
 * ids collide, ACTORS.md hazard (b)); its reply slot is the reserved path `/~reply/<id>` on the
 * asking node. An entry leaves the table exactly once: reply, timeout, or failure.
 */
import type { Clock, Timer } from '../../base/clock.js';
import { AskTimeoutError, AuctorError } from '../../base/errors.js';

/** A remote query or message that cannot reach its node: unknown, down, or dropped on the way. */
export class RemoteUnavailableError extends AuctorError {
  constructor(readonly target: string, readonly reason: string) {
    super('Unavailable', `no reply from ${target}: ${reason}`);
  }
}

interface Pending {
  node: string;
  /** the target node's incarnation when the query went out */
  incarnation: number | undefined;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: Timer;
}

export class PendingQueries {
  private last = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly clock: Clock) {}

  /** A fresh correlation id. */
  next(): number {
    return ++this.last;
  }

  /** Waits for the reply to `correlation`; rejects with AskTimeoutError after `timeoutMs`. */
  open<R>(correlation: number, node: string, incarnation: number | undefined, target: string, timeoutMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pending.delete(correlation)) reject(new AskTimeoutError(target, timeoutMs));
      }, timeoutMs);
      this.pending.set(correlation, { node, incarnation, resolve: resolve as (value: unknown) => void, reject, timer });
    });
  }

  /** Resolves the query; false when none waits for `correlation` (late or duplicate reply). */
  settle(correlation: number, value: unknown): boolean {
    const entry = this.take(correlation);
    entry?.resolve(value);
    return entry !== undefined;
  }

  /** Rejects the query with `error`; false when none waits for `correlation`. */
  fail(correlation: number, error: Error): boolean {
    const entry = this.take(correlation);
    entry?.reject(error);
    return entry !== undefined;
  }

  /** Fails every query to `node` sent while its incarnation was `incarnation` or older; how many. */
  failNode(node: string, incarnation: number, error: () => Error): number {
    let failed = 0;
    for (const [correlation, entry] of this.pending) {
      if (entry.node !== node || (entry.incarnation !== undefined && entry.incarnation > incarnation)) continue;
      this.take(correlation)?.reject(error());
      failed++;
    }
    return failed;
  }

  failAll(error: () => Error): void {
    for (const correlation of [...this.pending.keys()]) this.take(correlation)?.reject(error());
  }

  get size(): number {
    return this.pending.size;
  }

  private take(correlation: number): Pending | undefined {
    const entry = this.pending.get(correlation);
    if (!entry) return undefined;
    this.pending.delete(correlation);
    entry.timer.cancel();
    return entry;
  }
}
