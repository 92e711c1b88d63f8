/**
 * The router's request handling on node:http (a reverse proxy needs little beyond it, and owning
 * the error paths is the point): pick a backend round-robin, stream the request and response
 * bodies, add `X-Forwarded-*`, and answer every failure with a short text body.
 *
 * | situation                                     | answer |
 * |-----------------------------------------------|--------|
 * | no Host header                                | 400    |
 * | routes not loaded yet                         | 503    |
 * | no LRP claims the hostname                    | 404 `no route for host <h>` |
 * | claimed, but no instance serves it            | 503 `no running instance for host <h>` |
 * | connection refused/unreachable                | retried once on another backend, then 502 |
 * | GET/HEAD/OPTIONS without a body: connection    | retried once on another backend, then 502 |
 * |   reset or closed before any response byte     |        |
 * | no response or body bytes within the timeout  | 504    |
 * | upstream fails after the response has begun   | client connection cut |
 *
 * The retry picks among the hostname's backends as the table has them then, less the one that
 * failed: the next one in round-robin order when it is still there.
 *
 * Error answers carry `X-Auctor-Router-Error` (like gorouter's `X-Cf-Routererror`).
 * WebSocket upgrades are proxied in upgrade.ts. Connections to backends are not kept alive:
 * a reused socket the backend just closed would fail after the body was sent, with no retry.
 */
import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Logger } from '../base/logger.js';
import { normalizeHost, type Backend } from './route-table.js';

export interface ProxyOptions {
  /** hostname → backends; `undefined` = unknown hostname, `[]` = nothing serving */
  lookup(host: string): readonly Backend[] | undefined;
  /** false while the routes are loading */
  ready(): boolean;
  /** ms of upstream silence (before or during the response) that make a 504 */
  upstreamTimeoutMs: number;
  log: Logger;
}

/** A sticky round-robin position per hostname. */
export class RoundRobin {
  private readonly next = new Map<string, number>();

  /** The index to try first among `count` backends of `host`. */
  pick(host: string, count: number): number {
    const n = this.next.get(host) ?? 0;
    this.next.set(host, (n + 1) % 1_000_000_007);
    return n % count;
  }

