/**
 * Keeps a RouteTable current from the control side: subscribe to the event stream first,
 * buffering, then take a snapshot of DesiredLRPs and ActualLRPs, load it and replay what was
 * buffered meanwhile; from then on each event is applied as it comes. Nothing is missed, and
 * replaying events older than the snapshot is harmless (route-table.ts). A failed snapshot (an
 * ask timing out while the control side is busy) is retried.
 */
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from '../base/logger.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctorEvent } from '../models/events.js';
import { RouteTable } from './route-table.js';

/** What the router needs from the control side (`Control` and its `EventHub` satisfy it). */
export interface RouteSource {
  /** every change, in the order it was made durable */
  readonly events$: Observable<AuctorEvent>;
  /** every DesiredLRP */
  lrps(): Promise<DesiredLRP[]>;
  /** every ActualLRP row, all presences */
  actualLrps(): Promise<ActualLRP[]>;
}

export interface RouteFeed {
  readonly table: RouteTable;
  /** true once the first snapshot is in */
  readonly ready: boolean;
  /** resolves when `ready` turns true */
  readonly loaded: Promise<void>;
  /** unsubscribes and stops retrying */
  dispose(): void;
}

export function followRoutes(source: RouteSource, log: Logger, retryMs = 1_000): RouteFeed {
  const table = new RouteTable();
  let buffer: AuctorEvent[] | undefined = [];
  let disposed = false;
  let timer: NodeJS.Timeout | undefined;
  let markLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  const subscription: Subscription = source.events$.subscribe((event) => {
    if (buffer) buffer.push(event);
    else table.apply(event);
  });

  const load = async (): Promise<void> => {
    // events from before this attempt are in the snapshot it takes
    buffer = [];
    try {
      const [desired, actuals] = await Promise.all([source.lrps(), source.actualLrps()]);
      if (disposed) return;
      table.load(desired, actuals);
      for (const event of buffer) table.apply(event);
      buffer = undefined;
      log.debug({ hostnames: table.hostnames().length }, 'router.loaded-routes');
      markLoaded();
    } catch (error) {
      if (disposed) return;
      log.warn({ error: (error as Error).message, retry_ms: retryMs }, 'router.failed-to-load-routes');
      timer = setTimeout(() => void load(), retryMs);
      timer.unref();
    }
  };
  void load();

  return {
    table,
    get ready() {
      return buffer === undefined;
    },
    loaded,
    dispose() {
      disposed = true;
      clearTimeout(timer);
      subscription.unsubscribe();
    },
  };
}
