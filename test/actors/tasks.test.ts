import { expect } from 'chai';
import { DEFERRED_ROUND_DELAY_MS } from '../../src/actors/auctioneer.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Task } from '../../src/models/task.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { startHarness, types, type Harness } from './control-harness.js';

function taskJson(task_guid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { task_guid, domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 256, disk_mb: 256, result_file: '/tmp/result', action: { run: { path: '/bin/job', user: 'vcap' } }, ...overrides };
}

describe('control: tasks', () => {
  let h: Harness;

  const task = (guid: string) => h.control.getTask(guid);
  const waitTask = (guid: string, pred: (t: Task | undefined) => boolean, what: string) =>
    eventuallyWhere(() => task(guid), pred, (t) => t && [t.state, t.failed, t.failure_reason, t.rejection_count], what);

  beforeEach(() => {
    h = startHarness({ completedTaskTtlMs: 120_000, callbackRetryMs: 1_000 });
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('runs a task: PENDING, placed, RUNNING, COMPLETED with its result, resolved and deleted', async () => {
    const created = await h.control.desireTask(taskJson('job-1'));
    expect(created.ok && created.value.state).to.equal('PENDING');
    const cell = h.cells.get('cell-1');
    await eventually(() => expect([...cell.tasks.keys()]).to.deep.equal(['job-1']));
    cell.startTask('job-1');
    await waitTask('job-1', (t) => t?.state === 'RUNNING' && t.cell_id === 'cell-1', 'RUNNING');
    cell.completeTask('job-1', { result: '42' });
    const done = await waitTask('job-1', (t) => t?.state === 'COMPLETED', 'COMPLETED');
    expect(done!.failed).to.equal(false);
    expect(done!.result).to.equal('42');
    await eventually(() => expect(cell.deletes).to.deep.equal(['job-1']));
    const resolved = await h.control.resolveTask('job-1');
    expect(resolved.ok).to.equal(true);
    expect(await task('job-1')).to.equal(undefined);
    expect(await h.control.tasks()).to.deep.equal([]);
    expect(types(h.events).filter((t) => t.startsWith('task_'))).to.deep.equal(['task_created', 'task_changed', 'task_changed', 'task_removed']);
  });

  it('refuses a bad task with the field named', async () => {
    const result = await h.control.desireTask(taskJson('job-1', { memory_mb: -5 }));
    expect(!result.ok && result.error.code).to.equal('InvalidRequest');
    expect(!result.ok && result.error.message).to.contain('memory_mb');
    expect(await h.control.tasks()).to.deep.equal([]);
  });

  it('cancels a running task: COMPLETED failed `task was cancelled`, the cell told to stop it', async () => {
    await h.control.desireTask(taskJson('job-1'));
    const cell = h.cells.get('cell-1');
    await eventually(() => expect(cell.tasks.has('job-1')).to.equal(true));
    cell.startTask('job-1');
    await waitTask('job-1', (t) => t?.state === 'RUNNING', 'RUNNING');
    const cancelled = await h.control.cancelTask('job-1');
    expect(cancelled.ok && [cancelled.value.state, cancelled.value.failed, cancelled.value.failure_reason]).to.deep.equal(['COMPLETED', true, 'task was cancelled']);
    expect(cell.cancels).to.deep.equal(['job-1']);
    // the cell then reports the killed task; its container is destroyed
    cell.completeTask('job-1', { failed: true, failure_reason: 'task was cancelled' });
    await eventually(() => expect(cell.deletes).to.deep.equal(['job-1']));
    const again = await h.control.cancelTask('job-1');
    expect(!again.ok && again.error.code).to.equal('InvalidStateTransition');
  });

  it('a task no cell fits is rejected until it fails with the placement error', async () => {
    await h.control.desireTask(taskJson('big', { memory_mb: 100_000 }));
    for (const n of [1, 2, 3]) {
      const t = await waitTask('big', (t) => t?.rejection_count === n, `rejected ${n} times`);
      expect(t!.state).to.equal('PENDING');
      expect(t!.rejection_reason).to.match(/^insufficient resources: memory/);
      h.cells.heartbeatAll();
      await h.clock.advance(5_000);
    }
    const failed = await waitTask('big', (t) => t?.state === 'COMPLETED', 'failed');
    expect(failed!.failed).to.equal(true);
    expect(failed!.failure_reason).to.match(/^insufficient resources: memory/);
    expect(failed!.rejection_count).to.equal(3);
  });

  it('deletes a completed task nobody resolves after completedTaskTtlMs', async () => {
    await h.control.desireTask(taskJson('job-1'));
    const cell = h.cells.get('cell-1');
    await eventually(() => expect(cell.tasks.has('job-1')).to.equal(true));
    cell.startTask('job-1');
    await waitTask('job-1', (t) => t?.state === 'RUNNING', 'RUNNING');
    cell.completeTask('job-1', { result: 'ok' });
    await waitTask('job-1', (t) => t?.state === 'COMPLETED', 'COMPLETED');
    await h.clock.advance(119_000);
    expect((await task('job-1'))?.state).to.equal('COMPLETED');
    await h.clock.advance(2_000);
    await waitTask('job-1', (t) => t === undefined, 'deleted');
  });

  describe('completion callback', () => {
    let server: Server;
    let statuses: number[];
    let bodies: Task[];

    beforeEach(async () => {
      bodies = [];
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          bodies.push(JSON.parse(body) as Task);
          res.statusCode = statuses.shift() ?? 200;
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('POSTs the completed task, retries after a 503, deletes the task on 200', async () => {
      statuses = [503, 200];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/done`;
      await h.control.desireTask(taskJson('job-cb', { completion_callback_url: url }));
      const cell = h.cells.get('cell-1');
      await eventually(() => expect(cell.tasks.has('job-cb')).to.equal(true));
      cell.startTask('job-cb');
      await waitTask('job-cb', (t) => t?.state === 'RUNNING', 'RUNNING');
      cell.completeTask('job-cb', { result: 'hello' });
      await eventually(() => expect(bodies).to.have.length(1));
      expect(bodies[0]!.state).to.equal('RESOLVING');
      expect(bodies[0]!.result).to.equal('hello');
      expect((await task('job-cb'))?.state, 'still there after the 503').to.equal('RESOLVING');
      await eventually(async () => {
        await h.clock.advance(1_000);
        expect(bodies).to.have.length(2);
      });
      await waitTask('job-cb', (t) => t === undefined, 'deleted after the 200');
      expect(types(h.events).filter((t) => t.startsWith('task_')).at(-1)).to.equal('task_removed');
    });

    it('any other status deletes the task without a retry', async () => {
      statuses = [500];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/done`;
      await h.control.desireTask(taskJson('job-cb', { completion_callback_url: url }));
      const cell = h.cells.get('cell-1');
      await eventually(() => expect(cell.tasks.has('job-cb')).to.equal(true));
      cell.startTask('job-cb');
      cell.completeTask('job-cb', { failed: true, failure_reason: 'exit 2' });
      await waitTask('job-cb', (t) => t === undefined, 'deleted');
      expect(bodies).to.have.length(1);
      expect(bodies[0]!.failed).to.equal(true);
    });
  });

  it('a restart brings tasks back: a RUNNING task stays RUNNING, a PENDING one is auctioned again', async () => {
    await h.control.desireTask(taskJson('job-1'));
    const cell = h.cells.get('cell-1');
    await eventually(() => expect(cell.tasks.has('job-1')).to.equal(true));
    cell.startTask('job-1');
    await waitTask('job-1', (t) => t?.state === 'RUNNING', 'RUNNING');
    cell.unreachable = true;
    await h.control.desireTask(taskJson('job-2'));
    // the rounds no cell answers are deferred (auctioneer.ts MAX_DEFERRED_ROUNDS) before one rejects it
    await eventually(async () => {
      await h.clock.advance(DEFERRED_ROUND_DELAY_MS);
      expect((await task('job-2'))?.rejection_count ?? 0, 'rejected while the cell is unreachable').to.be.above(0);
    });
    h = await h.restart();
    cell.unreachable = false;
    h.cells.heartbeatAll();
    expect((await task('job-1'))?.state).to.equal('RUNNING');
    await eventually(() => expect(cell.tasks.has('job-2')).to.equal(true));
  });
});
