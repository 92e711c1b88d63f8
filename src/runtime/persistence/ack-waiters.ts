/**
 * The primary's writes waiting for their acknowledgement (replicator.ts): each resolves once the
 * LSN known acknowledged reaches its own. Kept sorted by LSN (they nearly always come in order),
 * so an acknowledgement resolves a prefix.
 */
interface Waiter {
  lsn: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class AckWaiters {
  private waiters: Waiter[] = [];

  /** Resolves once {@link acknowledged} reaches `lsn`; rejects on {@link failAll}. */
  wait(lsn: number): Promise<void> {
    // the writes of one log entry share its LSN, and so one promise
    const last = this.waiters[this.waiters.length - 1];
    if (last?.lsn === lsn) return last.promise;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    let at = this.waiters.length;
    while (at > 0 && this.waiters[at - 1]!.lsn > lsn) at--;
    this.waiters.splice(at, 0, { lsn, promise, resolve, reject });
    return promise;
  }

  /** Every write up to `lsn` is acknowledged. */
  acknowledged(lsn: number): void {
    let done = 0;
    while (done < this.waiters.length && this.waiters[done]!.lsn <= lsn) this.waiters[done++]!.resolve();
    if (done > 0) this.waiters.splice(0, done);
  }

  /** No write waiting now will be acknowledged here. */
  failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
