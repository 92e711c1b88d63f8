/**
 * BBS `CheckDefinition` (DIEGO.md 1.5): declarative startup/liveness `checks` and `readiness_checks`,
 * each entry exactly one of `tcp_check` or `http_check` on a container port 1..65535, its
 * timeouts and interval 0..2^31-1 ms (0 = the default; they become timers). The shapes
 * match `src/executor/health/check-definition.ts`, which runs them; this module only describes and
 * validates them (models never import garden).
 */
import { TIMER_MS } from './limits.js';
import { Fields, PORT_RANGE, asRecord, compact, reject } from './validation.js';

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

/** Validates `check_definition` at `path`; throws the field's `InvalidRequest` error (use inside `validating`). */
export function checkCheckDefinition(value: unknown, path: string): CheckDefinition {
  const fields = new Fields(asRecord(value, path), path);
  const checks = (fields.array('checks') ?? []).map((entry, i) => checkEntry(entry, `${fields.path('checks')}[${i}]`));
  const readiness = fields.array('readiness_checks')?.map((entry, i) => checkEntry(entry, `${fields.path('readiness_checks')}[${i}]`));
  const logSource = fields.string('log_source');
  return {
    checks,
    ...(readiness !== undefined ? { readiness_checks: readiness } : {}),
    ...(logSource !== undefined ? { log_source: logSource } : {}),
  };
}

function checkEntry(value: unknown, path: string): CheckEntry {
  const fields = new Fields(asRecord(value, path), path);
  const tcp = fields.object('tcp_check');
  const http = fields.object('http_check');
  if ((tcp === undefined) === (http === undefined)) reject(path, 'must have exactly one of tcp_check, http_check');
  if (tcp) {
    const check = new Fields(tcp, fields.path('tcp_check'));
    return {
      tcp_check: compact({
        port: check.requiredInt('port', PORT_RANGE),
        connect_timeout_ms: check.int('connect_timeout_ms', TIMER_MS),
        interval_ms: check.int('interval_ms', TIMER_MS),
      }),
    };
  }
  const check = new Fields(http!, fields.path('http_check'));
  return {
    http_check: compact({
      port: check.requiredInt('port', PORT_RANGE),
      path: check.string('path'),
      request_timeout_ms: check.int('request_timeout_ms', TIMER_MS),
      interval_ms: check.int('interval_ms', TIMER_MS),
    }),
  };
}
