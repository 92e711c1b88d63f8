import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { DOMAIN_FOREVER } from '../../src/models/domain.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

describe('control: convergence, reconciliation, domains', () => {
  let h: Harness;

  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(() => h.control.actualLrps({ process_guid: 'web' }), pred, (rows) => rows.map((r) => [r.index, r.state, r.cell_id, r.placement_error]), what);

  beforeEach(() => {
    h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 30_000 });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a cell that stops heartbeating is lost: its instances are placed again elsewhere, its tasks fail', async () => {
    const one = h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await h.control.desireTask({ task_guid: 'job', domain: 'jobs', rootfs: FAKE_ROOTFS, action: { run: { path: '/bin/job', user: 'vcap' } } });
    await eventually(() => expect([one.lrps.size, one.tasks.size]).to.deep.equal([2, 1]));
    one.startAll();
    one.startTask('job');
    await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), 'RUNNING on cell-1');
    await eventually(async () => expect((await h.control.getTask('job'))?.state).to.equal('RUNNING'));

    const two = h.cells.add('cell-2');
    two.heartbeat();
    await h.clock.advance(6_000);
    two.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    await h.clock.advance(4_500);
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['cell-2']));
    await eventually(() => expect(two.lrps.size).to.equal(2));
    two.startAll();
    const rows = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING' && r.cell_id === 'cell-2'), 'RUNNING on cell-2');
    expect(rows.every((r) => r.crash_count === 0)).to.equal(true);
    const job = await eventually(async () => {
      const t = await h.control.getTask('job');
      expect(t?.state).to.equal('COMPLETED');
      return t!;
    });
    expect([job.failed, job.failure_reason]).to.deep.equal([true, 'cell disappeared before completion']);
  });

  it('an UNCLAIMED instance with a placement error is auctioned again as soon as a cell appears, not once it is stale', async () => {
    h.cells.add('small', { memory_mb: 128 });
    h.cells.heartbeatAll();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await waitFor((rows) => rows[0]?.placement_error !== '' && rows[0] !== undefined, 'placement error');
    const big = h.cells.add('big');
    h.cells.heartbeatAll();
    // no convergence pass, no time passing: the cell's appearance is enough
    await eventually(() => expect(big.lrps.size).to.equal(1));
    big.startAll();
    await waitFor((rows) => rows[0]?.state === 'RUNNING' && rows[0].cell_id === 'big' && rows[0].placement_error === '', 'RUNNING on big');
  });

  it('an instance whose auction was under way when a cell appeared, and failed, is auctioned again at once (a failover: the new active auctions before the cells reach it)', async () => {
    const small = h.cells.add('small', { memory_mb: 128 });
    h.cells.heartbeatAll();
    let answer!: () => void;
    small.stateGate = new Promise((resolve) => (answer = resolve));
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    // the round waits on the small cell's state; meanwhile a cell that fits appears
    await eventually(async () => expect((await h.control.actualLrps({ process_guid: 'web' }))[0]?.state).to.equal('UNCLAIMED'));
    const big = h.cells.add('big');
    big.heartbeat();
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id).sort()).to.deep.equal(['big', 'small']));
    // the round knew only the small cell: it fails, and no cell appears after that
    answer();
    await eventually(() => expect(big.lrps.size).to.equal(1));
    big.startAll();
    await waitFor((rows) => rows[0]?.state === 'RUNNING' && rows[0].cell_id === 'big', 'RUNNING on big');
  });

  it('reconciles a cell\'s containers: what nobody accounts for is stopped, the rest is left alone', async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(cell.lrps.size).to.equal(1));
    cell.startAll();
    const [row] = await waitFor((rows) => rows[0]?.state === 'RUNNING', 'RUNNING');
    h.control.report({
      type: 'cell-report/containers',
      cell_id: 'cell-1',
      containers: [
        { kind: 'lrp', process_guid: 'web', index: 0, instance_guid: row!.instance_guid, state: 'RUNNING' },
        { kind: 'lrp', process_guid: 'web', index: 0, instance_guid: 'old-guid', state: 'RUNNING' },
        { kind: 'lrp', process_guid: 'web', index: 7, instance_guid: 'extra', state: 'CLAIMED' },
        { kind: 'lrp', process_guid: 'gone', index: 0, instance_guid: 'orphan', state: 'RUNNING' },
        { kind: 'task', task_guid: 'nobody', state: 'RUNNING' },
        { kind: 'task', task_guid: 'finished', state: 'COMPLETED' },
      ],
    });
    await eventually(() => expect(cell.stops.map((s) => s.instance_guid).sort()).to.deep.equal(['extra', 'old-guid', 'orphan']));
    await eventually(() => expect([cell.cancels, cell.deletes]).to.deep.equal([['nobody'], ['finished']]));
    expect((await h.control.actualLrps())[0]).to.deep.equal(row);
  });

  it('retires one instance: stopped on its cell, its row replaced by a fresh UNCLAIMED one at once', async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await eventually(() => expect(cell.lrps.size).to.equal(2));
    cell.startAll();
    const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), 'RUNNING');
    const retired = await h.control.retireActualLrp('web', 1);
    expect(retired.ok && retired.value?.instance_guid).to.equal(before[1]!.instance_guid);
    expect(cell.stops.map((s) => s.instance_guid)).to.deep.equal([before[1]!.instance_guid]);
    const missing = await h.control.retireActualLrp('web', 5);
    expect(!missing.ok && missing.error.code).to.equal('ResourceNotFound');
    // the supervisor keeps an actor per desired index: the retired one is replaced at once (Diego
    // waits for the next convergence pass)
    await eventually(() => expect(cell.lrps.size).to.equal(2));
    cell.startAll();
    const after = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), 'RUNNING again');
    expect(after[0]).to.deep.equal(before[0]);
    expect(after[1]!.instance_guid).to.not.equal(before[1]!.instance_guid);
    const [view] = await h.control.cellViews();
    expect(view!.presence.cell_id).to.equal('cell-1');
    expect(view!.state!.available_resources.memory_mb).to.equal(4096 - 2 * 256);
  });

  it('keeps domains fresh for their TTL, forever with 0, and refuses a bad ttl', async () => {
    expect((await h.control.upsertDomain('apps', { ttl: 60 })).ok).to.equal(true);
    const forever = await h.control.upsertDomain('jobs', {});
    expect(forever.ok && forever.value.expire_time).to.equal(DOMAIN_FOREVER);
    const bad = await h.control.upsertDomain('x', { ttl: -1 });
    expect(!bad.ok && bad.error.message).to.contain('ttl');
    expect(await h.control.domains()).to.deep.equal(['apps', 'jobs']);
    await h.clock.advance(61_000);
    expect(await h.control.domains()).to.deep.equal(['jobs']);
    h = await h.restart();
    expect(await h.control.domains()).to.deep.equal(['jobs']);
  });
});
