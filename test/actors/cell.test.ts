import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FakeBackend, type FakeContainer } from '../../src/garden/fake/fake-backend.js';
import { AuctorError } from '../../src/base/errors.js';
import { buildTask } from '../models/builders.js';
import { localCellClient } from '../../src/actors/cell-client.js';
import { CELL_ID, lrpWork, startCell, type CellHarness } from '../support/cell-harness.js';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { tempDir } from '../support/temp-dir.js';

const run = (path: string) => ({ run: { path, user: 'vcap' } });

describe('cell actor (fake backend)', () => {
  let clock: FakeClock;
  let backend: FakeBackend;
  let dir: { path: string; remove: () => void };
  let h: CellHarness;

  beforeEach(() => {
    clock = new FakeClock();
    dir = tempDir('auctor-cell-');
    backend = new FakeBackend({ capacity: { memoryMb: 1024, diskMb: 2048, containers: 3 }, dataDir: dir.path });
  });
  afterEach(async () => {
    await h?.shutdown();
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    dir.remove();
  });

  const start = () => (h = startCell(backend, { clock }));
  const fake = (handle: string) => backend.container(handle) as FakeContainer;
  /** the container's latest process, once it has one */
  const lastRun = (handle: string) =>
    eventually(() => {
      const p = fake(handle)?.lastRun;
      if (!p) throw new Error(`no process in ${handle} yet`);
      return p;
    });
  const key = (instance_guid: string, index = 0) => ({ cell_id: CELL_ID, process_guid: 'web', index, instance_guid });

  describe('state', () => {
    it('reports its capacity, rootfses, zone and tags, minus what its containers reserve', async () => {
      start();
      const empty = await h.client.state(1000);
      expect(empty).to.include({ cell_id: CELL_ID, zone: 'z1', starting_container_count: 0, evacuating: false });
      expect(empty.rootfs_providers).to.deep.equal(['preloaded:host', 'preloaded:busybox']);
      expect(empty.placement_tags).to.deep.equal(['gpu']);
      expect(empty.optional_placement_tags).to.deep.equal(['ssd']);
      expect(empty.total_resources).to.deep.equal({ memory_mb: 1024, disk_mb: 2048, containers: 3 });
      expect(empty.available_resources).to.deep.equal({ memory_mb: 1024, disk_mb: 2048, containers: 3 });

      // a monitor that never passes keeps the instance starting (no clock advance: one check only)
      backend.onRun((spec) => (spec.path === 'check' ? { exitCode: 1 } : undefined));
      const result = await h.client.perform({
        lrps: [lrpWork('ig-1', { memory_mb: 256, disk_mb: 512, monitor: run('check') })],
        tasks: [{ task: buildTask({ task_guid: 't-1', memory_mb: 100, disk_mb: 100, action: run('work') }) }],
      }, 1000);
      expect(result).to.deep.equal({ failedLrps: [], failedTasks: [] });
      const state = await h.client.state(1000);
      expect(state.available_resources).to.deep.equal({ memory_mb: 668, disk_mb: 1436, containers: 1 });
      expect(state.lrps).to.deep.equal([{ process_guid: 'web', index: 0, memory_mb: 256, disk_mb: 512 }]);
      expect(state.tasks).to.deep.equal([{ task_guid: 't-1', memory_mb: 100, disk_mb: 100 }]);
      expect(state.starting_container_count).to.equal(1);
    });

    it('fails what no longer fits with rep\'s insufficient-resources reasons, reserving nothing for it', async () => {
      start();
      const result = await h.client.perform({
        lrps: [
          lrpWork('ig-1', { memory_mb: 600 }),
          lrpWork('ig-2', { memory_mb: 600 }, 1),
          lrpWork('ig-3', { disk_mb: 4096 }, 2),
        ],
        tasks: ['t-1', 't-2', 't-3'].map((task_guid) => ({ task: buildTask({ task_guid }) })),
      }, 1000);
      expect(result.failedLrps).to.deep.equal([
        { process_guid: 'web', index: 1, instance_guid: 'ig-2', reason: 'insufficient resources: memory' },
        { process_guid: 'web', index: 2, instance_guid: 'ig-3', reason: 'insufficient resources: disk' },
      ]);
      expect(result.failedTasks).to.deep.equal([{ task_guid: 't-3', reason: 'insufficient resources: containers' }]);
      expect(backend.size).to.equal(3);
      await h.next('cell-report/lrp-claimed');
      expect(h.of('cell-report/lrp-claimed').map((r) => r.instance_guid)).to.deep.equal(['ig-1']);
    });

    it('puts an item whose container cannot be created into failedLrps and reports nothing for it', async () => {
      start();
      backend.failNextCreate(new AuctorError('Unavailable', 'garden is down'));
      const result = await h.client.perform({ lrps: [lrpWork('ig-1', { memory_mb: 100 })], tasks: [] }, 1000);
      expect(result.failedLrps).to.deep.equal([{ process_guid: 'web', index: 0, instance_guid: 'ig-1', reason: 'garden is down' }]);
      const state = await h.client.state(1000);
      expect(state.lrps).to.deep.equal([]);
      expect(state.available_resources.memory_mb).to.equal(1024);
      expect(h.of('cell-report/lrp-claimed')).to.deep.equal([]);
    });
  });

  describe('LRP instances', () => {
    it('creates the container as asked, reports claimed, then running at once without a check', async () => {
      start();
      await h.client.perform({
        lrps: [lrpWork('ig-1', { ports: [8080], env: [{ name: 'A', value: 'b' }], memory_mb: 128, disk_mb: 256, max_pids: 64 }, 2)],
        tasks: [],
      }, 1000);
      expect(await h.next('cell-report/lrp-claimed')).to.deep.equal({ type: 'cell-report/lrp-claimed', ...key('ig-1', 2) });
      const running = await h.next('cell-report/lrp-running');
      expect(running).to.deep.equal({ type: 'cell-report/lrp-running', ...key('ig-1', 2), address: '127.0.0.1', ports: [{ container_port: 8080, host_port: 61000 }] });
      const c = fake('ig-1');
      expect(c.spec.identity).to.deep.equal({ index: 2, guid: 'ig-1' });
      expect(c.spec.limits).to.deep.equal({ memoryMb: 128, diskMb: 256, maxPids: 64 });
      expect(c.properties).to.include({ kind: 'lrp', process_guid: 'web', index: '2', domain: 'apps' });
      expect(c.lastRun!.env).to.include({ A: 'b', PORT: '61000', INSTANCE_INDEX: '2' });
      expect((await h.client.state(1000)).starting_container_count).to.equal(0);
    });

    it('runs setup before the action and tags the lines with APP/PROC/WEB/<index>', async () => {
      start();
      backend.onRun((spec) => (spec.path === 'setup' ? { exitCode: 0, output: ['set up'] } : { output: ['serving'] }));
      await h.client.perform({ lrps: [lrpWork('ig-1', { setup: run('setup'), action: run('serve') }, 1)], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running');
      expect(fake('ig-1').runs.map((p) => p.spec.path)).to.deep.equal(['setup', 'serve']);
      await eventually(() => expect(h.lines.map((l) => `${l.line.source}: ${l.line.line}`)).to.include.members(['APP/PROC/WEB/1: set up', 'APP/PROC/WEB/1: serving']));
    });

    it('reports a crash with Diego\'s reason when the process exits, and destroys the container', async () => {
      start();
      await h.client.perform({ lrps: [lrpWork('ig-1'), lrpWork('ig-2', {}, 1)], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running', (r) => r.instance_guid === 'ig-2');
      fake('ig-1').lastRun!.exit(1);
      fake('ig-2').lastRun!.exit(0);
      const crashed1 = await h.next('cell-report/lrp-crashed', (r) => r.instance_guid === 'ig-1');
      const crashed2 = await h.next('cell-report/lrp-crashed', (r) => r.instance_guid === 'ig-2');
      expect(crashed1).to.deep.equal({ type: 'cell-report/lrp-crashed', ...key('ig-1'), reason: 'APP/PROC/WEB: Exited with status 1' });
      expect(crashed2.reason, 'no monitor: exit 0 crashes too').to.equal('APP/PROC/WEB: Exited with status 0');
      expect(backend.destroyed).to.include.members(['ig-1', 'ig-2']);
      expect(backend.size).to.equal(0);
      expect((await h.client.state(1000)).lrps).to.deep.equal([]);
    });

    it('prefixes the crash reason with the LRP\'s log_source and reports an out-of-memory exit', async () => {
      start();
      backend.onRun(() => ({ exitCode: 137, oom: true }));
      await h.client.perform({ lrps: [lrpWork('ig-1', { log_source: 'MY/APP' })], tasks: [] }, 1000);
      const crashed = await h.next('cell-report/lrp-crashed');
      expect(crashed.reason).to.equal('MY/APP: Exited with status 137 (out of memory)');
    });

    it('with a monitor: running once it passes, an exit 0 is no crash, a failing check crashes it', async () => {
      start();
      let healthy = true;
      backend.onRun((spec) => (spec.path === 'check' ? { exitCode: healthy ? 0 : 1 } : undefined));
      await h.client.perform({ lrps: [lrpWork('ig-1', { monitor: run('check') })], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running');
      fake('ig-1').runs.find((p) => p.spec.path === 'run' || p.spec.path === '/bin/sh')!.exit(0);
      await clock.advance(100); // one liveness check, still passing
      expect(h.of('cell-report/lrp-crashed')).to.deep.equal([]);
      healthy = false;
      await clock.advance(100);
      const crashed = await h.next('cell-report/lrp-crashed');
      expect(crashed.reason).to.equal('Instance became unhealthy: Liveness check unsuccessful: Exited with status 1');
      expect(backend.size).to.equal(0);
    });

    it('with a monitor that never passes: crashes after start_timeout_ms with the monitor\'s reason', async () => {
      start();
      backend.onRun((spec) => (spec.path === 'check' ? { exitCode: 1 } : undefined));
      await h.client.perform({ lrps: [lrpWork('ig-1', { monitor: run('check'), start_timeout_ms: 1000 })], tasks: [] }, 1000);
      await h.next('cell-report/lrp-claimed');
      await lastRun('ig-1');
      await clock.advance(999);
      expect(h.of('cell-report/lrp-crashed')).to.deep.equal([]);
      await clock.advance(1);
      expect((await h.next('cell-report/lrp-crashed')).reason).to.equal('Instance never healthy after 1s: Exited with status 1');
      expect(h.of('cell-report/lrp-running')).to.deep.equal([]);
      expect(backend.size).to.equal(0);
    });

    it('with a monitor: a non-zero exit of the action crashes at once', async () => {
      start();
      backend.onRun((spec) => (spec.path === 'check' ? { exitCode: 0 } : undefined));
      await h.client.perform({ lrps: [lrpWork('ig-1', { monitor: run('check'), action: run('serve') })], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running');
      fake('ig-1').runs.find((p) => p.spec.path === 'serve')!.exit(2);
      expect((await h.next('cell-report/lrp-crashed')).reason).to.equal('APP/PROC/WEB: Exited with status 2');
    });

    it('stop-instance: TERM, destroy, lrp-stopped; an unknown instance is reported stopped too', async () => {
      start();
      await h.client.perform({ lrps: [lrpWork('ig-1')], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running');
      const process = await lastRun('ig-1');
      h.client.stopInstance('web', 0, 'ig-1');
      expect(await h.next('cell-report/lrp-stopped')).to.deep.equal({ type: 'cell-report/lrp-stopped', ...key('ig-1') });
      expect(process.signals[0]).to.equal('TERM');
      expect(backend.destroyed).to.deep.equal(['ig-1']);
      expect(h.of('cell-report/lrp-crashed'), 'a stop is no crash').to.deep.equal([]);
      expect((await h.client.state(1000)).lrps).to.deep.equal([]);

      h.client.stopInstance('web', 3, 'ig-unknown');
      expect(await h.next('cell-report/lrp-stopped', (r) => r.instance_guid === 'ig-unknown')).to.deep.include({ index: 3, cell_id: CELL_ID });
    });

    it('fencing: once a command of term 7 arrived, commands of term 6 (a deposed active) change nothing', async () => {
      start();
      const active = localCellClient(h.system, h.cell, CELL_ID, 7);
      const deposed = localCellClient(h.system, h.cell, CELL_ID, 6);
      expect(await deposed.perform({ lrps: [lrpWork('ig-0')], tasks: [] }, 1000)).to.deep.equal({ failedLrps: [], failedTasks: [] });
      expect(await active.perform({ lrps: [lrpWork('ig-1', {}, 1)], tasks: [] }, 1000)).to.deep.equal({ failedLrps: [], failedTasks: [] });
      await h.next('cell-report/lrp-running', (r) => r.instance_guid === 'ig-1');

      const refused = await deposed.perform({ lrps: [lrpWork('ig-2', {}, 2)], tasks: [] }, 1000);
      expect(refused.failedLrps).to.deep.equal([{ process_guid: 'web', index: 2, instance_guid: 'ig-2', reason: 'stale control term 6 (seen 7)' }]);
      deposed.stopInstance('web', 1, 'ig-1');
      // the mailbox is in order: the state answered after the stop shows it changed nothing
      expect((await active.state(1000)).lrps.map((l) => l.index).sort()).to.deep.equal([0, 1]);
      expect(h.of('cell-report/lrp-stopped')).to.deep.equal([]);
      expect(backend.destroyed).to.deep.equal([]);
      active.stopInstance('web', 1, 'ig-1');
      await h.next('cell-report/lrp-stopped', (r) => r.instance_guid === 'ig-1');
    });

    it('a container actor that fails reports the instance crashed, destroys it, and the cell lives on', async () => {
      start();
      backend.onRun((_spec, container) => {
        container.info = async () => {
          throw new Error('boom');
        };
      });
      await h.client.perform({ lrps: [lrpWork('ig-1')], tasks: [] }, 1000);
      const crashed = await h.next('cell-report/lrp-crashed');
      expect(crashed.reason).to.equal('container actor failed: boom');
      expect(backend.destroyed).to.deep.equal(['ig-1']);
      backend.onRun(undefined);
      await h.client.perform({ lrps: [lrpWork('ig-2')], tasks: [] }, 1000);
      await h.next('cell-report/lrp-running', (r) => r.instance_guid === 'ig-2');
    });
  });

  describe('tasks', () => {
    it('runs the action and completes with the first 10 KB of result_file; keeps the container until delete-task', async () => {
      start();
      backend.onRun((_spec, container) => {
        const path = container.hostPath('out/result.json');
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '{"ok":true}' + 'x'.repeat(20_000));
        return { exitCode: 0 };
      });
      await h.client.perform({ lrps: [], tasks: [{ task: buildTask({ task_guid: 't-1', result_file: 'out/result.json', memory_mb: 64 }) }] }, 1000);
      expect(await h.next('cell-report/task-started')).to.deep.equal({ type: 'cell-report/task-started', cell_id: CELL_ID, task_guid: 't-1' });
      const done = await h.next('cell-report/task-completed');
      expect(done).to.include({ cell_id: CELL_ID, task_guid: 't-1', failed: false, failure_reason: '' });
      expect(done.result).to.have.length(10 * 1024);
      expect(done.result.startsWith('{"ok":true}xxx')).to.equal(true);
      expect(fake('t-1').spec.identity).to.deep.equal({ guid: 't-1' });
      expect(backend.size, 'kept until delete').to.equal(1);
      expect((await h.client.state(1000)).tasks).to.have.length(1);
      expect((await h.client.state(1000)).lrps).to.deep.equal([]);

      h.client.deleteTask('t-1');
      await eventually(async () => expect((await h.client.state(1000)).tasks).to.deep.equal([]));
      expect(backend.destroyed).to.deep.equal(['t-1']);
    });

    it('a non-zero exit fails the task with the run step\'s text and no result', async () => {
      start();
      backend.onRun(() => ({ exitCode: 3 }));
      await h.client.perform({ lrps: [], tasks: [{ task: buildTask({ task_guid: 't-1', result_file: 'result' }) }] }, 1000);
      expect(await h.next('cell-report/task-completed')).to.deep.equal({
        type: 'cell-report/task-completed', cell_id: CELL_ID, task_guid: 't-1', failed: true, failure_reason: 'Exited with status 3', result: '',
      });
    });

    it('a missing result_file fails the task', async () => {
      start();
      backend.onRun(() => ({ exitCode: 0 }));
      await h.client.perform({ lrps: [], tasks: [{ task: buildTask({ task_guid: 't-1', result_file: 'nope' }) }] }, 1000);
      const done = await h.next('cell-report/task-completed');
      expect(done.failed).to.equal(true);
      expect(done.failure_reason).to.match(/^failed to read result_file: .*ENOENT/);
    });

    it('cancel-task kills the processes and completes it failed `task was cancelled`; unknown tasks too', async () => {
      start();
      await h.client.perform({ lrps: [], tasks: [{ task: buildTask({ task_guid: 't-1' }) }] }, 1000);
      const process = await lastRun('t-1');
      h.client.cancelTask('t-1');
      expect(await h.next('cell-report/task-completed')).to.deep.equal({
        type: 'cell-report/task-completed', cell_id: CELL_ID, task_guid: 't-1', failed: true, failure_reason: 'task was cancelled', result: '',
      });
      expect(process.exited).to.not.equal(undefined);
      h.client.cancelTask('t-unknown');
      expect(await h.next('cell-report/task-completed', (r) => r.task_guid === 't-unknown')).to.include({ failed: true, failure_reason: 'task was cancelled' });
    });
  });

  describe('heartbeat and reconcile', () => {
    it('heartbeats its presence at start and every heartbeatMs, and stops with the actor', async () => {
      start();
      await h.next('cell-report/heartbeat');
      const presence = h.of('cell-report/heartbeat')[0]!.presence;
      expect(presence).to.deep.include({
        cell_id: CELL_ID, zone: 'z1', capacity: { memory_mb: 1024, disk_mb: 2048, containers: 3 },
        rootfs_providers: ['preloaded:host', 'preloaded:busybox'], placement_tags: ['gpu'], optional_placement_tags: ['ssd'],
      });
      await clock.advance(999);
      expect(h.of('cell-report/heartbeat')).to.have.length(1);
      await clock.advance(1);
      await eventually(() => expect(h.of('cell-report/heartbeat')).to.have.length(2));
      await clock.advance(1000);
      await eventually(() => expect(h.of('cell-report/heartbeat')).to.have.length(3));
      h.system.stop(h.cell);
      await eventually(() => expect(clock.waiting).to.equal(0));
    });

    it('lists its containers at start and every reconcileMs, a RUNNING instance with its address and ports', async () => {
      start();
      const first = await h.next('cell-report/containers');
      expect(first).to.deep.equal({ type: 'cell-report/containers', cell_id: CELL_ID, containers: [] });
      await h.client.perform({ lrps: [lrpWork('ig-1')], tasks: [{ task: buildTask({ task_guid: 't-1' }) }] }, 1000);
      const running = await h.next('cell-report/lrp-running');
      await clock.advance(5000);
      await eventually(() => expect(h.of('cell-report/containers')).to.have.length(2));
      expect(h.of('cell-report/containers')[1]!.containers).to.deep.equal([
        { kind: 'lrp', process_guid: 'web', index: 0, instance_guid: 'ig-1', state: 'RUNNING', address: running.address, ports: running.ports },
        { kind: 'task', task_guid: 't-1', state: 'RUNNING' },
      ]);
    });

    it('reconcile finds containers destroyed outside the cell: a daemonised LRP crashes, a completed task is forgotten', async () => {
      h = startCell(backend, { clock, settings: { healthyIntervalMs: 60_000 } }); // no liveness check before the reconcile
      backend.onRun(() => ({ exitCode: 0 }));
      await h.client.perform({
        // with a monitor, an action exiting 0 leaves the instance running: only reconcile notices
        lrps: [lrpWork('ig-1', { monitor: run('check') })],
        tasks: [{ task: buildTask({ task_guid: 't-done' }) }],
      }, 1000);
      await h.next('cell-report/lrp-running');
      await h.next('cell-report/task-completed');
      await backend.destroy('ig-1');
      await backend.destroy('t-done');
      expect(h.of('cell-report/lrp-crashed')).to.deep.equal([]);
      await clock.advance(5000);
      expect(await h.next('cell-report/lrp-crashed')).to.include({ instance_guid: 'ig-1', reason: 'container was destroyed outside the cell' });
      await eventually(async () => {
        const state = await h.client.state(1000);
        expect(state.lrps).to.deep.equal([]);
        expect(state.tasks).to.deep.equal([]);
      });
    });

    it('adopts the backend\'s containers on start: running LRPs are reported running again, dead ones crashed and destroyed', async () => {
      const live = await backend.create({ handle: 'ig-live', rootfs: 'preloaded:host', ports: [8080], properties: { kind: 'lrp', process_guid: 'web', index: '0', domain: 'apps', instance_guid: 'ig-live' } });
      await live.run({ path: 'serve' });
      const dead = await backend.create({ handle: 'ig-dead', rootfs: 'preloaded:host', properties: { kind: 'lrp', process_guid: 'web', index: '1', domain: 'apps', instance_guid: 'ig-dead' } });
      (await dead.run({ path: 'serve' }));
      fake('ig-dead').lastRun!.exit(1);
      await backend.create({ handle: 'foreign', rootfs: 'preloaded:host' });
      start();
      const containers = await h.next('cell-report/containers');
      expect(containers.containers.map((c) => c.kind === 'lrp' && c.instance_guid)).to.deep.equal(['ig-dead', 'ig-live']);
      expect(await h.next('cell-report/lrp-running')).to.deep.include({ instance_guid: 'ig-live', ports: [{ container_port: 8080, host_port: 61000 }] });
      expect(await h.next('cell-report/lrp-crashed')).to.deep.include({ instance_guid: 'ig-dead', index: 1, reason: 'APP/PROC/WEB: Exited with status 1' });
      expect(backend.destroyed).to.deep.equal(['ig-dead']);
      fake('ig-live').lastRun!.exit(1);
      expect(await h.next('cell-report/lrp-crashed', (r) => r.instance_guid === 'ig-live')).to.include({ reason: 'APP/PROC/WEB: Exited with status 1' });
    });
  });
});
