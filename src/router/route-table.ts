/**
 * The router's table (Diego's route-emitter and gorouter's registry in one pure structure):
 * hostname → backends, built from DesiredLRPs (`routes["cf-router"] = [{hostnames, port}]`) and
 * ActualLRPs (`address` + the `host_port` mapped to that container `port`).
 *
 * A row serves when it is RUNNING, not marked `routable: false` (readiness-gated routing), and
 * ORDINARY, EVACUATING (keeps serving until it is stopped, DIEGO.md 3.8) or SUSPECT (its cell
 * missed heartbeats but may well be serving; Diego keeps routing to it, DIEGO.md 3.7; a dead one
 * costs the router a refused connection and a retry on the next backend).
 *
 * Events carry whole rows, so applying one is a set or a delete: replaying events older than a
 * snapshot converges to the newest state (the feed relies on this).
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctorEvent } from '../models/events.js';

/** Where one request may go. */
export interface Backend {
  address: string;
  host_port: number;
  process_guid: string;
  index: number;
  instance_guid: string;
}

/** One `cf-router` entry, hostnames normalized. */
export interface CfRoute {
  hostnames: string[];
  port: number;
}

/** `Web.Example.:8080` → `web.example`; `[::1]:80` → `::1`. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end < 0 ? h.slice(1) : h.slice(1, end);
  } else {
    const colon = h.indexOf(':');
    // a bare IPv6 address has several colons and no port
    if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The well-formed `cf-router` entries of opaque `routes`; anything else is ignored. */
export function cfRoutes(routes: Readonly<Record<string, unknown>> | undefined): CfRoute[] {
  const entries = routes?.['cf-router'];
  if (!Array.isArray(entries)) return [];
  const out: CfRoute[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { hostnames, port } = entry as { hostnames?: unknown; port?: unknown };
    if (!Array.isArray(hostnames) || typeof port !== 'number' || !Number.isInteger(port)) continue;
    const names = hostnames.filter((h): h is string => typeof h === 'string' && h.trim() !== '').map(normalizeHost);
    if (names.length > 0) out.push({ hostnames: [...new Set(names)], port });
  }
  return out;
}

/** Whether a row takes requests. */
export function serves(actual: ActualLRP): boolean {
  return actual.state === 'RUNNING' && actual.routable !== false && actual.address !== '';
}

const PRESENCE_ORDER = { ORDINARY: 0, EVACUATING: 1, SUSPECT: 2 } as const;

function rowKey(actual: ActualLRP): string {
  return `${actual.index}/${actual.presence}`;
}

export class RouteTable {
  /** process_guid → its cf-router routes */
  private readonly routes = new Map<string, CfRoute[]>();
  /** hostname → the process guids that claim it */
  private readonly hosts = new Map<string, Set<string>>();
  /** process_guid → `index/presence` → a serving row */
  private readonly rows = new Map<string, Map<string, ActualLRP>>();
  /** hostname → backends, dropped when anything behind the hostname changes */
  private readonly cache = new Map<string, Backend[]>();

  /** Replaces the whole table with a snapshot. */
  load(desired: readonly DesiredLRP[], actuals: readonly ActualLRP[]): void {
    this.routes.clear();
    this.hosts.clear();
    this.rows.clear();
    this.cache.clear();
    for (const d of desired) this.setDesired(d);
    for (const a of actuals) this.setActual(a);
  }

  /** Applies one change; events that do not concern routing are ignored. */
  apply(event: AuctorEvent): void {
    switch (event.type) {
      case 'desired_lrp_created':
        return this.setDesired(event.data.desired_lrp);
      case 'desired_lrp_changed':
        return this.setDesired(event.data.after);
      case 'desired_lrp_removed':
        // its rows are removed by their own events; dropping them now stops routing at once
        this.removeDesired(event.data.desired_lrp.process_guid);
        this.rows.delete(event.data.desired_lrp.process_guid);
        return;
      case 'actual_lrp_instance_created':
        return this.setActual(event.data.actual_lrp);
      case 'actual_lrp_instance_changed':
        if (rowKey(event.data.before) !== rowKey(event.data.after)) this.removeActual(event.data.before);
        return this.setActual(event.data.after);
      case 'actual_lrp_instance_removed':
        return this.removeActual(event.data.actual_lrp);
      default:
        return;
    }
  }

  /**
   * The backends for a Host header value, in a stable order (process guid, index, presence).
   * `undefined` when no LRP claims the hostname; `[]` when one does but nothing serves it.
   */
  lookup(host: string): readonly Backend[] | undefined {
    const name = normalizeHost(host);
    const guids = this.hosts.get(name);
    if (!guids) return undefined;
    let backends = this.cache.get(name);
    if (!backends) {
      backends = [];
      for (const guid of [...guids].sort()) {
        const ports = this.routes.get(guid)!.filter((r) => r.hostnames.includes(name)).map((r) => r.port);
        const rows = [...(this.rows.get(guid)?.values() ?? [])].sort((a, b) => a.index - b.index || PRESENCE_ORDER[a.presence] - PRESENCE_ORDER[b.presence]);
        for (const row of rows) {
          for (const port of new Set(ports)) {
            const mapping = row.ports.find((p) => p.container_port === port);
            if (mapping) backends.push({ address: row.address, host_port: mapping.host_port, process_guid: guid, index: row.index, instance_guid: row.instance_guid });
          }
        }
      }
      this.cache.set(name, backends);
    }
    return backends;
  }

  /** Every routed hostname, sorted. */
  hostnames(): string[] {
    return [...this.hosts.keys()].sort();
  }

  private setDesired(desired: DesiredLRP): void {
    this.removeDesired(desired.process_guid);
    const routes = cfRoutes(desired.routes);
    if (routes.length === 0) return;
    this.routes.set(desired.process_guid, routes);
    for (const route of routes) {
      for (const name of route.hostnames) {
        const guids = this.hosts.get(name) ?? new Set<string>();
        guids.add(desired.process_guid);
        this.hosts.set(name, guids);
        this.cache.delete(name);
      }
    }
  }

  private removeDesired(guid: string): void {
    for (const route of this.routes.get(guid) ?? []) {
      for (const name of route.hostnames) {
        const guids = this.hosts.get(name);
        guids?.delete(guid);
        if (guids?.size === 0) this.hosts.delete(name);
        this.cache.delete(name);
      }
    }
    this.routes.delete(guid);
  }

  private setActual(actual: ActualLRP): void {
    if (!serves(actual)) return this.removeActual(actual);
    const rows = this.rows.get(actual.process_guid) ?? new Map<string, ActualLRP>();
    rows.set(rowKey(actual), actual);
    this.rows.set(actual.process_guid, rows);
    this.invalidate(actual.process_guid);
  }

  private removeActual(actual: ActualLRP): void {
    const rows = this.rows.get(actual.process_guid);
    if (!rows?.delete(rowKey(actual))) return;
    if (rows.size === 0) this.rows.delete(actual.process_guid);
    this.invalidate(actual.process_guid);
  }

  private invalidate(guid: string): void {
    for (const route of this.routes.get(guid) ?? []) for (const name of route.hostnames) this.cache.delete(name);
  }
}
