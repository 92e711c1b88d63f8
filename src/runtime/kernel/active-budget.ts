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

/** Children looked at per trim beyond the excess, and at most in all: a trim stays cheap when the oldest are busy. */
const SCAN_SLACK = 32;
const MAX_SCAN = 2_000;
/**
 * Still over the limit after a trim (the oldest had work in progress: a burst activates children
 * busy until their work is done), it tries again this much later, as they become idle.
 */
const RETRY_MS = 50;

/** One active child: `shed` passivates it now if its state allows (true), else leaves it active. */
export type Shed = () => boolean;

export class ActiveBudget {
  /** every active child of the kind, least recently used first (a Map keeps insertion order) */
  private readonly lru = new Map<object, Shed>();
  private shedCount = 0;
  private retry: Timer | undefined;

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

  /** A child was activated; past the limit, the least recently used idle ones are passivated. */
  add(child: object, shed: Shed): void {
    this.lru.set(child, shed);
    if (this.lru.size > this.limit) this.trim(child);
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
   * Passivates from the least recently used end until within the limit; a child with work in
   * progress goes to the back. Still over, it tries again a little later.
   */
  private trim(spare?: object): void {
    const budget = Math.min(MAX_SCAN, this.lru.size - this.limit + SCAN_SLACK);
    let scanned = 0;
    for (const [child, shed] of this.lru) {
      if (this.lru.size <= this.limit || scanned++ >= budget) break;
      if (child === spare) continue;
      if (shed()) {
        this.lru.delete(child);
        this.shedCount += 1;
      } else this.touch(child);
    }
    if (this.lru.size > this.limit && !this.retry) {
      this.retry = this.clock.setTimeout(() => {
        this.retry = undefined;
        if (this.lru.size > this.limit) this.trim();
      }, RETRY_MS);
    }
  }
}
