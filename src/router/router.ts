/**
 * The HTTP router (`--router`, docs/034-router.md): Diego's route-emitter and gorouter in one
 * piece on the control node. It follows the control side's routes (route-feed.ts) and proxies
 * each request by its Host header (proxy.ts, upgrade.ts).
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../base/logger.js';
import { proxyHandler, type ProxyOptions } from './proxy.js';
import { followRoutes, type RouteFeed, type RouteSource } from './route-feed.js';
import { upgradeHandler } from './upgrade.js';

export interface RouterOptions {
  host: string;
  /** 0 = any free port */
  port: number;
  log: Logger;
  /** ms of upstream silence that make a 504; default 60 s */
  upstreamTimeoutMs?: number;
}

export interface Router {
  /** `http://host:port` it listens on */
  url: string;
  port: number;
  feed: RouteFeed;
  /** Stops accepting, ends idle connections, cuts the rest after `graceMs`, stops following routes. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/** The router's HTTP server, apart from where its routes come from (tests give it a fixed table). */
export class RouterServer {
  readonly server: Server;
  // upgraded sockets leave node:http's bookkeeping: close() cuts them through this set
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: ProxyOptions) {
    this.server = createServer(proxyHandler(options));
    this.server.on('upgrade', upgradeHandler(options));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  /** Listens on `host:port` and returns the bound port; rejects when it cannot. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error) => reject(error);
      this.server.once('error', failed);
      this.server.listen(port, host, () => {
        this.server.off('error', failed);
        // later server errors (accept failing with EMFILE, say) are logged, never crash the node
        this.server.on('error', (error) => this.options.log.error({ error: error.message }, 'router.server-error'));
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  /** Stops accepting; idle connections end at once, busy ones (and WebSockets) after `graceMs`. */
  close(graceMs: number): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.closeAllConnections();
        for (const socket of this.sockets) socket.destroy();
      }, graceMs);
      force.unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }
}

export async function startRouter(source: RouteSource, options: RouterOptions): Promise<Router> {
  const feed = followRoutes(source, options.log);
  const server = new RouterServer({
    lookup: (host) => feed.table.lookup(host),
    ready: () => feed.ready,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
    log: options.log,
  });
  let port: number;
  try {
    port = await server.listen(options.host, options.port);
  } catch (error) {
    feed.dispose();
    throw error;
  }
  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shown}:${port}`,
    port,
    feed,
    close: async (graceMs = 2_000) => {
      await server.close(graceMs);
      feed.dispose();
    },
  };
}
