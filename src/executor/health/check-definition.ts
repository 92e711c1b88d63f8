/**
 * A DesiredLRP's `check_definition` (BBS, DIEGO.md 1.5) made runnable against one container:
 * each check's container port is looked up in the container's port mappings and checked on the
 * cell's side at `host:hostPort`.
 *
 * - Startup: every check must pass; they run together each round, and the reason of the first
 *   failing one in definition order is reported. (Diego runs each startup check in its own
 *   loop until it passes; re-running passed checks each round is simpler and only stricter.)
 * - Liveness: one loop per check at its own `interval_ms` (else the monitor's healthy interval);
 *   the first failure of any is reported.
 * - A container port with no host port mapped fails the check with a reason that says so,
 *   rather than throwing: the instance crashes with a reason the user can act on.
 */
import type { PortMapping } from '../../garden/backend.js';
import { AuctorError } from '../../base/errors.js';
import { failed, httpCheck, ok, tcpCheck, type HealthCheck } from './checks.js';
import type { LivenessCheck } from './monitor.js';

/** BBS `TCPCheck`. */
export interface TcpCheckDefinition {
  port: number;
  /** default 1000 */
  connect_timeout_ms?: number;
  /** liveness period; default the healthy interval */
  interval_ms?: number;
}

/** BBS `HTTPCheck`. */
export interface HttpCheckDefinition {
  port: number;
  /** default `/` */
  path?: string;
  /** default 1000 */
  request_timeout_ms?: number;
  /** liveness period; default the healthy interval */
  interval_ms?: number;
}

/** One BBS `Check`: exactly one of the two. */
export type CheckEntry =
  | { tcp_check: TcpCheckDefinition; http_check?: undefined }
  | { http_check: HttpCheckDefinition; tcp_check?: undefined };

/** BBS `CheckDefinition` (readiness checks are not handled here). */
export interface CheckDefinition {
  checks: CheckEntry[];
  /** default `HEALTH` */
  log_source?: string;
}

/** Where the container's ports are reachable from the cell. */
export interface CheckTarget {
  host: string;
  ports: PortMapping[];
}

export interface DefinedChecks {
  /** every check at once: passes when all pass, else reports the first failing in definition order */
  check: HealthCheck;
  /** one liveness loop per check, at its `interval_ms` when it has one */
  liveness: LivenessCheck[];
}

/**
 * Builds the checks for one container. Throws `InvalidRequest` for an entry that has neither or
 * both of `tcp_check` and `http_check` (BBS validation refuses those, so one here is a bug).
 * An empty `checks` list passes at once and has no liveness loop.
 */
export function checksFromDefinition(definition: CheckDefinition, target: CheckTarget): DefinedChecks {
  const each = definition.checks.map((entry, i) => ({ check: checkFor(entry, i, target), intervalMs: intervalOf(entry) }));
  const check: HealthCheck = async (signal) => {
    const results = await Promise.all(each.map(({ check }) => check(signal)));
    return results.find((result) => !result.ok) ?? ok;
  };
  return { check, liveness: each.map(({ check, intervalMs }) => (intervalMs ? { check, intervalMs } : { check })) };
}

function checkFor(entry: CheckEntry, i: number, { host, ports }: CheckTarget): HealthCheck {
  const hostPortOf = (port: number) => ports.find((mapping) => mapping.containerPort === port)?.hostPort;
  if (entry.tcp_check && !entry.http_check) {
    const { port, connect_timeout_ms } = entry.tcp_check;
    const hostPort = hostPortOf(port);
    if (hostPort === undefined) return unmapped(`failed to make TCP connection to port ${port}`, port);
    return (signal) => tcpCheck({ host, hostPort, connectTimeoutMs: connect_timeout_ms || undefined }, signal);
  }
  if (entry.http_check && !entry.tcp_check) {
    const { port, request_timeout_ms } = entry.http_check;
    const path = entry.http_check.path || '/';
    const hostPort = hostPortOf(port);
    if (hostPort === undefined) return unmapped(`failed to make HTTP request to '${path}' on port ${port}`, port);
    return (signal) => httpCheck({ host, hostPort, port, path, requestTimeoutMs: request_timeout_ms || undefined }, signal);
  }
  throw new AuctorError('InvalidRequest', `invalid field: check_definition.checks[${i}]: needs exactly one of tcp_check, http_check`);
}

function unmapped(prefix: string, port: number): HealthCheck {
  const result = failed(`${prefix}: container port ${port} is not mapped to a host port`);
  return async () => result;
}

function intervalOf(entry: CheckEntry): number | undefined {
  const intervalMs = (entry.tcp_check ?? entry.http_check)?.interval_ms;
  return intervalMs && intervalMs > 0 ? intervalMs : undefined;
}
