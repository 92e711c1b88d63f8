import { expect } from 'chai';
import { systemClock } from '../../../src/base/clock.js';
import { httpCheck, type CheckResult } from '../../../src/executor/health/checks.js';
import { healthyOnStart, monitorHealth, type HealthEnd, type MonitorOptions } from '../../../src/executor/health/monitor.js';
import { FakeClock, flushMicrotasks } from '../../support/fake-clock.js';
import { HOST, pingServer } from './servers.js';

const refused = "failed to make HTTP request to '/ping' on port 8080: connection refused";
const fail = (reason = refused): CheckResult => ({ ok: false, reason });
const pass: CheckResult = { ok: true };

/** A check whose results a test scripts; records when (ms since the test began) each run started. */
class FakeCheck {
  readonly startedAt: number[] = [];
  readonly signals: AbortSignal[] = [];
  /** each run takes this long on the clock */
  durationMs = 0;
  private readonly start: number;

  constructor(private readonly clock: FakeClock, private readonly script: CheckResult[], private readonly then: CheckResult = fail()) {
    this.start = clock.now();
  }

  readonly run = async (signal: AbortSignal): Promise<CheckResult> => {
    this.startedAt.push(this.clock.now() - this.start);
    this.signals.push(signal);
    if (this.durationMs > 0) {
      const aborted = await this.clock.sleep(this.durationMs, signal).then(() => false, () => true);
      if (aborted) return fail('canceled');
    }
    return this.script.shift() ?? this.then;
  };
}

/** Records what the monitor told its owner, with the time. */
function recorder(clock: FakeClock) {
  const start = clock.now();
  const events: string[] = [];
  const at = () => clock.now() - start;
  return {
    events,
    logs: [] as string[],
    callbacks(): Pick<MonitorOptions, 'onHealthy' | 'onUnhealthy' | 'onLog'> {
      return {
        onHealthy: () => events.push(`healthy@${at()}`),
        onUnhealthy: (reason) => events.push(`unhealthy@${at()}: ${reason}`),
        onLog: (line, stream) => this.logs.push(`${stream}: ${line}`),
      };
    },
  };
}

