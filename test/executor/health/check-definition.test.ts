import { expect } from 'chai';
import { systemClock } from '../../../src/base/clock.js';
import { checksFromDefinition, type CheckDefinition } from '../../../src/executor/health/check-definition.js';
import { monitorHealth, type HealthEnd } from '../../../src/executor/health/monitor.js';
import { closedPort, HOST, pingServer, silentServer, statusServer, tcpServer, type TestServer } from './servers.js';

const signal = () => new AbortController().signal;

describe('check definitions', () => {
  const opened: TestServer[] = [];
  const track = (server: TestServer) => (opened.push(server), server);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
  });

  it('passes when every check passes, each against the host port its container port maps to', async () => {
    const ping = track(await pingServer());
    const tcp = track(await tcpServer());
    const { check } = checksFromDefinition(
      { checks: [{ http_check: { port: 8080, path: '/ping' } }, { tcp_check: { port: 9090 } }] },
      { host: HOST, ports: [{ containerPort: 9090, hostPort: tcp.port }, { containerPort: 8080, hostPort: ping.port }] },
    );
    expect(await check(signal())).to.deep.equal({ ok: true });
    expect(ping.requests).to.deep.equal(['GET /ping']);
  });

  it('reports the first failing check in definition order', async () => {
    const failing = track(await statusServer(503));
    const port = await closedPort();
    const ports = [{ containerPort: 8080, hostPort: failing.port }, { containerPort: 9090, hostPort: port }];
    const http = { http_check: { port: 8080, path: '/ping' } };
    const tcp = { tcp_check: { port: 9090 } };
    expect(await checksFromDefinition({ checks: [http, tcp] }, { host: HOST, ports }).check(signal())).to.deep.equal({
      ok: false,
      reason: "failed to make HTTP request to '/ping' on port 8080: received status code 503",
    });
    expect(await checksFromDefinition({ checks: [tcp, http] }, { host: HOST, ports }).check(signal())).to.deep.equal({
      ok: false,
      reason: `failed to make TCP connection to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('fails a check whose container port has no host port, saying so', async () => {
    const ping = track(await pingServer());
    const ports = [{ containerPort: 8080, hostPort: ping.port }];
    expect(await checksFromDefinition({ checks: [{ http_check: { port: 8081, path: '/ping' } }] }, { host: HOST, ports }).check(signal()))
      .to.deep.equal({ ok: false, reason: "failed to make HTTP request to '/ping' on port 8081: container port 8081 is not mapped to a host port" });
    expect(await checksFromDefinition({ checks: [{ tcp_check: { port: 7000 } }] }, { host: HOST, ports }).check(signal()))
      .to.deep.equal({ ok: false, reason: 'failed to make TCP connection to port 7000: container port 7000 is not mapped to a host port' });
    expect(ping.requests, 'nothing was sent anywhere').to.deep.equal([]);
  });

  it('requests `/` when the path is absent or empty, and applies request_timeout_ms', async () => {
    const ping = track(await pingServer());
    const silent = track(await silentServer());
    const ports = [{ containerPort: 8080, hostPort: ping.port }, { containerPort: 8081, hostPort: silent.port }];
    const defined = checksFromDefinition(
      { checks: [{ http_check: { port: 8080 } }, { http_check: { port: 8080, path: '' } }, { http_check: { port: 8081, path: '/ping', request_timeout_ms: 250 } }] },
      { host: HOST, ports },
    );
    const results = await Promise.all(defined.liveness.map(({ check }) => check(signal())));
    expect(results).to.deep.equal([
      { ok: false, reason: "failed to make HTTP request to '/' on port 8080: received status code 404" },
      { ok: false, reason: "failed to make HTTP request to '/' on port 8080: received status code 404" },
      { ok: false, reason: "failed to make HTTP request to '/ping' on port 8081: timed out after 250ms" },
    ]);
    expect(ping.requests).to.deep.equal(['GET /', 'GET /']);
  });

  it('gives each check its own liveness loop, with interval_ms when set', () => {
    const { liveness } = checksFromDefinition(
      { checks: [{ tcp_check: { port: 1, interval_ms: 5000 } }, { http_check: { port: 2 } }, { tcp_check: { port: 3, interval_ms: 0 } }] },
      { host: HOST, ports: [] },
    );
    expect(liveness.map((l) => l.intervalMs)).to.deep.equal([5000, undefined, undefined]);
  });

  it('passes at once with no checks, and refuses an entry that is neither or both kinds', async () => {
    const empty = checksFromDefinition({ checks: [] }, { host: HOST, ports: [] });
    expect(await empty.check(signal())).to.deep.equal({ ok: true });
    expect(empty.liveness).to.deep.equal([]);
    const neither = { checks: [{}] } as unknown as CheckDefinition;
    const both = { checks: [{ tcp_check: { port: 1 }, http_check: { port: 1 } }] } as unknown as CheckDefinition;
    for (const definition of [neither, both]) {
      expect(() => checksFromDefinition(definition, { host: HOST, ports: [] }))
        .to.throw('invalid field: check_definition.checks[0]: needs exactly one of tcp_check, http_check')
        .with.property('code', 'InvalidRequest');
    }
  });

  it('interval_ms overrides the healthy interval for liveness (real timers)', async () => {
    const ping = track(await pingServer());
    const defined = checksFromDefinition(
      { checks: [{ http_check: { port: 8080, path: '/ping', interval_ms: 20 } }] },
      { host: HOST, ports: [{ containerPort: 8080, hostPort: ping.port }] },
    );
    const controller = new AbortController();
    let onHealthy!: () => void;
    const healthy = new Promise<void>((resolve) => (onHealthy = resolve));
    const monitor = monitorHealth({
      ...defined, unhealthyIntervalMs: 20, healthyIntervalMs: 600_000, clock: systemClock, signal: controller.signal, onHealthy,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await healthy;
      await ping.close();
      const tooLate = new Promise<string>((resolve) => (timer = setTimeout(resolve, 3000, 'still healthy after 3 s')));
      expect(await Promise.race([monitor.done, tooLate])).to.deep.equal({
        state: 'unhealthy',
        reason: "Instance became unhealthy: Liveness check unsuccessful: failed to make HTTP request to '/ping' on port 8080: connection refused",
      } satisfies HealthEnd);
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  });
});
