/**
 * `Connection: Upgrade` requests (WebSocket): the same backend choice as plain requests, then
 * the two sockets are spliced. No retry on the next backend and no timeout once upgraded: an
 * idle WebSocket is normal. A backend that declines the upgrade has its answer relayed.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { forwardedHeaders, resolve, RoundRobin, type ProxyOptions } from './proxy.js';

function head(status: number, message: string, rawHeaders: string[]): string {
  let text = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) text += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  return `${text}\r\n`;
}

function refuse(socket: Duplex, status: number, message: string, text: string, reason: string): void {
  const body = `${text}\n`;
  socket.end(head(status, message, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body)), 'X-Auctor-Router-Error', reason, 'Connection', 'close']) + body);
}

/** The `upgrade` handler of the router's server. */
export function upgradeHandler(options: ProxyOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const rr = new RoundRobin();
  return (req, socket, early) => {
    socket.on('error', () => socket.destroy());
    const route = resolve(options, rr, req.headers.host);
    if (!route.ok) return refuse(socket, route.status, route.status === 404 ? 'Not Found' : route.status === 400 ? 'Bad Request' : 'Service Unavailable', route.text, route.reason);
    const backend = route.backends[route.first]!;
    const upstream = request({
      host: backend.address,
      port: backend.host_port,
      method: req.method,
      path: req.url,
      headers: { ...forwardedHeaders(req), connection: 'Upgrade', upgrade: req.headers.upgrade ?? '' },
      agent: false,
      setHost: false,
    });
    upstream.setTimeout(options.upstreamTimeoutMs, () => upstream.destroy(new Error('timeout')));
    upstream.on('upgrade', (res, upSocket, upHead) => {
      upstream.setTimeout(0);
      upSocket.on('error', () => socket.destroy());
      socket.on('close', () => upSocket.destroy());
      upSocket.on('close', () => socket.destroy());
      socket.write(head(res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders));
      if (upHead.length > 0) socket.write(upHead);
      if (early.length > 0) upSocket.write(early);
      upSocket.pipe(socket).pipe(upSocket);
    });
    upstream.on('response', (res) => {
      // declined: relay status and body, then close (the body is already de-chunked)
      const raw: string[] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i]!.toLowerCase();
        if (name !== 'transfer-encoding' && name !== 'connection' && name !== 'content-length') raw.push(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      }
      socket.write(head(res.statusCode ?? 502, res.statusMessage ?? '', [...raw, 'Connection', 'close']));
      res.pipe(socket);
      res.on('error', () => socket.destroy());
    });
    upstream.on('error', (error) => {
      options.log.warn({ host: route.host, backend: `${backend.address}:${backend.host_port}`, error: error.message }, 'router.backend-failed');
      if (socket.writable) refuse(socket, 502, 'Bad Gateway', `the backend for host ${route.host} failed`, 'endpoint_failure');
    });
    socket.on('close', () => upstream.destroy());
    upstream.end();
  };
}
