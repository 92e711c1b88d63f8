/**
 * Durable timers (docs/011 "Virtual actors"): a message scheduled for an actor's path that
 * survives the actor's passivation and the node's restart, because it is kept in the runtime's
 * key space of the persistence engine (../persistence/runtime-store.ts), not in a closure.
 *
 * Two records per timer: `timer/at/<due>/<path>#<id>` orders every timer by its due time, so one
 * clock timer armed for the earliest serves them all (250k children waiting for a backoff cost
 * one clock timer and no heap); `timer/of/<path>#<id>` finds a path's timers (cancel, listing).
 * When due, the message is delivered by path through the kernel (a passive virtual child is
 * activated), then both records go. Delivery is at least once: a node that dies between the
 * two delivers it again after its restart.
 *
 * A timer whose path has no actor yet (its parent has not declared its virtual children again
 * after a restart) is parked: only its `of` record stays, and it fires when that parent declares
 * them ({@link DurableTimers.fireParked}).
 */
import type { Clock, Timer } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { RuntimeStore } from '../persistence/runtime-store.js';
import type { Delivery } from './delivery.js';

const DUE = 'timer/at/';
const OF = 'timer/of/';
const PAGE = 256;
/** due times padded to this many digits, so they sort as strings */
const DIGITS = 15;

interface DueRecord {
  path: string;
  id: string;
  msg: unknown;
}

interface OfRecord {
  at: number;
  msg: unknown;
  /** set when it was due but its path had no actor */
  parked?: true;
}

/** One pending timer of a path. */
export interface DurableTimerInfo {
  id: string;
  /** ms since the epoch */
  at: number;
  parked: boolean;
}

const dueKey = (at: number, path: string, id: string) => `${DUE}${String(Math.max(0, Math.floor(at))).padStart(DIGITS, '0')}/${path}#${id}`;
const ofKey = (path: string, id: string) => `${OF}${path}#${id}`;

export class DurableTimers {
  private armed: Timer | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private firing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: RuntimeStore,
    private readonly clock: Clock,
    private readonly deliver: (path: string, msg: unknown) => Delivery,
    private readonly log: Logger,
  ) {}

  /** Arms the clock for the earliest stored timer (those already due fire at once). */
  start(): void {
    this.arm();
  }

  /**
   * Schedules `msg` for the actor at `path` in `delayMs`, under `id` (a timer of the same path
   * and id is replaced). Resolves once it is durable.
   */
  async schedule(path: string, id: string, delayMs: number, msg: unknown): Promise<void> {
    if (path.includes('#') || id.includes('#')) throw new Error(`durable timer: bad path or id "${path}" "${id}"`);
    const at = this.clock.now() + Math.max(0, delayMs);
    const writes = [this.dropDue(path, id), this.store.put(dueKey(at, path, id), { path, id, msg } satisfies DueRecord), this.store.put(ofKey(path, id), { at, msg } satisfies OfRecord)];
    await Promise.all(writes);
    if (at < this.armedAt && !this.firing) this.arm();
  }

  /** Cancels the timer `id` of `path`; false when there was none. Resolves once durable. */
  async cancel(path: string, id: string): Promise<boolean> {
    const of = this.store.get<OfRecord>(ofKey(path, id));
    if (!of) return false;
    await Promise.all([this.dropDue(path, id), this.store.remove(ofKey(path, id))]);
    return true;
  }

  /** The pending timers of `path`. */
  of(path: string): DurableTimerInfo[] {
    return this.store.range<OfRecord>(`${OF}${path}#`).map(({ key, value }) => ({ id: key.slice(key.lastIndexOf('#') + 1), at: value.at, parked: !!value.parked }));
  }

  /** Fires the parked timers of the children of `parent` (it has just declared its virtual children). */
  fireParked(parent: string): void {
    const prefix = `${OF}${parent}/`;
    let after: string | undefined;
    for (;;) {
      const page = this.store.range<OfRecord>(prefix, { ...(after === undefined ? {} : { after }), limit: PAGE });
      for (const { key, value } of page) {
        if (!value.parked) continue;
        const cut = key.lastIndexOf('#');
        const path = key.slice(OF.length, cut);
        if (this.deliver(path, value.msg) !== 'no-such-actor') void this.store.remove(key).catch((error: unknown) => this.failed(error));
      }
      if (page.length < PAGE) return;
      after = page[page.length - 1]!.key;
    }
  }

  /** Disarms the clock (the system is shutting down); what is stored stays. */
  stop(): void {
    this.stopped = true;
    this.armed?.cancel();
    this.armed = undefined;
  }

  private dropDue(path: string, id: string): Promise<void> {
    const of = this.store.get<OfRecord>(ofKey(path, id));
    return of && !of.parked ? this.store.remove(dueKey(of.at, path, id)) : Promise.resolve();
  }

  /**
   * Arms one clock timer for the earliest stored timer. One already due fires on the next turn
   * of the event loop, not at the clock's next tick: its record may have become durable (and so
   * visible) only after its due time, and a clock that does not move on its own (a fake one, a
   * test's) would otherwise never fire it.
   */
  private arm(): void {
    this.armed?.cancel();
    this.armed = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    if (this.stopped) return;
    const first = this.store.range<DueRecord>(DUE, { limit: 1 })[0];
    if (!first) return;
    const at = Number(first.key.slice(DUE.length, DUE.length + DIGITS));
    this.armedAt = at;
    const fire = () => {
      this.armed = undefined;
      this.firing ??= this.fireDue().finally(() => {
        this.firing = undefined;
        this.arm();
      });
    };
    const delay = at - this.clock.now();
    if (delay > 0) {
      this.armed = this.clock.setTimeout(fire, delay);
      return;
    }
    const due = setImmediate(fire);
    this.armed = { cancel: () => clearImmediate(due) };
  }

  /** Delivers every due timer, then waits for their records to be removed. */
  private async fireDue(): Promise<void> {
    const now = this.clock.now();
    const writes: Array<Promise<void>> = [];
    let after: string | undefined;
    for (;;) {
      const page = this.store.range<DueRecord>(DUE, { ...(after === undefined ? {} : { after }), limit: PAGE });
      for (const { key, value } of page) {
        if (Number(key.slice(DUE.length, DUE.length + DIGITS)) > now) return this.settle(writes);
        const delivery = this.deliver(value.path, value.msg);
        writes.push(this.store.remove(key));
        // removed synchronously after delivery: a handler that schedules the same id again writes after this
        if (delivery === 'no-such-actor') writes.push(this.store.put(ofKey(value.path, value.id), { at: now, msg: value.msg, parked: true } satisfies OfRecord));
        else writes.push(this.store.remove(ofKey(value.path, value.id)));
      }
      if (page.length < PAGE) return this.settle(writes);
      after = page[page.length - 1]!.key;
    }
  }

  private async settle(writes: Array<Promise<void>>): Promise<void> {
    for (const result of await Promise.allSettled(writes)) if (result.status === 'rejected') this.failed(result.reason);
  }

  private failed(error: unknown): void {
    this.log.error({ error: error instanceof Error ? error.message : String(error) }, 'timer.write-failed');
  }
}
