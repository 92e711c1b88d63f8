/**
 * Keeps a RouteTable current from the control side: subscribe to the event stream first,
 * buffering, then take a snapshot of DesiredLRPs and ActualLRPs, load it and replay what was
 * buffered meanwhile; from then on each event is applied as it comes. Nothing is missed, and
 * replaying events older than the snapshot is harmless (route-table.ts). A failed snapshot (an
 * ask timing out while the control side is busy) is retried. A stream that breaks or ends (a
 * remote source whose gateway went away, or that follows a new active: route-source-remote.ts)
 * is subscribed to again and the snapshot taken again; meanwhile the routes loaded last keep
 * routing, since the instances they name mostly still run.
 */
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../base/logger.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctorEvent } from '../models/events.js';
import { RouteTable } from './route-table.js';

/** What the router needs from the control side (`Control` and its `EventHub` satisfy it). */
export interface RouteSource {
  /** every change, in the order it was made durable; an error or the end means changes may have been missed */
  readonly events$: Observable<AuctorEvent>;
  /** every DesiredLRP */
  lrps(): Promise<DesiredLRP[]>;
  /** every ActualLRP row, all presences */
  actualLrps(): Promise<ActualLRP[]>;
}

export interface RouteFeed {
  readonly table: RouteTable;
  /** true once the first snapshot is in (and from then on: a reload keeps the last routes) */
  readonly ready: boolean;
  /** resolves when `ready` turns true */
  readonly loaded: Promise<void>;
  /** unsubscribes and stops retrying */
  dispose(): void;
}

export function followRoutes(source: RouteSource, log: Logger, retryMs = 1_000): RouteFeed {
  const table = new RouteTable();
  let buffer: AuctorEvent[] | undefined = [];
  let ready = false;
  let disposed = false;
  let timer: NodeJS.Timeout | undefined;
  let subscription: Subscription | undefined;
  // each subscription's own loads: one from a stream since lost must not apply
  let generation = 0;
  let markLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  const later = (fn: () => void) => {
    timer = setTimeout(fn, retryMs);
    timer.unref();
  };

  const load = async (mine: number): Promise<void> => {
    // events from before this attempt are in the snapshot it takes
    buffer = [];
    try {
      const [desired, actuals] = await Promise.all([source.lrps(), source.actualLrps()]);
      if (disposed || mine !== generation) return;
      table.load(desired, actuals);
      for (const event of buffer) table.apply(event);
      buffer = undefined;
      ready = true;
      log.debug({ hostnames: table.hostnames().length }, 'router.loaded-routes');
      markLoaded();
    } catch (error) {
      if (disposed || mine !== generation) return;
      log.warn({ error: (error as Error).message, retry_ms: retryMs }, 'router.failed-to-load-routes');
      later(() => void load(mine));
    }
  };
  const follow = (): void => {
    if (disposed) return;
    const mine = ++generation;
    buffer = [];
    const lost = (reason: string) => {
      if (disposed || mine !== generation) return;
      generation++; // its pending load, if any, no longer applies
      clearTimeout(timer);
      log.warn({ reason, retry_ms: retryMs, routing_with_last_routes: ready }, 'router.event-stream-lost');
      later(follow);
    };
    subscription?.unsubscribe();
    subscription = source.events$.subscribe({
      next: (event) => {
        if (mine !== generation) return;
        if (buffer) buffer.push(event);
        else table.apply(event);
      },
      error: (error: Error) => lost(error.message),
      complete: () => lost('the event stream ended'),
    });
    if (mine === generation) void load(mine);
  };
  follow();

  return {
    table,
    get ready() {
      return ready;
    },
    loaded,
    dispose() {
      disposed = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
    },
  };
}
