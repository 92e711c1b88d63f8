/**
 * The scheduler on one node with real processes: control and a cell in one actor system on
 * LMDB, containers through the process backend, small timings.
 */
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startScheduler, type Scheduler } from '../../src/actors/node.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { ProcessBackend } from '../../src/garden/process/process-backend.js';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { consistently, eventually, eventuallyWhere } from '../support/eventually.js';
import { fetchText } from '../support/http.js';
import { tempDir } from '../support/temp-dir.js';

const SERVER = "require('http').createServer((q, s) => s.end(process.env.INSTANCE_INDEX + ' ' + process.env.INSTANCE_GUID)).listen(Number(process.env.PORT), '127.0.0.1')";


describe('scheduler on one node with the process backend', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let engine: LmdbPersistenceEngine;
  let backend: ProcessBackend;
  let system: ActorSystem;
  let node: Scheduler;
  let n = 0;

  beforeEach(async () => {
    dir = tempDir();
    engine = LmdbPersistenceEngine.open(`${dir.path}/lmdb`);
    backend = await ProcessBackend.open({ dataDir: `${dir.path}/garden`, gracefulStopMs: 500, scope: `auctor-test/sched-${process.pid}` });
    system = ActorSystem.start({ name: `sched-${n++}`, engine });
    node = startScheduler(system, {
      roles: ['control', 'cell'],
      cellId: 'cell-1',
      backend,
      cell: { gracefulStopMs: 500, unhealthyIntervalMs: 50, healthyIntervalMs: 200, heartbeatMs: 500, reconcileMs: 2000 },
      control: { cellTtlMs: 5000, convergenceIntervalMs: 1000, taskRetryMs: 50, callbackRetryMs: 50, restart: { immediateRestarts: 3, backoffMs: 400, maxBackoffMs: 800, maxRestarts: 5, crashResetMs: 300_000 } },
    });
    await eventually(async () => expect((await node.control!.cells()).map((c) => c.cell_id)).to.deep.equal(['cell-1']));
  });
  afterEach(async () => {
    await system.shutdown();
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    await engine.close();
    dir.remove();
  });

  const control = () => node.control!;
  const rows = async () => (await control().actualLrps({ process_guid: 'web' })).sort((a, b) => a.index - b.index);
  const until = (pred: (r: ActualLRP[]) => boolean, what: string, timeout = 20_000) =>
    eventuallyWhere(rows, pred, (r) => r.map((a) => [a.index, a.state, a.crash_count, a.crash_reason]), what, { timeout });
  const desireWeb = (instances: number) =>
    control().desireLrp({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances, memory_mb: 128, disk_mb: 64, ports: [8080],
      action: { run: { path: process.execPath, args: ['-e', SERVER], user: 'vcap' } },
      check_definition: { checks: [{ http_check: { port: 8080, path: '/' } }] },
      start_timeout_ms: 10_000,
    });

  it('runs 3 instances that serve on their ports, restarts a crashed one, scales 3→1→2 and deletes', async () => {
    expect((await desireWeb(3)).ok).to.equal(true);
    const running = await until((r) => r.length === 3 && r.every((a) => a.state === 'RUNNING'), '3 RUNNING');
    for (const a of running) {
      expect(a.ports[0]!.container_port).to.equal(8080);
      expect(await fetchText(a.ports[0]!.host_port)).to.equal(`${a.index} ${a.instance_guid}`);
    }

    // kill instance 1's processes from outside: Diego's crash policy restarts it at once
    const victim = running[1]!;
    const container = await backend.lookup(victim.instance_guid);
    await Promise.all(container.processes().map((p) => p.signal('KILL')));
    const restarted = await until((r) => r[1]?.state === 'RUNNING' && r[1].crash_count === 1 && r[1].instance_guid !== victim.instance_guid, 'restarted');
    expect(restarted[1]!.crash_reason).to.match(/Exited with status 137|Instance became unhealthy/);

    expect((await control().updateLrp('web', { instances: 1 })).ok).to.equal(true);
    await until((r) => r.length === 1 && r[0]!.index === 0, 'scaled to 1');
    await eventually(async () => expect(await backend.containers()).to.have.length(1));
    expect((await control().updateLrp('web', { instances: 2 })).ok).to.equal(true);
    await until((r) => r.length === 2 && r.every((a) => a.state === 'RUNNING'), 'scaled to 2');

    const ports = (await rows()).map((a) => a.ports[0]!.host_port);
    expect((await control().removeLrp('web')).ok).to.equal(true);
    await eventually(async () => expect(await backend.containers()).to.have.length(0));
    for (const port of ports) expect(await fetchText(port).catch((e: Error) => e.message)).to.match(/ECONNREFUSED/);
    expect(await rows()).to.deep.equal([]);
  });

  it("applies Diego's crash policy to a process that keeps exiting: 2 immediate restarts, then backoff, then giving up", async () => {
    const started = Date.now();
    expect((await control().desireLrp({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 1, memory_mb: 32,
      action: { run: { path: 'sh', args: ['-c', 'exit 17'], user: 'vcap' } },
    })).ok).to.equal(true);
    const crashed = await until((r) => r[0]?.state === 'CRASHED' && r[0].crash_count === 3, 'CRASHED after the third crash');
    expect(crashed[0]!.crash_reason).to.equal('APP/PROC/WEB: Exited with status 17');
    // backoff 400 ms, then 800 ms (the cap) for crash 4; crash 5 reaches max-restarts and stays
    const gaveUp = await until((r) => r[0]?.crash_count === 5 && r[0].state === 'CRASHED', 'gave up at 5', 30_000);
    expect(Date.now() - started).to.be.greaterThan(400 + 800);
    await consistently(async () => expect((await rows())[0]).to.include({ state: 'CRASHED', crash_count: 5 }), { duration: 1500 });
    expect(gaveUp[0]!.instance_guid).to.equal('');
  });

  it('cancels a running task: its process is killed and the task fails with `task was cancelled`', async () => {
    expect((await control().desireTask({
      task_guid: 'sleeper', domain: 'jobs', rootfs: 'preloaded:host', memory_mb: 16,
      action: { run: { path: 'sh', args: ['-c', 'sleep 60'], user: 'vcap' } },
    })).ok).to.equal(true);
    await eventually(async () => expect((await control().getTask('sleeper'))?.state).to.equal('RUNNING'));
    const container = await eventually(() => backend.lookup('sleeper'));
    await eventually(() => expect(container.processes().length).to.be.greaterThan(0));
    expect((await control().cancelTask('sleeper')).ok).to.equal(true);
    const task = await eventually(async () => {
      const t = await control().getTask('sleeper');
      expect(t?.state).to.equal('COMPLETED');
      return t!;
    });
    expect(task).to.include({ failed: true, failure_reason: 'task was cancelled' });
    const statuses = await Promise.all(container.processes().map((p) => p.wait()));
    expect(statuses.every((s) => s.code !== 0)).to.equal(true);
  });

  it('calls a task back, retries after a 503, and deletes the task once the callback is answered', async () => {
    const calls: Array<{ status: number; body: { task_guid: string; failed: boolean; result: string } }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const status = calls.length === 0 ? 503 : 200;
        calls.push({ status, body: JSON.parse(body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      expect((await control().desireTask({
        task_guid: 'reported', domain: 'jobs', rootfs: 'preloaded:host', memory_mb: 16, result_file: 'out.txt',
        completion_callback_url: `http://127.0.0.1:${port}/done`,
        action: { run: { path: 'sh', args: ['-c', 'echo -n done > out.txt'], user: 'vcap' } },
      })).ok).to.equal(true);
      await eventually(async () => expect(await control().getTask('reported')).to.equal(undefined), { timeout: 20_000 });
      expect(calls.map((c) => c.status)).to.deep.equal([503, 200]);
      expect(calls[1]!.body).to.include({ task_guid: 'reported', failed: false, result: 'done' });
      // the task's container is gone with it
      await eventually(async () => expect((await backend.containers()).map((c) => c.handle)).to.not.include('reported'));
    } finally {
      server.close();
    }
  });

  it('runs a task to its result, fails one that exits non-zero, and fails one no cell can place', async () => {
    const task = (task_guid: string, script: string, memory_mb = 64) =>
      control().desireTask({
        task_guid, domain: 'jobs', rootfs: 'preloaded:host', memory_mb, disk_mb: 10, result_file: '/home/vcap/result.txt',
        action: { run: { path: 'sh', args: ['-c', script], user: 'vcap' } },
      });
    expect((await task('ok-task', 'echo -n 42 > $HOME/result.txt')).ok).to.equal(true);
    expect((await task('bad-task', 'exit 3')).ok).to.equal(true);
    expect((await task('huge-task', 'true', 1024 * 1024)).ok).to.equal(true); // 1 TiB, the most a task may ask for
    const done = (guid: string) =>
      eventually(async () => {
        const t = await control().getTask(guid);
        expect(t?.state, guid).to.equal('COMPLETED');
        return t!;
      }, { timeout: 20_000 });
    expect(await done('ok-task')).to.include({ failed: false, result: '42' });
    expect(await done('bad-task')).to.include({ failed: true, failure_reason: 'Exited with status 3' });
    const huge = await done('huge-task');
    expect(huge.failed).to.equal(true);
    expect(huge.failure_reason).to.match(/^insufficient resources: memory/);
  });
});
