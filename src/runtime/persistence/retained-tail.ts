/** The replication log's trimming (replication-log.ts). */

/** How long {@link RetainedTail.keepFrom} keeps entries without being renewed (a standby gone meanwhile no longer holds them). */
const KEEP_MS = 30_000;

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
  /** entries kept from an LSN on for a while, whatever `retain` says (see {@link keepFrom}) */
  private readonly floors = new Map<object, { lsn: number; until: number }>();

  constructor(
    private readonly retain: number,
    first: number,
    last: number,
  ) {
    this.oldFirst = first;
    this.oldCount = this.ops = Math.max(0, last - first + 1);
  }

  /**
   * Keeps the entries from `lsn` on (none trimmed) for `owner` for `ms` (renewed by each call), or
   * no longer when `lsn` is undefined.
   */
  keepFrom(owner: object, lsn: number | undefined, ms = KEEP_MS): void {
    if (lsn === undefined) this.floors.delete(owner);
    else this.floors.set(owner, { lsn, until: Date.now() + ms });
  }

  /**
   * Adds entry `lsn` of `ops` writes; returns the LSNs to remove: the oldest below the floors
   * kept, while the rest still hold `retain` writes.
   */
  add(lsn: number, ops: number): number[] {
    const floor = this.floor();
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

  /** The log was emptied; its next entry is `next` (the floors kept stay). */
  reset(next: number): void {
    this.known.length = this.head = this.oldCount = this.ops = 0;
    this.oldFirst = next;
  }

  private floor(): number {
    let floor = Number.POSITIVE_INFINITY;
    if (this.floors.size === 0) return floor;
    const now = Date.now();
    for (const [owner, { lsn, until }] of this.floors) {
      if (until < now) this.floors.delete(owner);
      else floor = Math.min(floor, lsn);
    }
    return floor;
  }
}
