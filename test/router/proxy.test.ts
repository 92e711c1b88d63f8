/**
 * The router's HTTP behaviour in-process, against local backend servers and a fixed table:
 * balancing, headers, streaming, and every failure answer.
 */
import { expect } from 'chai';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { silentLogger } from '../../src/base/logger.js';
import type { Backend } from '../../src/router/route-table.js';
import { RouterServer } from '../../src/router/router.js';
import { http } from '../support/gateway-node.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe('router proxy (in-process)', function () {
  this.timeout(10_000);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let routes: Record<string, Backend[]> = {};
  let ready = true;
  let router: RouterServer;
  let url: string;

  const backend = async (handler: Handler): Promise<Server> => {
    const server = createServer(handler);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    return server;
  };
  const portOf = (server: Server) => (server.address() as { port: number }).port;
  const at = (port: number, index = 0): Backend => ({ address: '127.0.0.1', host_port: port, process_guid: 'web', index, instance_guid: `ig-${index}` });
  /** a port nothing listens on */
  const closedPort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = portOf(server);
    await new Promise((resolve) => server.close(resolve));
    return port;
  };
  const get = (host: string, path = '/', headers: Record<string, string> = {}) => http(url, 'GET', path, undefined, { host, ...headers });

  beforeEach(async () => {
    routes = {};
    ready = true;
    router = new RouterServer({ lookup: (h) => routes[h], ready: () => ready, upstreamTimeoutMs: 300, log: silentLogger() });
    url = `http://127.0.0.1:${await router.listen('127.0.0.1', 0)}`;
  });
  afterEach(async () => {
    await router.close(100);
    for (const s of sockets) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('balances round-robin across backends and keeps Host, adding X-Forwarded-*', async () => {
    const seen: Array<IncomingMessage['headers']> = [];
    const a = await backend((req, res) => (seen.push(req.headers), res.end('a')));
    const b = await backend((req, res) => (seen.push(req.headers), res.end('b')));
    routes['web.example'] = [at(portOf(a), 0), at(portOf(b), 1)];
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await get('Web.Example:80', '/x?y=1')).text);
    expect(bodies).to.deep.equal(['a', 'b', 'a', 'b']);
    expect(seen[0]).to.include({ host: 'Web.Example:80', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'Web.Example:80' });
    const chained = await get('web.example', '/', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' });
    expect(chained.status).to.equal(200);
    expect(seen[4]).to.include({ 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-forwarded-proto': 'https' });
  });

  it('streams a request body to the backend and the response body back, status and headers intact', async () => {
    const echo = await backend((req, res) => {
      res.writeHead(201, { 'x-echo': req.method!, 'set-cookie': ['a=1', 'b=2'] });
      req.pipe(res);
    });
    routes['web.example'] = [at(portOf(echo))];
    const body = Buffer.alloc(2 * 1024 * 1024, 'z');
    const answer = await http(url, 'POST', '/upload', body, { host: 'web.example' });
    expect(answer.status).to.equal(201);
    expect(answer.headers['x-echo']).to.equal('POST');
    expect(answer.headers['set-cookie']).to.deep.equal(['a=1', 'b=2']);
    expect(answer.text.length).to.equal(body.length);
  });

  it('an unknown host is 404 naming it; a routed host with no instance is 503; loading is 503', async () => {
    const unknown = await get('hello.localhost:8080');
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.equal('no route for host hello.localhost\n');
    expect(unknown.headers['x-auctor-router-error']).to.equal('unknown_route');
    routes['web.example'] = [];
    const empty = await get('web.example');
    expect([empty.status, empty.text]).to.deep.equal([503, 'no running instance for host web.example\n']);
    ready = false;
    expect((await get('web.example')).status).to.equal(503);
  });

  it('a refused connection is retried once on the next backend, so the request still succeeds', async () => {
    const live = await backend((req, res) => req.pipe(res));
    routes['web.example'] = [at(await closedPort(), 0), at(portOf(live), 1)];
    for (let i = 0; i < 4; i++) {
      const answer = await http(url, 'PUT', '/', `body ${i}`, { host: 'web.example' });
      expect([answer.status, answer.text]).to.deep.equal([200, `body ${i}`]);
    }
  });

  it('a bodiless GET the backend drops unanswered (a stopping container) is retried on the next backend; a PUT is not', async () => {
    const dropping = await backend((req) => req.socket.destroy());
    const live = await backend((req, res) => res.end(`live ${req.method}`));
    for (let i = 0; i < 2; i++) {
      routes['web.example'] = [at(portOf(dropping), 0), at(portOf(live), 1)];
      const answer = await get('web.example');
      expect([answer.status, answer.text]).to.deep.equal([200, 'live GET']);
    }
    let puts = 0;
    for (let i = 0; i < 2; i++) {
      const answer = await http(url, 'PUT', '/', 'body', { host: 'web.example' });
      if (answer.status === 502) puts++;
      else expect([answer.status, answer.text]).to.deep.equal([200, 'live PUT']);
    }
    // round robin: one of the two PUTs went to the dropping backend first, and was not replayed
    expect(puts).to.equal(1);
  });

  it('a GET begun when the stopping instance was the only one is retried on its replacement, routed meanwhile (a drain under load)', async () => {
    const live = await backend((req, res) => res.end('replacement'));
    // the old instance: by the time the request reaches it, its replacement is routed, and it stops
    const stopping = await backend((req) => {
      routes['web.example'] = [at(portOf(stopping), 0), at(portOf(live), 1)];
      req.socket.destroy();
    });
    routes['web.example'] = [at(portOf(stopping), 0)];
    const answer = await get('web.example');
    expect([answer.status, answer.text]).to.deep.equal([200, 'replacement']);
  });

  it('502 when both tries are refused', async () => {
    routes['web.example'] = [at(await closedPort(), 0), at(await closedPort(), 1), at(await closedPort(), 2)];
    const answer = await get('web.example');
    expect(answer.status).to.equal(502);
    expect(answer.text).to.equal('the backend for host web.example failed\n');
    expect(answer.text).not.to.contain('127.0.0.1');
  });

  it('504 when the backend does not answer within the timeout', async () => {
    const silent = await backend(() => {});
    routes['web.example'] = [at(portOf(silent))];
    const started = Date.now();
    const answer = await get('web.example');
    expect(answer.status).to.equal(504);
    expect(answer.headers['x-auctor-router-error']).to.equal('timeout');
    expect(Date.now() - started).to.be.within(250, 3000);
  });

  it('survives clients and backends that hang up mid-exchange', async () => {
    const dropping = await backend((req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const slow = await backend((req, res) => setTimeout(() => res.end('late'), 100));
    routes['drop.example'] = [at(portOf(dropping))];
    routes['slow.example'] = [at(portOf(slow))];
    // the backend cut its answer short: the client's connection is cut too
    const complete = await new Promise<boolean>((resolve) => {
      const req = request(`${url}/`, { headers: { host: 'drop.example' }, agent: false }, (res) => {
        res.resume();
        res.on('error', () => undefined);
        res.on('close', () => resolve(res.complete));
      });
      req.on('error', () => resolve(false));
      req.end();
    });
    expect(complete).to.equal(false);
    // the client gives up before the backend answers
    await new Promise<void>((resolve) => {
      const req = request(`${url}/`, { headers: { host: 'slow.example' }, agent: false });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => req.destroy(), 20);
    });
    // a malformed request gets 400
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('close', () => resolve(text));
    });
    expect(raw).to.match(/^HTTP\/1.1 400/);
    expect((await get('slow.example')).text).to.equal('late');
  });

  it('proxies a WebSocket-style upgrade and splices the two sockets', async () => {
    const ws = await backend((req, res) => res.end('no'));
    ws.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d) => socket.write(`echo:${d}`));
    });
    routes['ws.example'] = [at(portOf(ws))];
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    sockets.add(socket);
    let text = '';
    socket.on('data', (d) => {
      text += d;
      if (text.includes('\r\n\r\n') && !text.includes('echo:')) socket.write('ping');
    });
    socket.write('GET /chat HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
    await new Promise<void>((resolve) => socket.on('data', () => text.includes('echo:ping') && resolve()));
    expect(text).to.match(/^HTTP\/1.1 101 Switching Protocols\r\n/);
    socket.destroy();
  });
});
