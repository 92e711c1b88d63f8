/**
 * BBS `CheckDefinition` (DIEGO.md 1.5): declarative startup/liveness `checks` and `readiness_checks`,
 * each entry exactly one of `tcp_check` or `http_check` on a container port 1..65535, its
 * timeouts and interval 0..2^31-1 ms (0 = the default; they become timers). The shapes
 * match `src/executor/health/check-definition.ts`, which runs them; this module only describes them
 * (models never import garden). The `CheckDefinition` schema (`schemas.ts`) validates them.
 */
import { schemaFields } from './schema-check.js';

/** BBS `TCPCheck`. */
export interface TcpCheck {
  port: number;
  /** default 1000 */
  connect_timeout_ms?: number;
  /** liveness period; default the healthy interval */
  interval_ms?: number;
}

/** BBS `HTTPCheck`. */
export interface HttpCheck {
  port: number;
  /** default `/` */
  path?: string;
  /** default 1000 */
  request_timeout_ms?: number;
  /** liveness period; default the healthy interval */
  interval_ms?: number;
}

/** One BBS `Check`: exactly one of the two. */
export type CheckEntry = { tcp_check: TcpCheck; http_check?: undefined } | { http_check: HttpCheck; tcp_check?: undefined };

/** BBS `CheckDefinition`. */
export interface CheckDefinition {
  /** startup then liveness checks */
  checks: CheckEntry[];
  /** toggle `routable` without crashing */
  readiness_checks?: CheckEntry[];
  /** default `HEALTH` */
  log_source?: string;
}

type Json = Record<string, unknown>;

/**
 * A `check_definition` the schema accepted, as stored: `checks` always present, each entry its
 * one set kind with the fields the schema names, null fields dropped.
 */
export function checkDefinitionOf(value: Json): CheckDefinition {
  const entries = (list: unknown): CheckEntry[] => (list as Json[]).map((entry) => (
    entry['tcp_check'] !== undefined && entry['tcp_check'] !== null
      ? { tcp_check: schemaFields('TcpCheck', entry['tcp_check'] as Json) as unknown as TcpCheck }
      : { http_check: schemaFields('HttpCheck', entry['http_check'] as Json) as unknown as HttpCheck }));
  const readiness = value['readiness_checks'];
  const logSource = value['log_source'];
  return {
    checks: entries(value['checks'] ?? []),
    ...(readiness !== undefined && readiness !== null ? { readiness_checks: entries(readiness) } : {}),
    ...(logSource !== undefined && logSource !== null ? { log_source: logSource as string } : {}),
  };
}