  forget(host: string): void {
    this.next.delete(host);
  }
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Headers minus the hop-by-hop ones, including those named in `Connection`. */
export function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

/**
 * What the backend sees: the client's headers (Host unchanged), `X-Forwarded-For` with the
 * client appended, `X-Forwarded-Proto`/`-Host` kept from a proxy in front, else set here.
 */
export function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out = endToEnd(req.headers);
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${client}` : client;
  out['x-forwarded-proto'] = req.headers['x-forwarded-proto'] ?? 'http';
  out['x-forwarded-host'] = req.headers['x-forwarded-host'] ?? req.headers.host ?? '';
  return out;
}

/** A short text answer from the router itself. */
export function answer(res: ServerResponse, status: number, text: string, reason: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${text}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-auctor-router-error': reason, 'cache-control': 'no-store' });
  res.end(body);
}

export type RouteResolution =
  | { ok: true; host: string; backends: readonly Backend[]; first: number }
  | { ok: false; status: number; text: string; reason: string };

/** Which backends a request may go to, or the router's answer. */
export function resolve(options: ProxyOptions, rr: RoundRobin, hostHeader: string | undefined): RouteResolution {
  if (!hostHeader) return { ok: false, status: 400, text: 'missing Host header', reason: 'missing_host' };
  const host = normalizeHost(hostHeader);
  if (!options.ready()) return { ok: false, status: 503, text: 'the router is loading its routes', reason: 'loading' };
  const backends = options.lookup(host);
  if (backends === undefined) {
    rr.forget(host);
    return { ok: false, status: 404, text: `no route for host ${host}`, reason: 'unknown_route' };
  }
  if (backends.length === 0) return { ok: false, status: 503, text: `no running instance for host ${host}`, reason: 'no_instances' };
  return { ok: true, host, backends, first: rr.pick(host, backends.length) };
}

class UpstreamTimeout extends Error {}

/** The `request` handler of the router's server. */
export function proxyHandler(options: ProxyOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const rr = new RoundRobin();
  return (req, res) => {
    try {
      const route = resolve(options, rr, req.headers.host);
      if (!route.ok) {
        // drain what the client sends so its connection stays usable
        req.resume();
        return answer(res, route.status, route.text, route.reason);
      }
      forward(options, req, res, route.host, route.backends, route.first, 0);
    } catch (error) {
      options.log.error({ error: (error as Error).stack ?? String(error) }, 'router.request-failed');
      answer(res, 500, 'router error', 'internal');
    }
  };
}

/**
 * A request that can be sent again after the backend dropped it unanswered (a container stopped
 * mid-request, as a drained cell's does; gorouter retries these too): idempotent and bodiless.
 */
function replayable(req: IncomingMessage): boolean {
  const bodiless = req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0');
  return bodiless && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
}

function forward(options: ProxyOptions, req: IncomingMessage, res: ServerResponse, host: string, backends: readonly Backend[], at: number, retries: number, replay = false): void {
  const backend = backends[at % backends.length]!;
  let connected = false;
  let responded = false;
  let settled = false;
  const upstream: ClientRequest = request({
    host: backend.address,
    port: backend.host_port,
    method: req.method,
    path: req.url,
    headers: forwardedHeaders(req),
    agent: false,
    setHost: false,
  });
  upstream.setTimeout(options.upstreamTimeoutMs, () => upstream.destroy(new UpstreamTimeout(`no answer within ${options.upstreamTimeoutMs} ms`)));
  // the body is sent only once connected, so a refused connection consumed none of it
  upstream.on('socket', (socket) => {
    const send = () => {
      connected = true;
      // a replayed request's (empty) body was read by the first try
      if (replay) upstream.end();
      else req.pipe(upstream);
    };
    if (socket.connecting) socket.once('connect', send);
    else send();
  });
  upstream.on('response', (up) => {
    responded = true;
    res.writeHead(up.statusCode ?? 502, up.statusMessage, endToEnd(up.headers));
    up.pipe(res);
    up.on('error', () => res.destroy());
  });
  upstream.on('error', (error) => {
    if (settled || res.destroyed) return;
    settled = true;
    const where = { host, backend: `${backend.address}:${backend.host_port}`, process_guid: backend.process_guid, index: backend.index, error: error.message };
    const unanswered = !connected || (!responded && replayable(req));
    // the next backend from the table as it is now: a request that began when the stopping
    // instance was the only one is retried on its replacement, routed since (a drain under load)
    const others = unanswered && !(error instanceof UpstreamTimeout) && retries === 0 ? otherBackends(options.lookup(host), backend) : [];
    if (others.length > 0) {
      options.log.debug(where, 'router.retrying-next-backend');
      const after = backends[(at + 1) % backends.length]!;
      const next = others.findIndex((b) => b.address === after.address && b.host_port === after.host_port);
      return forward(options, req, res, host, others, Math.max(0, next), retries + 1, connected);
    }
    options.log.warn(where, 'router.backend-failed');
    req.unpipe(upstream);
    req.resume();
    // backend addresses stay in the log, not in answers to the public
    if (error instanceof UpstreamTimeout) answer(res, 504, `no answer in time from the backend for host ${host}`, 'timeout');
    else answer(res, 502, `the backend for host ${host} failed`, 'endpoint_failure');
  });
  // the client went away: stop the upstream exchange
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.on('error', () => upstream.destroy());
}

/** The backends of `current` other than `failed` (the same address and port). */
function otherBackends(current: readonly Backend[] | undefined, failed: Backend): Backend[] {
  return (current ?? []).filter((b) => b.address !== failed.address || b.host_port !== failed.host_port);
}
