/** Real servers on 127.0.0.1 for the health-check tests; every one is closed by its test. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export const HOST = '127.0.0.1';

export interface TestServer {
  port: number;
  /** requests the server has seen (HTTP) */
  requests: string[];
  /** sockets the server holds open right now */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** An HTTP server that records each request and hands it to `respond`. */
export async function httpServer(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    respond(req, res);
  });
  return serve(server, requests);
}

/** 200 `pong` on /ping, 404 elsewhere. */
export const pingServer = () =>
  httpServer((req, res) => {
    res.writeHead(req.url === '/ping' ? 200 : 404).end(req.url === '/ping' ? 'pong' : 'not found');
  });

export const statusServer = (status: number) => httpServer((_req, res) => void res.writeHead(status).end('nope'));

/** Accepts connections and reads requests, never answers. */
export const silentServer = () => httpServer(() => undefined);

/** A TCP server that accepts and never writes. */
export async function tcpServer(): Promise<TestServer> {
  return serve(net.createServer(() => undefined), []);
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = await tcpServer();
  await server.close();
  return server.port;
}

async function serve(server: net.Server, requests: string[]): Promise<TestServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    port,
    requests,
    openConnections: () => new Promise((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        for (const socket of sockets) socket.destroy(); // a test that failed may have left one open
      }),
  };
}

/**
 * A port whose SYNs go unanswered, so a connect hangs: a child Node process listens with a
 * backlog of 1 and then blocks its event loop, so it never accepts; two filler connections fill
 * the kernel's accept queue and later SYNs are dropped. (Loopback has no unroutable address.)
 */
export async function blackholePort(): Promise<{ port: number; close(): Promise<void> }> {
  const script = `
    const server = require('node:net').createServer();
    server.listen({ port: 0, host: '${HOST}', backlog: 1 }, () => {
      process.stdout.write(server.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (data) => resolve(Number(String(data).trim())));
  });
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 2; i++) {
    const socket = net.connect({ host: HOST, port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    fillers.push(socket);
  }
  return {
    port,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      child.kill('SIGKILL');
      await exited;
    },
  };
}
