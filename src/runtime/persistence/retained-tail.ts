/** The replication log's trimming (replication-log.ts). */

/**
 * Which entries the log keeps: the newest ones holding about `retain` writes, and every one from
 * a floor a standby being copied needs (its copy's base + 1: without it, a copy that takes longer
 * than writing `retain` writes was followed by another, for ever). The write counts of the
 * entries written before this process opened the log are not known (reading them all would slow
 * the start): each counts as one, as when an entry held one write.
 */
export class RetainedTail {
  /** LSN and write count of each retained entry this process wrote, oldest first */
  private readonly known: Array<[lsn: number, ops: number]> = [];
  private head = 0;
  /** retained entries from before, first LSN and count (one write each) */
  private oldFirst: number;
  private oldCount: number;
  private ops: number;

  constructor(
    private readonly retain: number,
    first: number,
    last: number,
  ) {
    this.oldFirst = first;
    this.oldCount = this.ops = Math.max(0, last - first + 1);
  }

  /**
   * Adds entry `lsn` of `ops` writes; returns the LSNs to remove: the oldest below `floor`, while
   * the rest still hold `retain` writes.
   */
  add(lsn: number, ops: number, floor = Number.POSITIVE_INFINITY): number[] {
    this.known.push([lsn, ops]);
    this.ops += ops;
    const removed: number[] = [];
    while (this.oldCount > 0 && this.oldFirst < floor && this.ops - 1 >= this.retain) {
      removed.push(this.oldFirst++);
      this.oldCount--;
      this.ops--;
    }
    while (this.oldCount === 0 && this.known.length - this.head > 1 && this.known[this.head]![0] < floor && this.ops - this.known[this.head]![1] >= this.retain) {
      const [old, n] = this.known[this.head++]!;
      removed.push(old);
      this.ops -= n;
    }
    if (this.head > 1024 && this.head * 2 > this.known.length) this.known.splice(0, this.head), (this.head = 0);
    return removed;
  }

  /** The oldest LSN kept (as of the entries issued), or `next` when none is. */
  first(next: number): number {
    if (this.oldCount > 0) return this.oldFirst;
    return this.head < this.known.length ? this.known[this.head]![0] : next;
  }

  /** The log was emptied; its next entry is `next`. */
  reset(next: number): void {
    this.known.length = this.head = this.oldCount = this.ops = 0;
    this.oldFirst = next;
  }
}
