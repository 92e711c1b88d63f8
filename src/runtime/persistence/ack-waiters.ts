/**
 * The primary's writes waiting for their LSN to be acknowledged (replicator.ts). They are kept
 * sorted by LSN (they nearly always come in order), so an acknowledgement, cumulative by LSN,
 * resolves a prefix of them.
 */
interface Waiter {
  lsn: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class AckWaiters {
  private waiters: Waiter[] = [];

  /** Resolves once {@link acknowledge} reaches `lsn`; rejects with {@link failAll}'s error. */
  wait(lsn: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.lsn > lsn) at--;
      this.waiters.splice(at, 0, { lsn, resolve, reject });
    });
  }

  /** Every LSN up to `lsn` is acknowledged. */
  acknowledge(lsn: number): void {
    let done = 0;
    while (done < this.waiters.length && this.waiters[done]!.lsn <= lsn) this.waiters[done++]!.resolve();
    if (done > 0) this.waiters.splice(0, done);
  }

  /** No waiting write will be acknowledged (this node stepped down, or closed). */
  failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