describe('health monitor (fake clock)', () => {
  let clock: FakeClock;
  let controller: AbortController;
  beforeEach(() => {
    clock = new FakeClock();
    controller = new AbortController();
  });
  afterEach(() => controller.abort());

  const start = (check: FakeCheck, record: ReturnType<typeof recorder>, options: Partial<MonitorOptions> = {}) =>
    monitorHealth({
      check: check.run,
      unhealthyIntervalMs: 1000,
      healthyIntervalMs: 30_000,
      clock,
      signal: controller.signal,
      ...record.callbacks(),
      ...options,
    });

  it('checks at once, then every unhealthy interval, and turns healthy once on the first pass', async () => {
    const check = new FakeCheck(clock, [fail(), fail(), pass], pass);
    const record = recorder(clock);
    const monitor = start(check, record, { startTimeoutMs: 60_000 });
    expect(monitor.state).to.equal('starting');
    await flushMicrotasks();
    expect(check.startedAt, 'the first check runs immediately').to.deep.equal([0]);
    await clock.advance(999);
    expect(check.startedAt, 'no check before the interval has elapsed').to.deep.equal([0]);
    await clock.advance(1);
    expect(check.startedAt).to.deep.equal([0, 1000]);
    await clock.advance(1000);
    expect(check.startedAt).to.deep.equal([0, 1000, 2000]);
    expect(record.events).to.deep.equal(['healthy@2000']);
    expect(monitor.state).to.equal('healthy');
    await clock.advance(60_000);
    expect(record.events, 'no start timeout once healthy, onHealthy only once').to.deep.equal(['healthy@2000']);
    expect(record.logs).to.deep.equal(['stdout: Starting health monitoring of container', 'stdout: Container became healthy']);
  });

  it('gives up at the start timeout with Diego\'s text and the last check\'s reason, then does nothing more', async () => {
    const tcpRefused = 'failed to make TCP connection to 127.0.0.1:61001: connect ECONNREFUSED 127.0.0.1:61001';
    const check = new FakeCheck(clock, [fail('first reason')], fail(tcpRefused));
    const record = recorder(clock);
    const monitor = start(check, record, { startTimeoutMs: 3000 });
    await clock.advance(2999);
    expect(record.events).to.deep.equal([]);
    await clock.advance(1);
    expect(record.events).to.deep.equal([`unhealthy@3000: Instance never healthy after 3s: ${tcpRefused}`]);
    expect(await monitor.done).to.deep.equal({ state: 'unhealthy', reason: `Instance never healthy after 3s: ${tcpRefused}` });
    expect(monitor.state).to.equal('unhealthy');
    expect(record.logs.at(-1)).to.equal('stderr: Failed after 3s: startup health check never passed.');
    await clock.advance(60_000);
    expect(check.startedAt, 'checks at 0, 1 s and 2 s only').to.deep.equal([0, 1000, 2000]);
    expect(record.events).to.have.length(1);
    expect(clock.waiting, 'no timer left').to.equal(0);
  });

  it('aborts a check still running at the start timeout and says none completed', async () => {
    const check = new FakeCheck(clock, [], pass);
    check.durationMs = 5000;
    const record = recorder(clock);
    start(check, record, { startTimeoutMs: 500 });
    await clock.advance(500);
    expect(record.events).to.deep.equal(['unhealthy@500: Instance never healthy after 500ms: no health check completed']);
    expect(check.signals[0]!.aborted, 'the check in flight was aborted').to.equal(true);
    await clock.advance(10_000);
    expect(record.events, 'its late result is dropped').to.have.length(1);
  });

  it('has no start timeout when it is 0 or absent', async () => {
    for (const startTimeoutMs of [0, undefined]) {
      const check = new FakeCheck(clock, new Array<CheckResult>(600).fill(fail()), pass);
      const record = recorder(clock);
      start(check, record, { startTimeoutMs });
      await clock.advance(599_999);
      expect(record.events, `startTimeoutMs ${startTimeoutMs}`).to.deep.equal([]);
      await clock.advance(1);
      expect(record.events).to.deep.equal(['healthy@600000']);
      controller.abort();
      controller = new AbortController();
    }
  });

  it('checks liveness every healthy interval and crashes on the first failure with Diego\'s text', async () => {
    const check = new FakeCheck(clock, [pass, pass, pass], fail());
    const record = recorder(clock);
    const monitor = start(check, record, { startTimeoutMs: 3000 });
    await flushMicrotasks();
    expect(record.events).to.deep.equal(['healthy@0']);
    await clock.advance(29_999);
    expect(check.startedAt, 'no liveness check before the healthy interval').to.deep.equal([0]);
    await clock.advance(1);
    expect(check.startedAt).to.deep.equal([0, 30_000]);
    await clock.advance(60_000);
    expect(check.startedAt).to.deep.equal([0, 30_000, 60_000, 90_000]);
    const reason = `Instance became unhealthy: Liveness check unsuccessful: ${refused}`;
    expect(reason).to.equal("Instance became unhealthy: Liveness check unsuccessful: failed to make HTTP request to '/ping' on port 8080: connection refused");
    expect(record.events).to.deep.equal(['healthy@0', `unhealthy@90000: ${reason}`]);
    expect(await monitor.done).to.deep.equal({ state: 'unhealthy', reason });
    expect(record.logs).to.deep.equal([
      'stdout: Starting health monitoring of container', 'stdout: Container became healthy', 'stderr: Container became unhealthy',
    ]);
    await clock.advance(120_000);
    expect(check.startedAt).to.have.length(4);
    expect(clock.waiting).to.equal(0);
  });

  it('never overlaps checks: the next starts an interval after the previous ended', async () => {
    const check = new FakeCheck(clock, [fail(), fail(), pass, pass], fail());
    check.durationMs = 400;
    const record = recorder(clock);
    start(check, record, { healthyIntervalMs: 2000 });
    await clock.advance(10_000);
    // startup: 0-400, 1400-1800, 2800-3200 (healthy); liveness: 5200-5600 passes, 7600-8000 fails
    expect(check.startedAt).to.deep.equal([0, 1400, 2800, 5200, 7600]);
    expect(record.events.map((e) => e.split(':')[0])).to.deep.equal(['healthy@3200', 'unhealthy@8000']);
  });

  it('runs each liveness check at its own interval, and the first failure ends them all', async () => {
    const startup = new FakeCheck(clock, [], pass);
    const fast = new FakeCheck(clock, [pass, pass, pass], fail('fast failed'));
    const slow = new FakeCheck(clock, [], pass);
    const record = recorder(clock);
    start(startup, record, { liveness: [{ check: fast.run, intervalMs: 5000 }, { check: slow.run }] });
    await clock.advance(40_000);
    expect(fast.startedAt).to.deep.equal([5000, 10_000, 15_000, 20_000]);
    expect(slow.startedAt, 'default: the healthy interval; stopped at 20 s').to.deep.equal([]);
    expect(record.events).to.deep.equal(['healthy@0', 'unhealthy@20000: Instance became unhealthy: Liveness check unsuccessful: fast failed']);
    expect(clock.waiting).to.equal(0);
  });

  it('stops everything on abort: the check in flight is aborted and no callback runs, even when it later passes', async () => {
    const check = new FakeCheck(clock, [fail()], pass);
    check.durationMs = 500;
    const record = recorder(clock);
    const monitor = start(check, record, { startTimeoutMs: 3000 });
    await clock.advance(1700); // second check in flight since 1500
    expect(check.startedAt).to.deep.equal([0, 1500]);
    controller.abort();
    expect(monitor.state).to.equal('stopped');
    expect(check.signals[1]!.aborted).to.equal(true);
    expect(clock.waiting, 'every timer cancelled at once').to.equal(0);
    await clock.advance(60_000);
    expect(record.events).to.deep.equal([]);
    expect(check.startedAt).to.have.length(2);
    expect(await monitor.done).to.deep.equal({ state: 'stopped' } satisfies HealthEnd);
  });

  it('stops during liveness: no further check and no callback', async () => {
    const check = new FakeCheck(clock, [pass], fail());
    const record = recorder(clock);
    const monitor = start(check, record);
    await clock.advance(10_000);
    monitor.stop();
    monitor.stop();
    await clock.advance(60_000);
    expect(check.startedAt).to.deep.equal([0]);
    expect(record.events).to.deep.equal(['healthy@0']);
    expect(clock.waiting).to.equal(0);
  });

  it('does nothing at all for an already aborted signal, and stop() inside onHealthy stops liveness', async () => {
    controller.abort();
    const idle = new FakeCheck(clock, [], pass);
    const idleMonitor = start(idle, recorder(clock));
    await clock.advance(10_000);
    expect(idle.startedAt).to.deep.equal([]);
    expect(idleMonitor.state).to.equal('stopped');

    controller = new AbortController();
    const check = new FakeCheck(clock, [], pass);
    const monitor = monitorHealth({
      check: check.run, unhealthyIntervalMs: 1000, healthyIntervalMs: 1000, clock, onHealthy: () => monitor.stop(),
    });
    await clock.advance(10_000);
    expect(check.startedAt).to.deep.equal([0]);
    expect(monitor.state).to.equal('stopped');
    expect(clock.waiting).to.equal(0);
  });

  it('counts a check that throws or rejects as a failure with its message', async () => {
    const record = recorder(clock);
    let runs = 0;
    monitorHealth({
      check: (() => {
        runs++;
        if (runs === 1) throw new Error('exploded');
        return Promise.reject(new Error('Exited with status 1'));
      }) as MonitorOptions['check'],
      startTimeoutMs: 1500,
      unhealthyIntervalMs: 1000,
      healthyIntervalMs: 1000,
      clock,
      signal: controller.signal,
      ...record.callbacks(),
    });
    await clock.advance(1500);
    expect(runs).to.equal(2);
    expect(record.events).to.deep.equal(['unhealthy@1500: Instance never healthy after 1.5s: Exited with status 1']);
  });

  it('refuses an interval that is not positive', () => {
    const check = new FakeCheck(clock, []);
    expect(() => monitorHealth({ check: check.run, unhealthyIntervalMs: 0, healthyIntervalMs: 1000, clock })).to.throw(RangeError, /unhealthyIntervalMs/);
    expect(() => monitorHealth({ check: check.run, unhealthyIntervalMs: 1, healthyIntervalMs: 1, clock, liveness: [{ check: check.run, intervalMs: -1 }] }))
      .to.throw(RangeError, /liveness/);
    expect(check.startedAt).to.deep.equal([]);
  });
});

