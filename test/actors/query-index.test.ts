/**
 * Listings read the query index (src/actors/query-index.ts), not the actors: what a 2xx stored
 * is listed at once, a restart over the same LMDB lists what was listed before, and no listing
 * sends the supervisors, instances or tasks a message.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { refPath, type KernelRef, type Ref } from '../../src/runtime/kernel/protocol.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

const taskJson = (task_guid: string) => ({ task_guid, domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 64, disk_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } });
const show = (rows: ActualLRP[]) => rows.map((r) => [r.process_guid, r.index, r.presence, r.state, r.cell_id]);

/** Every listing the restart test compares: all rows, the filters, desired LRPs and tasks. */
async function listings(h: Harness) {
  return {
    all: await h.control.actualLrps(),
    web: await h.control.actualLrps({ process_guid: 'web' }),
    index1: await h.control.actualLrps({ process_guid: 'web', index: 1 }),
    cell2: await h.control.actualLrps({ cell_id: 'cell-2' }),
    desired: await h.control.lrps(),
    tasks: await h.control.tasks(),
  };
}

describe('control: listings from the query index', () => {
  let h: Harness;
  afterEach(() => h.stop());

  const running = (n: number) => eventuallyWhere(() => h.control.actualLrps(), (rows) => rows.filter((r) => r.state === 'RUNNING').length === n, show, `${n} RUNNING`);

  it('shows what a 2xx stored at once: a desire, a scale-up and -down, a retire, a task and its cancel', async () => {
    h = startHarness();
    h.cells.add('cell-1').heartbeat();
    expect((await h.control.desireLrp(lrpJson('web', { instances: 2 }))).ok).to.equal(true);
    expect((await h.control.lrps()).map((d) => [d.process_guid, d.instances])).to.deep.equal([['web', 2]]);
    await eventually(() => expect(h.cells.allInstances()).to.have.length(2));
    h.cells.get('cell-1').startAll();
    await running(2);

    expect((await h.control.updateLrp('web', { instances: 3 })).ok).to.equal(true);
    expect((await h.control.lrps({ domain: 'apps' }))[0]!.instances).to.equal(3);
    expect((await h.control.updateLrp('web', { instances: 1 })).ok).to.equal(true);
    expect(show(await h.control.actualLrps())).to.deep.equal([['web', 0, 'ORDINARY', 'RUNNING', 'cell-1']]);

    const retired = await h.control.retireActualLrp('web', 0);
    expect(retired.ok).to.equal(true);
    // the retired instance's row is gone and its fresh replacement listed, before any placement
    const [fresh] = await h.control.actualLrps({ process_guid: 'web', index: 0 });
    expect(fresh!.state).to.equal('UNCLAIMED');
    expect(fresh!.instance_guid).to.not.equal(retired.ok && retired.value!.instance_guid);

    expect((await h.control.desireTask(taskJson('t1'))).ok).to.equal(true);
    expect((await h.control.tasks()).map((t) => t.task_guid)).to.deep.equal(['t1']);
    expect((await h.control.cancelTask('t1')).ok).to.equal(true);
    expect((await h.control.tasks({ domain: 'jobs' })).map((t) => [t.task_guid, t.state])).to.deep.equal([['t1', 'COMPLETED']]);

    expect((await h.control.removeLrp('web')).ok).to.equal(true);
    expect(await h.control.lrps()).to.deep.equal([]);
    expect(await h.control.actualLrps()).to.deep.equal([]);
  });

  it('lists after a restart over the same LMDB exactly what it listed before (rows of every presence, filters, order, tasks)', async () => {
    const dir = tempDir('auctor-query-index-');
    const engine = LmdbPersistenceEngine.open(dir.path);
    try {
      h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 0 }, { engine });
      const one = h.cells.add('cell-1');
      const two = h.cells.add('cell-2');
      h.cells.heartbeatAll();
      // guids out of their sorted order, and one that looks like an array index
      for (const [guid, n] of [['web', 2], ['api', 1], ['42', 1]] as const) await h.control.desireLrp(lrpJson(guid, { instances: n }));
      await eventually(() => expect(h.cells.allInstances()).to.have.length(4));
      one.startAll();
      two.startAll();
      await running(4);
      // cell-1 vanishes: its instances become SUSPECT with UNCLAIMED replacements
      await h.clock.advance(6_000);
      two.heartbeat();
      await h.clock.advance(6_000);
      two.heartbeat();
      await h.control.converge();
      await eventually(async () => expect((await h.control.actualLrps()).some((r) => r.presence === 'SUSPECT')).to.equal(true));
      // a RUNNING task on the live cell: a PENDING one could be auctioned again by the restarted
      // node before the listing, and its rows (rejection_count) would change for a good reason
      await h.control.desireTask(taskJson('t1'));
      await eventually(() => expect(two.tasks.has('t1')).to.equal(true));
      two.startTask('t1');
      await eventually(async () => expect((await h.control.tasks()).map((t) => t.state)).to.deep.equal(['RUNNING']));
      const before = await listings(h);
      h = await h.restart();
      const after = await listings(h);
      expect(after).to.deep.equal(before);
      expect(after.all.map((r) => r.process_guid)).to.include.members(['42', 'api', 'web']);
    } finally {
      await h.stop();
      await engine.close();
      dir.remove();
    }
  });

  it('sends no message to a supervisor, instance or task when listing', async () => {
    h = startHarness();
    h.cells.add('cell-1').heartbeat();
    for (const guid of ['a', 'b']) await h.control.desireLrp(lrpJson(guid, { instances: 3 }));
    await h.control.desireTask(taskJson('t1'));
    await eventually(() => expect(h.cells.allInstances()).to.have.length(6));
    h.cells.get('cell-1').startAll();
    await running(6);

    const lrps = refPath(h.control.refs.lrps);
    const tasks = refPath(h.control.refs.tasks);
    const below = (ref: KernelRef) => {
      const path = refPath(ref);
      return path.startsWith(`${lrps}/`) || path.startsWith(`${tasks}/`) || path === lrps || path === tasks;
    };
    const sent: string[] = [];
    const system = h.system;
    const { dispatch, query } = system;
    system.dispatch = function <M>(ref: Ref<M>, msg: M) {
      if (below(ref)) sent.push(refPath(ref));
      return dispatch.call(system, ref as Ref<unknown>, msg);
    };
    system.query = function <M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M, timeoutMs: number) {
      if (below(ref)) sent.push(refPath(ref));
      return query.call(system, ref as Ref<unknown>, make as (replyTo: Ref<unknown>) => unknown, timeoutMs) as Promise<R>;
    };
    try {
      for (let i = 0; i < 5; i++) {
        expect(await h.control.actualLrps()).to.have.length(6);
        expect(await h.control.actualLrps({ process_guid: 'b', index: 2 })).to.have.length(1);
        expect(await h.control.lrps()).to.have.length(2);
        expect(await h.control.tasks()).to.have.length(1);
      }
      expect(sent).to.deep.equal([]);
    } finally {
      system.dispatch = dispatch;
      system.query = query;
    }
  });
});
