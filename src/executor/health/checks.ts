/**
 * The declarative health checks the cell runs against an LRP instance (Diego's `tcp_check` and
 * `http_check`, executor:depot/transformer + the `healthcheck` binary), from outside the
 * container, against the host port the container port is mapped to.
 *
 * Contract shared by every check (and by anything else plugged into the monitor): it never
 * throws and never rejects; it resolves `{ ok: true }` or `{ ok: false, reason }`, and resolves
 * promptly (reason ending in `canceled`) once its signal aborts. It leaves no socket or timer
 * behind once it has resolved. The reasons are Diego's texts, which users match on:
 *
 * | check | failure | reason |
 * |---|---|---|
 * | tcp | connect error | `failed to make TCP connection to <host>:<hostPort>: <node error>` e.g. `connect ECONNREFUSED 127.0.0.1:9090` |
 * | tcp | no connection in time | `failed to make TCP connection to <host>:<hostPort>: connection timed out after 1s` |
 * | http | any transport error | `failed to make HTTP request to '<path>' on port <port>: connection refused` |
 * | http | no response in time | `failed to make HTTP request to '<path>' on port <port>: timed out after 1s` |
 * | http | status other than 200 | `failed to make HTTP request to '<path>' on port <port>: received status code <code>` |
 *
 * `<port>` is the container port the user configured, not the host port. Like Diego's
 * healthcheck, every HTTP transport error that is not a timeout (refused, reset, hang-up) reads
 * `connection refused`.
 */
import http from 'node:http';
import net from 'node:net';
import { formatDuration } from '../../models/duration.js';

/** What one run of a check found. */
export type CheckResult = { ok: true } | { ok: false; reason: string };

/**
 * One run of a health check. Resolves (never rejects) with the result; resolves promptly once
 * `signal` aborts. The monitor (monitor.ts) takes any function of this shape: tcp/http checks,
 * a check definition's combined check, the legacy `monitor` action.
 */
export type HealthCheck = (signal: AbortSignal) => Promise<CheckResult>;

/** Diego's `DefaultDeclarativeHealthcheckRequestTimeout`. */
export const DEFAULT_CHECK_TIMEOUT_MS = 1000;

export interface TcpCheckOptions {
  /** the address the container's ports are reachable on from the cell */
  host: string;
  /** the host port mapped to the checked container port */
  hostPort: number;
  /** default 1000 */
  connectTimeoutMs?: number;
}

export interface HttpCheckOptions {
  host: string;
  /** where the request goes: the host port mapped to `port` */
  hostPort: number;
  /** the container port the user configured, named in reasons; default `hostPort` */
  port?: number;
  /** default `/` */
  path?: string;
  /** for the whole request, connect to status line; default 1000 */
  requestTimeoutMs?: number;
}

export const ok: CheckResult = Object.freeze({ ok: true });

export function failed(reason: string): CheckResult {
  return { ok: false, reason };
}

/** Healthy when a TCP connection to `host:hostPort` opens within the timeout; closes it at once. */
export function tcpCheck(options: TcpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const { host, hostPort, connectTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS } = options;
  const fail = (why: string) => failed(`failed to make TCP connection to ${host}:${hostPort}: ${why}`);
  if (signal?.aborted) return Promise.resolve(fail('canceled'));
  let socket: net.Socket;
  try {
    socket = net.connect({ host, port: hostPort });
  } catch (error) {
    return Promise.resolve(fail(errorText(error as Error))); // e.g. a port out of range
  }
  return new Promise((resolve) => {
    const settle = once((result: CheckResult) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    });
    const timer = setTimeout(() => settle(fail(`connection timed out after ${formatDuration(connectTimeoutMs)}`)), connectTimeoutMs);
    const onAbort = () => settle(fail('canceled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => settle(ok));
    // `on`, not `once`: an error after settling must not become an uncaught exception
    socket.on('error', (error) => settle(fail(errorText(error))));
  });
}

/**
 * Healthy when `GET http://host:hostPort<path>` answers 200 within the timeout. Uses no agent
 * and asks the server to close, reads (and drops) the body like Diego's check so the server sees
 * no reset, and destroys the socket before resolving.
 */
export function httpCheck(options: HttpCheckOptions, signal?: AbortSignal): Promise<CheckResult> {
  const { host, hostPort, port = hostPort, path = '/', requestTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS } = options;
  const fail = (why: string) => failed(`failed to make HTTP request to '${path}' on port ${port}: ${why}`);
  if (signal?.aborted) return Promise.resolve(fail('canceled'));
  let request: http.ClientRequest;
  try {
    request = http.request({
      host,
      port: hostPort,
      path: path.startsWith('/') ? path : `/${path}`,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'diego-healthcheck', connection: 'close' },
    });
  } catch {
    return Promise.resolve(fail('connection refused')); // e.g. a port out of range, as Diego reads any transport error
  }
  return new Promise((resolve) => {
    // decided once the status line is in; the body is then read until it ends or time runs out
    let outcome: CheckResult | undefined;
    const settle = once((result: CheckResult) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(result);
    });
    const timer = setTimeout(() => settle(outcome ?? fail(`timed out after ${formatDuration(requestTimeoutMs)}`)), requestTimeoutMs);
    const onAbort = () => settle(fail('canceled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', () => settle(outcome ?? fail('connection refused')));
    request.once('response', (response) => {
      outcome = response.statusCode === 200 ? ok : fail(`received status code ${response.statusCode}`);
      const done = () => settle(outcome!);
      response.once('end', done);
      response.once('aborted', done);
      response.on('error', done);
      response.resume();
    });
    request.end();
  });
}

/** Node's error text; a failed multi-address connect is an AggregateError with no message of its own. */
function errorText(error: Error): string {
  if (error.message) return error.message;
  if (error instanceof AggregateError) return error.errors.map((e) => errorText(e as Error)).join('; ');
  return (error as NodeJS.ErrnoException).code ?? String(error);
}

function once<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  let called = false;
  return (...args) => {
    if (called) return;
    called = true;
    fn(...args);
  };
}
