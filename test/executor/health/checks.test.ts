import { expect } from 'chai';
import { httpCheck, tcpCheck } from '../../../src/executor/health/checks.js';
import { eventually } from '../../support/eventually.js';
import {
  blackholePort, closedPort, HOST, httpServer, pingServer, silentServer, statusServer, tcpServer, type TestServer,
} from './servers.js';

/** Resolves with the result and how long it took. */
async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = Date.now();
  const result = await run();
  return { result, ms: Date.now() - start };
}

describe('health checks against real sockets', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  const track = <S extends { close(): Promise<void> }>(server: S): S => (opened.push(server), server);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  /** The check must leave no connection behind on the server's side. */
  const noConnectionLeft = (server: TestServer) => eventually(async () => expect(await server.openConnections()).to.equal(0), { timeout: 2000 });

  describe('tcpCheck', () => {
    it('passes when the port accepts a connection, and closes that connection', async () => {
      const server = track(await tcpServer());
      expect(await tcpCheck({ host: HOST, hostPort: server.port })).to.deep.equal({ ok: true });
      await noConnectionLeft(server);
    });

    it('fails with Node\'s error text when the port is closed', async () => {
      const port = await closedPort();
      expect(await tcpCheck({ host: HOST, hostPort: port })).to.deep.equal({
        ok: false,
        reason: `failed to make TCP connection to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
      });
    });

    it('fails after the default 1 s when the connection never opens', async () => {
      const blackhole = track(await blackholePort());
      const { result, ms } = await timed(() => tcpCheck({ host: HOST, hostPort: blackhole.port }));
      expect(result).to.deep.equal({
        ok: false,
        reason: `failed to make TCP connection to 127.0.0.1:${blackhole.port}: connection timed out after 1s`,
      });
      expect(ms).to.be.within(950, 1500);
    });

    it('names a custom connect timeout Go-style', async () => {
      const blackhole = track(await blackholePort());
      const { result, ms } = await timed(() => tcpCheck({ host: HOST, hostPort: blackhole.port, connectTimeoutMs: 250 }));
      expect(result).to.deep.equal({
        ok: false,
        reason: `failed to make TCP connection to 127.0.0.1:${blackhole.port}: connection timed out after 250ms`,
      });
      expect(ms).to.be.within(200, 750);
    });

    it('resolves promptly when its signal aborts mid-connect', async () => {
      const blackhole = track(await blackholePort());
      const controller = new AbortController();
      const pending = timed(() => tcpCheck({ host: HOST, hostPort: blackhole.port, connectTimeoutMs: 10_000 }, controller.signal));
      setTimeout(() => controller.abort(), 50);
      const { result, ms } = await pending;
      expect(result).to.deep.equal({ ok: false, reason: `failed to make TCP connection to 127.0.0.1:${blackhole.port}: canceled` });
      expect(ms).to.be.below(1000);
    });

    it('resolves, never throws, for an already aborted signal or an impossible port', async () => {
      const controller = new AbortController();
      controller.abort();
      expect(await tcpCheck({ host: HOST, hostPort: 9090 }, controller.signal)).to.deep.equal({
        ok: false,
        reason: 'failed to make TCP connection to 127.0.0.1:9090: canceled',
      });
      const result = await tcpCheck({ host: HOST, hostPort: 70_000 });
      expect(result.ok).to.equal(false);
      expect(!result.ok && result.reason).to.match(/^failed to make TCP connection to 127\.0\.0\.1:70000: .*70000/);
    });
  });

  describe('httpCheck', () => {
    it('passes on 200, requests the path on the host port, and closes its socket', async () => {
      const server = track(await pingServer());
      expect(await httpCheck({ host: HOST, hostPort: server.port, port: 8080, path: '/ping' })).to.deep.equal({ ok: true });
      expect(server.requests).to.deep.equal(['GET /ping']);
      await noConnectionLeft(server);
    });

    it('fails on any status but 200, naming the container port', async () => {
      const server = track(await statusServer(500));
      expect(await httpCheck({ host: HOST, hostPort: server.port, port: 8080, path: '/ping' })).to.deep.equal({
        ok: false,
        reason: "failed to make HTTP request to '/ping' on port 8080: received status code 500",
      });
      await noConnectionLeft(server);
    });

    it('does not follow a redirect and fails on the path a 200 server does not serve', async () => {
      const redirect = track(await httpServer((_req, res) => void res.writeHead(302, { location: '/ping' }).end()));
      expect(await httpCheck({ host: HOST, hostPort: redirect.port, port: 8080, path: '/' })).to.deep.equal({
        ok: false,
        reason: "failed to make HTTP request to '/' on port 8080: received status code 302",
      });
      const ping = track(await pingServer());
      expect(await httpCheck({ host: HOST, hostPort: ping.port, port: 8080, path: '/health' })).to.deep.equal({
        ok: false,
        reason: "failed to make HTTP request to '/health' on port 8080: received status code 404",
      });
    });

    it('fails with `connection refused` when nothing listens', async () => {
      const port = await closedPort();
      expect(await httpCheck({ host: HOST, hostPort: port, port: 8080, path: '/ping' })).to.deep.equal({
        ok: false,
        reason: "failed to make HTTP request to '/ping' on port 8080: connection refused",
      });
    });

    it('times out after the default 1 s when the server never answers, and closes its socket', async () => {
      const server = track(await silentServer());
      const { result, ms } = await timed(() => httpCheck({ host: HOST, hostPort: server.port, port: 8080, path: '/ping' }));
      expect(result).to.deep.equal({ ok: false, reason: "failed to make HTTP request to '/ping' on port 8080: timed out after 1s" });
      expect(ms).to.be.within(950, 1500);
      expect(server.requests, 'the request did reach the server').to.deep.equal(['GET /ping']);
      await noConnectionLeft(server);
    });

    it('names a custom request timeout Go-style, and the host port when no container port is given', async () => {
      const server = track(await silentServer());
      expect(await httpCheck({ host: HOST, hostPort: server.port, path: '/ping', requestTimeoutMs: 250 })).to.deep.equal({
        ok: false,
        reason: `failed to make HTTP request to '/ping' on port ${server.port}: timed out after 250ms`,
      });
    });

    it('resolves promptly when its signal aborts mid-request, and closes its socket', async () => {
      const server = track(await silentServer());
      const controller = new AbortController();
      const pending = timed(() => httpCheck({ host: HOST, hostPort: server.port, port: 8080, path: '/ping', requestTimeoutMs: 10_000 }, controller.signal));
      await eventually(() => expect(server.requests).to.have.length(1));
      controller.abort();
      const { result, ms } = await pending;
      expect(result).to.deep.equal({ ok: false, reason: "failed to make HTTP request to '/ping' on port 8080: canceled" });
      expect(ms).to.be.below(1000);
      await noConnectionLeft(server);
    });
  });
});