describe('healthy on start (no check)', () => {
  it('is healthy as soon as it starts, and stays so until stopped', async () => {
    let healthy = 0;
    const monitor = healthyOnStart({ onHealthy: () => healthy++ });
    expect(healthy, 'not before the caller holds the monitor').to.equal(0);
    await flushMicrotasks();
    expect(healthy).to.equal(1);
    expect(monitor.state).to.equal('healthy');
    monitor.stop();
    expect(await monitor.done).to.deep.equal({ state: 'stopped' });
  });

  it('never calls back when stopped or aborted first', async () => {
    let healthy = 0;
    healthyOnStart({ onHealthy: () => healthy++ }).stop();
    const controller = new AbortController();
    controller.abort();
    const aborted = healthyOnStart({ onHealthy: () => healthy++, signal: controller.signal });
    await flushMicrotasks();
    expect(healthy).to.equal(0);
    expect(aborted.state).to.equal('stopped');
  });
});

describe('health monitor end to end (real timers, real HTTP server)', () => {
  it('goes healthy while the server answers 200 and unhealthy once it closes', async () => {
    const server = await pingServer();
    const controller = new AbortController();
    try {
      let onHealthy!: () => void;
      const healthy = new Promise<void>((resolve) => (onHealthy = resolve));
      const monitor = monitorHealth({
        check: (signal) => httpCheck({ host: HOST, hostPort: server.port, port: 8080, path: '/ping', requestTimeoutMs: 500 }, signal),
        startTimeoutMs: 5000,
        unhealthyIntervalMs: 20,
        healthyIntervalMs: 20,
        clock: systemClock,
        signal: controller.signal,
        onHealthy,
      });
      await healthy;
      expect(monitor.state).to.equal('healthy');
      const seen = server.requests.length;
      await server.close();
      const end = await monitor.done;
      expect(end).to.deep.equal({
        state: 'unhealthy',
        reason: "Instance became unhealthy: Liveness check unsuccessful: failed to make HTTP request to '/ping' on port 8080: connection refused",
      });
      expect(server.requests.length).to.be.at.least(seen);
    } finally {
      controller.abort();
      await server.close().catch(() => undefined);
    }
  });
});
