/**
 * A stored record whose actor cannot come back (its journal fails on replay, or its state makes
 * every message throw) is quarantined: the rest of the control side keeps answering, the record
 * is shown with its error, and deleting it removes it and its journal (docs/020-control.md
 * "Quarantine").
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { AuctorError } from '../../src/base/errors.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { appendEvent, lastSequence, registryEpoch } from '../support/journal.js';
import { tempDir } from '../support/temp-dir.js';
import { eventually } from '../support/eventually.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

/** Short asks: without quarantine a broken record made every listing wait for them, then fail. */
const SETTINGS = { askTimeoutMs: 1_000 };

const taskJson = (task_guid: string) => ({ task_guid, domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 64, disk_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } });

async function rejection(promise: Promise<unknown>): Promise<AuctorError> {
  try {
    await promise;
  } catch (error) {
    return error as AuctorError;
  }
  throw new Error('expected a rejection');
}

/** Runs `fn` and fails when it takes longer than `ms` (real time): an API that waited for a broken record. */
async function within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  const value = await fn();
  expect(Date.now() - start, 'answered quickly').to.be.below(ms);
  return value;
}

describe('control: quarantined records', () => {
  let h: Harness;

  beforeEach(() => {
    h = startHarness(SETTINGS);
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
  });
  afterEach(() => h.stop());

  const placed = (n: number) => eventually(() => expect(h.cells.allInstances()).to.have.length(n));
  const running = (n: number) => eventually(async () => expect((await h.control.actualLrps()).filter((a) => a.state === 'RUNNING')).to.have.length(n));
  /** Stops the node, lets `corrupt` write into the journals, starts it again. */
  const restartWith = async (corrupt: () => Promise<void>) => {
    await h.stop();
    await corrupt();
    h = startHarness(SETTINGS, { engine: h.engine, cells: h.cells, clock: h.clock });
    h.cells.heartbeatAll();
  };
  const guids = (rows: Array<{ process_guid: string }>) => rows.map((r) => r.process_guid);

  it('a DesiredLRP whose journal fails on replay: the others keep serving, it is shown quarantined, DELETE removes it, the guid can be desired again', async () => {
    for (const guid of ['bad', 'good']) expect((await h.control.desireLrp(lrpJson(guid, { instances: 1 }))).ok).to.equal(true);
    await placed(2);
    h.cells.get('cell-1').startAll();
    await running(2);
    const epoch = (await h.control.getLrp('bad'))!.modification_tag.epoch;
    const badInstance = h.cells.get('cell-1').instance('bad', 0)!;
    await restartWith(() => appendEvent(h.engine, `lrp/bad/${epoch}`));

    expect(guids(await within(500, () => h.control.lrps()))).to.deep.equal(['good']);
    const error = await rejection(h.control.getLrp('bad'));
    expect(error.code).to.equal('ResourceQuarantined');
    expect(error.message).to.match(/^desired lrp quarantined: bad: .*null/);
    expect((await h.control.updateLrp('bad', { instances: 2 })).ok).to.equal(false);
    expect(guids(await h.control.actualLrps())).to.deep.equal(['good']);
    expect((await h.control.converge()).lrps).to.not.equal(undefined);
    const [record] = h.control.quarantined();
    expect(record).to.include({ kind: 'desired_lrp', key: 'bad', actor: '/control/lrps/bad' });
    expect(record!.error).to.match(/null/);
    const node = h.system.registry.get('/control/lrps/bad');
    expect(node).to.include({ status: 'quarantined', kind: 'lrp-supervisor' });

    // its container keeps running while it is quarantined: nobody knows what it desires
    h.control.report({ type: 'cell-report/containers', cell_id: 'cell-1', containers: [
      { kind: 'lrp', process_guid: 'bad', index: 0, instance_guid: badInstance.instance_guid, state: 'RUNNING' },
      { kind: 'lrp', process_guid: 'ghost', index: 0, instance_guid: 'ghost-0', state: 'RUNNING' },
    ] });
    await eventually(() => expect(h.cells.allStops().map((s) => s.process_guid)).to.include('ghost'));
    expect(h.cells.allStops().map((s) => s.process_guid)).to.not.include('bad');

    // a restart replays it again: quarantined again, never unanswerable
    await restartWith(async () => undefined);
    expect(guids(await within(500, () => h.control.lrps()))).to.deep.equal(['good']);
    expect(h.control.quarantined().map((q) => q.key)).to.deep.equal(['bad']);

    const removed = await h.control.removeLrp('bad');
    expect(removed.ok).to.equal(true);
    expect(h.control.quarantined()).to.deep.equal([]);
    expect(await lastSequence(h.engine, `lrp/bad/${epoch}`), 'its journal is gone').to.equal(0);
    expect(h.system.registry.get('/control/lrps/bad')).to.equal(undefined);
    // now reconciliation stops its container, as any unknown instance's
    h.control.report({ type: 'cell-report/containers', cell_id: 'cell-1', containers: [
      { kind: 'lrp', process_guid: 'bad', index: 0, instance_guid: badInstance.instance_guid, state: 'RUNNING' },
    ] });
    await eventually(() => expect(h.cells.allStops().map((s) => s.process_guid)).to.include('bad'));

    expect((await h.control.desireLrp(lrpJson('bad', { instances: 1 }))).ok).to.equal(true);
    expect(guids(await h.control.lrps())).to.deep.equal(['bad', 'good']);
    await eventually(() => expect(h.cells.allInstances().filter((w) => w.desired.process_guid === 'bad')).to.have.length(1));
  });

  it('a DesiredLRP whose stored state throws on every message (finding 4: instances 2^32) is quarantined after its restart intensity, and no listing waits for it', async () => {
    for (const guid of ['huge', 'good']) await h.control.desireLrp(lrpJson(guid, { instances: 1 }));
    const desired = (await h.control.getLrp('huge'))!;
    await restartWith(() => appendEvent(h.engine, `lrp/huge/${desired.modification_tag.epoch}`, { type: 'desired', desired: { ...desired, instances: 2 ** 32 } }));

    // each listing asks it, it fails at once; past its intensity it is quarantined
    for (let i = 0; i < 12; i++) expect(guids(await within(500, () => h.control.lrps()))).to.deep.equal(['good']);
    expect(h.control.quarantined().map((q) => [q.kind, q.key])).to.deep.equal([['desired_lrp', 'huge']]);
    expect((await rejection(h.control.getLrp('huge'))).code).to.equal('ResourceQuarantined');
  });

  it('an ActualLRP whose journal fails on replay: its index is quarantined, the LRP and its other instances serve, retiring it starts a fresh instance', async () => {
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await placed(2);
    h.cells.get('cell-1').startAll();
    await running(2);
    const epoch = (await h.control.getLrp('web'))!.modification_tag.epoch;
    await restartWith(() => appendEvent(h.engine, `actual-lrp/web/${epoch}/1`));

    const rows = await within(500, () => h.control.actualLrps({ process_guid: 'web' }));
    expect(rows.map((r: ActualLRP) => [r.index, r.state])).to.deep.equal([[0, 'RUNNING']]);
    expect((await h.control.getLrp('web'))!.instances).to.equal(2);
    expect(h.control.quarantined().map((q) => [q.kind, q.key, q.actor])).to.deep.equal([['actual_lrp', 'web/1', '/control/lrps/web/1']]);
    expect((await h.control.converge()).lrps).to.not.equal(undefined);

    expect((await h.control.retireActualLrp('web', 1)).ok).to.equal(true);
    expect(h.control.quarantined()).to.deep.equal([]);
    await eventually(async () => expect((await h.control.actualLrps({ process_guid: 'web' })).map((r) => r.index)).to.deep.equal([0, 1]));
    await placed(2);
    expect(await lastSequence(h.engine, `actual-lrp/web/${epoch}/1`), 'a fresh journal').to.be.above(0);
  });

  it('a Task whose journal key LMDB refuses (finding 5: a 3,000-byte guid stored before guids were bounded) is quarantined, also after a restart; the other tasks serve and DELETE removes it', async () => {
    await h.stop();
    const dir = tempDir('auctor-quarantine-');
    const engine = LmdbPersistenceEngine.open(dir.path);
    try {
      h = startHarness(SETTINGS, { engine });
      const long = 'x'.repeat(3_000);
      await h.control.desireTask(taskJson('good'));
      expect((await h.control.desireTask(taskJson(long))).ok, 'a guid over 128 characters is refused now').to.equal(false);
      // what an older node accepted: the registry holds the guid, whose own journal key LMDB refuses
      await h.stop();
      await appendEvent(engine, 'tasks', { type: 'added', task_guid: long, epoch: 'from-an-older-node' });
      h = startHarness(SETTINGS, { engine });
      for (let restart = 0; restart < 2; restart++) {
        expect((await within(500, () => h.control.tasks())).map((t) => t.task_guid)).to.deep.equal(['good']);
        expect(h.control.quarantined().map((q) => [q.kind, q.key === long, q.error])).to.deep.equal([['task', true, 'Key was too large, max key size is 1978']]);
        if (restart === 0) h = await h.restart();
      }
      expect((await h.control.resolveTask(long)).ok).to.equal(true);
      expect(h.control.quarantined()).to.deep.equal([]);
      expect((await h.control.tasks()).map((t) => t.task_guid)).to.deep.equal(['good']);
    } finally {
      await h.stop();
      await engine.close();
      dir.remove();
      h = startHarness(SETTINGS);
    }
  });

  it('a Task whose journal fails on replay: the other tasks serve, it is quarantined, DELETE removes it, the guid can be desired again', async () => {
    for (const guid of ['t-bad', 't-good']) expect((await h.control.desireTask(taskJson(guid))).ok).to.equal(true);
    const epoch = await registryEpoch(h.engine, 'tasks', 't-bad');
    await restartWith(() => appendEvent(h.engine, `task/t-bad/${epoch}`));

    expect((await within(500, () => h.control.tasks())).map((t) => t.task_guid)).to.deep.equal(['t-good']);
    const error = await rejection(h.control.getTask('t-bad'));
    expect(error.code).to.equal('ResourceQuarantined');
    expect(error.message).to.match(/^task quarantined: t-bad: /);
    const cancel = await h.control.cancelTask('t-bad');
    expect(cancel.ok === false && cancel.error.code).to.equal('ResourceQuarantined');
    expect(h.control.quarantined().map((q) => [q.kind, q.key])).to.deep.equal([['task', 't-bad']]);
    expect(h.system.registry.get('/control/tasks/t-bad')?.status).to.equal('quarantined');
    // its container is left alone while quarantined, cancelled once it is gone
    const reportTask = () => h.control.report({ type: 'cell-report/containers', cell_id: 'cell-1', containers: [
      { kind: 'task', task_guid: 't-bad', state: 'RUNNING' },
      { kind: 'task', task_guid: 't-ghost', state: 'RUNNING' },
    ] });
    reportTask();
    await eventually(() => expect(h.cells.get('cell-1').cancels).to.include('t-ghost'));
    expect(h.cells.get('cell-1').cancels).to.not.include('t-bad');

    expect((await h.control.resolveTask('t-bad')).ok).to.equal(true);
    expect(h.control.quarantined()).to.deep.equal([]);
    expect(await lastSequence(h.engine, `task/t-bad/${epoch}`)).to.equal(0);
    reportTask();
    await eventually(() => expect(h.cells.get('cell-1').cancels).to.include('t-bad'));
    expect((await h.control.desireTask(taskJson('t-bad'))).ok).to.equal(true);
    expect((await h.control.tasks()).map((t) => t.task_guid).sort()).to.deep.equal(['t-bad', 't-good']);
  });
});
