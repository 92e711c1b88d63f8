/**
 * How many virtual children of one kind may be active on a node at once
 * (VirtualKindSpec.activeLimit), across every parent that declares the kind: past the limit,
 * an activation passivates the least recently used idle ones at once instead of waiting for their
 * idle time, as Akka Cluster Sharding's active-entity limit does with its LRU replacement.
 *
 * Why: a burst of work activates children faster than idle time retires them. At 50k instances
 * the control node's live heap was 8.95 KB per instance with every instance active right after a
 * fill and 3.1 KB once they had passivated (issue 14): the limit bounds the difference.
 */

import type { Clock, Timer } from '../../base/clock.js';

/**
 * Children looked at by the trim an activation runs at once: enough when the least recently used
 * are idle (the common case), cheap when they are busy. Checking one costs microseconds (nact
 * finds an actor by walking its path), and a burst activates thousands per turn: a scan of 2,000
 * per activation, when 20k busy children were over the limit, stalled a control node for minutes.
 */
const SCAN_AT_ACTIVATION = 4;
/**
 * Still over the limit, a trim runs this much later, looking at the excess plus 32 children, at
 * most 1,000; after a trim that passivated none (every one looked at was busy) the wait doubles,
 * up to a second, so thousands of busy children over the limit cost little.
 */
const RETRY_MS = 50;
const MAX_RETRY_MS = 1_000;
const SCAN_SLACK = 32;
const MAX_SCAN = 1_000;

/** One active child: `shed` passivates it now if its state allows (true), else leaves it active. */
export type Shed = () => boolean;

export class ActiveBudget {
  /** every active child of the kind, least recently used first (a Map keeps insertion order) */
  private readonly lru = new Map<object, Shed>();
  private shedCount = 0;
  private checkedCount = 0;
  private retry: Timer | undefined;
  private retryMs = RETRY_MS;

  constructor(
    readonly kind: string,
    readonly limit: number,
    private readonly clock: Clock,
  ) {
    if (!(limit > 0)) throw new Error(`activeLimit of ${kind} must be > 0`);
  }

  get active(): number {
    return this.lru.size;
  }

  /** how many children were passivated to keep within the limit */
  get shed(): number {
    return this.shedCount;
  }

  /** how many times a child was looked at to keep within the limit (what trimming cost) */
  get checked(): number {
    return this.checkedCount;
  }

  /** A child was activated; past the limit, the least recently used idle ones are passivated. */
  add(child: object, shed: Shed): void {
    this.lru.set(child, shed);
    if (this.lru.size <= this.limit) return;
    this.trim(SCAN_AT_ACTIVATION, child);
    this.retryLater();
  }

  /** The child handled a message: it becomes the most recently used. */
  touch(child: object): void {
    const shed = this.lru.get(child);
    if (shed === undefined) return;
    this.lru.delete(child);
    this.lru.set(child, shed);
  }

  /** The child stopped (passivated, removed, crashed for good). */
  delete(child: object): void {
    this.lru.delete(child);
  }

  /**
   * Passivates from the least recently used end until within the limit, looking at `scan`
   * children at most; a child with work in progress goes to the back. How many it passivated.
   */
  private trim(scan: number, spare?: object): number {
    let scanned = 0;
    let shedNow = 0;
    for (const [child, shed] of this.lru) {
      if (this.lru.size <= this.limit || scanned++ >= scan) break;
      if (child === spare) continue;
      this.checkedCount += 1;
      if (shed()) {
        this.lru.delete(child);
        shedNow += 1;
      } else this.touch(child);
    }
    this.shedCount += shedNow;
    return shedNow;
  }

  /** Still over the limit: a larger trim a little later (and again, backing off while none can go). */
  private retryLater(): void {
    if (this.lru.size <= this.limit || this.retry) return;
    this.retry = this.clock.setTimeout(() => {
      this.retry = undefined;
      if (this.lru.size <= this.limit) return;
      const shed = this.trim(Math.min(MAX_SCAN, this.lru.size - this.limit + SCAN_SLACK));
      this.retryMs = shed > 0 ? RETRY_MS : Math.min(MAX_RETRY_MS, this.retryMs * 2);
      this.retryLater();
    }, this.retryMs);
  }
}
