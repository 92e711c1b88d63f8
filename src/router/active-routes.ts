/**
 * Where a control group's routers read their routes (docs/054). A standby runs no control side,
 * so its router reads the active's gateway over HTTP (`remoteRouteSource`): the DesiredLRPs and
 * ActualLRPs it lists and its event stream (`GET /v1/events`, only the types that move routes).
 * The active is looked up each time a stream or a listing starts. When the node wins, its router
 * switches to its own control side (`SwitchableRouteSource`) without closing its port. Either
 * way the open stream errors, and the route feed (route-feed.ts) subscribes again and lists
 * again, routing by the last routes meanwhile: so a router in front of every control node keeps
 * routing through a failover.
 */
import { Observable, Subject } from 'rxjs';
import { readSse } from '../base/sse.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctorEvent } from '../models/events.js';
import type { RouteSource } from './route-feed.js';

export interface RemoteRouteOptions {
  /** the gateway to read (the active's `api`), undefined while there is none */
  api: () => string | undefined;
  /** the gateway's bearer token, if it asks for one */
  token?: string;
  /** ms a listing may take before it counts as failed (the feed retries); default 30 s */
  listTimeoutMs?: number;
}

/** The event types the route table applies (route-table.ts); the rest are not asked for. */
const ROUTING_TYPES = ['desired_lrp_created', 'desired_lrp_changed', 'desired_lrp_removed', 'actual_lrp_instance_created', 'actual_lrp_instance_changed', 'actual_lrp_instance_removed'];

export function remoteRouteSource(options: RemoteRouteOptions): RouteSource {
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const active = (): string => {
    const api = options.api();
    if (!api) throw new Error('no active control node');
    return api;
  };
  const list = async <T>(path: string): Promise<T[]> => {
    const url = `${active()}${path}`;
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(options.listTimeoutMs ?? 30_000) });
    if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    return (await response.json()) as T[];
  };

  const events$ = new Observable<AuctorEvent>((subscriber) => {
    const abort = new AbortController();
    void (async () => {
      const api = active();
      const url = `${api}/v1/events?types=${ROUTING_TYPES.join(',')}`;
      const response = await fetch(url, { headers, signal: abort.signal });
      if (!response.ok || !response.body) throw new Error(`GET ${url}: ${response.status}`);
      await readSse(response.body, (message) => {
        // a stream from an active that no longer is: its changes are the old term's, list again
        if (options.api() !== api) return abort.abort();
        subscriber.next({ type: message.event, data: JSON.parse(message.data) } as AuctorEvent);
      });
      throw new Error(abort.signal.aborted ? 'the active control node changed' : `the event stream from ${api} ended`);
    })().catch((error: Error) => {
      if (!subscriber.closed) subscriber.error(error);
    });
    return () => abort.abort();
  });

  return {
    events$,
    lrps: () => list<DesiredLRP>('/v1/desired_lrps'),
    actualLrps: () => list<ActualLRP>('/v1/actual_lrps'),
  };
}

/**
 * A route source that can be replaced while a router follows it: `switchTo` a new source, or
 * `reconnect` to the same one (a remote source whose active changed). Both end the open event
 * streams with an error, which the route feed answers by subscribing and listing again.
 */
export class SwitchableRouteSource implements RouteSource {
  private readonly changed = new Subject<string>();

  constructor(private current: RouteSource) {}

  readonly events$ = new Observable<AuctorEvent>((subscriber) => {
    const ended = this.changed.subscribe((why) => subscriber.error(new Error(why)));
    const inner = this.current.events$.subscribe(subscriber);
    return () => {
      ended.unsubscribe();
      inner.unsubscribe();
    };
  });

  lrps(): Promise<DesiredLRP[]> {
    return this.current.lrps();
  }

  actualLrps(): Promise<ActualLRP[]> {
    return this.current.actualLrps();
  }

  switchTo(source: RouteSource): void {
    this.current = source;
    this.changed.next('the route source changed');
  }

  reconnect(why: string): void {
    this.changed.next(why);
  }
}
