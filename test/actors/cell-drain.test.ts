/**
 * A cell drains on request (DIEGO.md 3.8): the control subtree and two real cell actors (fake
 * backends) in one actor system, wired through `localCellClient` as nodes wire them.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { localCellClient } from '../../src/actors/cell-client.js';
import { spawnCell, type CellSettings } from '../../src/actors/cell.js';
import { CellMsg, type CellDrained } from '../../src/actors/cell.protocol.js';
import { startControl, type Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { AuctorEvent } from '../../src/models/events.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { buildTask } from '../models/builders.js';
import { CELL_ID, lrpWork, SETTINGS as CELL_HARNESS_SETTINGS, startCell, type CellHarness } from '../support/cell-harness.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { tempDir } from '../support/temp-dir.js';

const SETTINGS: CellSettings = { gracefulStopMs: 100, unhealthyIntervalMs: 50, healthyIntervalMs: 100, heartbeatMs: 1000, reconcileMs: 5000, evacuationTimeoutMs: 20_000 };
const run = (path: string) => ({ run: { path, user: 'vcap' } });

describe('cell drain (control and two cells in one process, fake backends)', () => {
  let clock: FakeClock;
  let dir: { path: string; remove: () => void };
  let system: ActorSystem;
  let control: Control;
  let events: AuctorEvent[];
  let logs: Array<{ msg: string; [field: string]: unknown }>;
  const backends = new Map<string, FakeBackend>();
  const cells = new Map<string, Ref<CellMsg>>();
  let n = 0;

  beforeEach(() => {
    clock = new FakeClock();
    dir = tempDir('auctor-drain-');
    events = [];
    logs = [];
    const hub = new EventHub();
    hub.events$.subscribe((e) => events.push(e));
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    system = ActorSystem.start({ name: `drain-${n++}`, engine: new MemoryPersistenceEngine(), clock, logger });
    control = startControl(system, {
      clientFor: (id) => (cells.has(id) ? localCellClient(system, cells.get(id)!, id) : undefined),
      events: hub,
      // no presence expiry or convergence pass while the clock is advanced through a timeout
      settings: { cellTtlMs: 600_000, convergenceIntervalMs: 600_000 },
    });
  });
  afterEach(async () => {
    await system.shutdown();
    for (const backend of backends.values()) for (const c of await backend.containers()) await backend.destroy(c.handle);
    backends.clear();
    cells.clear();
    dir.remove();
  });

  /** A cell whose LRP monitor (`check`) passes unless `checkFails`. */
  const addCell = async (id: string, checkFails = false) => {
    const backend = new FakeBackend({ capacity: { memoryMb: 4096, diskMb: 8192, containers: 10 }, dataDir: `${dir.path}/${id}` });
    backend.onRun((spec) => (spec.path === 'check' ? { exitCode: checkFails ? 1 : 0 } : undefined));
    backends.set(id, backend);
    cells.set(id, spawnCell(system, system.root, { cellId: id, zone: 'z1', placementTags: [], optionalPlacementTags: [], backend, reports: control.reports, settings: SETTINGS }));
    await eventually(async () => expect((await control.cells()).map((c) => c.cell_id)).to.include(id));
    return backend;
  };
  const handles = async (cellId: string) => (await backends.get(cellId)!.containers()).map((c) => c.handle).sort();
  const rows = () => control.actualLrps({ process_guid: 'web' });
  const show = (r: ActualLRP[]) => r.map((a) => [a.index, a.presence, a.state, a.cell_id, a.placement_error]);
  const waitRows = (pred: (r: ActualLRP[]) => boolean, what: string) => eventuallyWhere(rows, pred, show, what);
  const shape = (r: ActualLRP[]) => r.map((a) => [a.index, a.presence, a.state, a.cell_id]);
  /** web, 2 instances, RUNNING on cell-a (the only cell so far) */
  const runWebOnA = async () => {
    const desired = await control.desireLrp({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2, memory_mb: 128, disk_mb: 128, ports: [8080],
      action: run('/bin/server'), monitor: run('check'),
    });
    expect(desired.ok).to.equal(true);
    return waitRows((r) => r.length === 2 && r.every((a) => a.state === 'RUNNING' && a.cell_id === 'cell-a'), 'RUNNING on cell-a');
  };
  /** Waits for the cell's answer once it is drained (a second evacuate only answers). */
  const drainedReply = (cellId: string) =>
    system.query<CellMsg, CellDrained>(cells.get(cellId)!, (replyTo) => CellMsg.evacuate({ replyTo }), 60_000);
  /** Moves the clock in small steps, so the actors' periodic timers keep up. */
  const advance = async (ms: number, step = 500) => {
    for (let t = 0; t < ms; t += step) await clock.advance(Math.min(step, ms - t));
  };

  it('evacuating a cell moves its instances to the other cell, serving from the old copies until the new ones run; then it is drained and takes no work', async () => {
    await addCell('cell-a');
    const before = await runWebOnA();
    // the replacements will not pass their startup check on cell-b until the test lets them
    const b = await addCell('cell-b', true);

    const accepted = await control.evacuateCell('cell-a');
    expect(accepted.ok && accepted.value).to.include({ cell_id: 'cell-a', evacuating: true });
    const drained = drainedReply('cell-a');

    // meanwhile: the old instances keep running on cell-a as EVACUATING copies, the replacements start on cell-b
    const moving = await waitRows((r) => r.length === 4 && r.filter((a) => a.presence === 'ORDINARY').every((a) => a.state === 'CLAIMED'), 'replacements CLAIMED');
    expect(shape(moving)).to.deep.equal([
      [0, 'ORDINARY', 'CLAIMED', 'cell-b'], [0, 'EVACUATING', 'RUNNING', 'cell-a'],
      [1, 'ORDINARY', 'CLAIMED', 'cell-b'], [1, 'EVACUATING', 'RUNNING', 'cell-a'],
    ]);
    expect(moving.filter((a) => a.presence === 'EVACUATING').map((a) => a.instance_guid)).to.deep.equal(before.map((a) => a.instance_guid));
    expect(await handles('cell-a')).to.deep.equal(before.map((a) => a.instance_guid).sort());
    const presences = await control.cells();
    expect(presences.map((p) => [p.cell_id, p.evacuating])).to.deep.equal([['cell-a', true], ['cell-b', false]]);
    expect(logs.some((l) => l.msg === 'cell.drained')).to.equal(false);

    // the replacements pass their check: the copies are stopped on cell-a and their rows removed
    b.onRun((spec) => (spec.path === 'check' ? { exitCode: 0 } : undefined));
    await advance(100, 50);
    const moved = await waitRows((r) => r.length === 2 && r.every((a) => a.state === 'RUNNING'), 'RUNNING on cell-b');
    expect(shape(moved)).to.deep.equal([[0, 'ORDINARY', 'RUNNING', 'cell-b'], [1, 'ORDINARY', 'RUNNING', 'cell-b']]);
    await eventually(async () => expect(await handles('cell-a')).to.deep.equal([]));
    expect(await handles('cell-b')).to.deep.equal(moved.map((a) => a.instance_guid).sort());
    const removed = events.filter((e): e is Extract<AuctorEvent, { type: 'actual_lrp_instance_removed' }> => e.type === 'actual_lrp_instance_removed');
    expect(removed.map((e) => [e.data.actual_lrp.presence, e.data.actual_lrp.instance_guid])).to.deep.equal(before.map((a) => ['EVACUATING', a.instance_guid]));

    expect(await drained).to.deep.equal({ cell_id: 'cell-a', timed_out: false });
    expect(logs.filter((l) => l.msg === 'cell.drained').map((l) => l.cell_id)).to.deep.equal(['cell-a']);

    // a drained cell takes no work: offered directly it refuses everything, and the auction skips it
    const client = localCellClient(system, cells.get('cell-a')!, 'cell-a');
    const refused = await client.perform({ lrps: [], tasks: [{ task: buildTask({ task_guid: 'job', rootfs: 'preloaded:host', action: run('/bin/job') }) }] }, 1000);
    expect(refused.failedTasks).to.deep.equal([{ task_guid: 'job', reason: 'cell is evacuating' }]);
    expect((await client.state(1000)).evacuating).to.equal(true);
    expect((await control.updateLrp('web', { instances: 3 })).ok).to.equal(true);
    const scaled = await waitRows((r) => r.length === 3 && r.every((a) => a.state === 'RUNNING'), '3 RUNNING');
    expect(scaled.map((a) => a.cell_id)).to.deep.equal(['cell-b', 'cell-b', 'cell-b']);
    expect(await handles('cell-a')).to.deep.equal([]);
  });

  it('when no other cell can take the instances, the cell keeps serving them until the evacuation timeout, then stops them and fails its running tasks', async () => {
    await addCell('cell-a');
    const before = await runWebOnA();
    expect((await control.desireTask({ task_guid: 'job', domain: 'jobs', rootfs: 'preloaded:host', action: run('/bin/job') })).ok).to.equal(true);
    await eventually(async () => expect((await control.getTask('job'))?.state).to.equal('RUNNING'));

    expect((await control.evacuateCell('cell-a')).ok).to.equal(true);
    const drained = drainedReply('cell-a');
    // the only cell is evacuating: the auction places nothing; the old instances keep serving
    const stuck = await waitRows((r) => r.length === 4 && r.some((a) => a.placement_error !== ''), 'placement error');
    expect(stuck.map((a) => [a.index, a.presence, a.state, a.cell_id, a.placement_error])).to.deep.equal([
      [0, 'ORDINARY', 'UNCLAIMED', '', 'unable to communicate to compatible cells'], [0, 'EVACUATING', 'RUNNING', 'cell-a', ''],
      [1, 'ORDINARY', 'UNCLAIMED', '', 'unable to communicate to compatible cells'], [1, 'EVACUATING', 'RUNNING', 'cell-a', ''],
    ]);
    await advance(SETTINGS.evacuationTimeoutMs - 500);
    expect(await handles('cell-a')).to.deep.equal([...before.map((a) => a.instance_guid), 'job'].sort());
    expect((await control.getTask('job'))?.state).to.equal('RUNNING');

    await advance(1000);
    expect(await drained).to.deep.equal({ cell_id: 'cell-a', timed_out: true });
    expect(logs.filter((l) => l.msg === 'cell.evacuation-timeout').map((l) => l.instance_guid).sort()).to.deep.equal(before.map((a) => a.instance_guid).sort());
    const left = await waitRows((r) => r.length === 2, 'EVACUATING rows removed');
    expect(shape(left)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [1, 'ORDINARY', 'UNCLAIMED', '']]);
    const job = await eventually(async () => {
      const t = await control.getTask('job');
      expect(t?.state).to.equal('COMPLETED');
      return t!;
    });
    expect([job.failed, job.failure_reason]).to.deep.equal([true, 'timed out during cell evacuation']);
    await eventually(async () => expect(await handles('cell-a')).to.deep.equal([]));
  });

  it('evacuating a cell the registry does not list is ResourceNotFound', async () => {
    await addCell('cell-a');
    const result = await control.evacuateCell('nope');
    expect(result.ok).to.equal(false);
    expect(!result.ok && [result.error.code, result.error.message]).to.deep.equal(['ResourceNotFound', 'cell not found: nope']);
    expect((await control.cells()).map((c) => c.evacuating)).to.deep.equal([false]);
  });
});

describe('a draining cell (alone, its reports collected)', () => {
  let clock: FakeClock;
  let dir: { path: string; remove: () => void };
  let backend: FakeBackend;
  let h: CellHarness;

  beforeEach(() => {
    clock = new FakeClock();
    dir = tempDir('auctor-drain-cell-');
    backend = new FakeBackend({ capacity: { memoryMb: 1024, diskMb: 2048, containers: 4 }, dataDir: dir.path });
    // ig-run passes its startup check, ig-start never does (no clock advance: one check only)
    backend.onRun((spec) => (spec.path === 'check-ok' ? { exitCode: 0 } : spec.path === 'check-never' ? { exitCode: 1 } : undefined));
    h = startCell(backend, { clock });
  });
  afterEach(async () => {
    await h.shutdown();
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    dir.remove();
  });

  const guids = (reports: Array<{ instance_guid: string }>) => reports.map((r) => r.instance_guid);
  const handles = async () => (await backend.containers()).map((c) => c.handle).sort();

  it('keeps serving its running instances (reported evacuating, again every reconcile), drops the starting ones, refuses work, and is drained once the rest are stopped', async () => {
    const result = await h.client.perform({ lrps: [lrpWork('ig-run', { monitor: run('check-ok') }), lrpWork('ig-start', { monitor: run('check-never') }, 1)], tasks: [] }, 1000);
    expect(result).to.deep.equal({ failedLrps: [], failedTasks: [] });
    await h.next('cell-report/lrp-running', (r) => r.instance_guid === 'ig-run');

    const presence = await h.client.evacuate(1000);
    expect(presence).to.include({ cell_id: CELL_ID, evacuating: true });
    const drained = h.system.query<CellMsg, CellDrained>(h.cell, (replyTo) => CellMsg.evacuate({ replyTo }), 5000);
    await h.next('cell-report/lrp-stopped', (r) => r.instance_guid === 'ig-start');
    expect(guids(h.of('cell-report/lrp-evacuating')).sort()).to.deep.equal(['ig-run', 'ig-start']);
    expect(guids(h.of('cell-report/lrp-running'))).to.deep.equal(['ig-run']);
    expect(await handles()).to.deep.equal(['ig-run']);
    expect(h.of('cell-report/heartbeat').at(-1)!.presence.evacuating).to.equal(true);

    const refused = await h.client.perform({ lrps: [lrpWork('ig-new', {}, 2)], tasks: [{ task: buildTask({ task_guid: 't-1' }) }] }, 1000);
    expect(refused).to.deep.equal({
      failedLrps: [{ process_guid: 'web', index: 2, instance_guid: 'ig-new', reason: 'cell is evacuating' }],
      failedTasks: [{ task_guid: 't-1', reason: 'cell is evacuating' }],
    });
    expect(await handles()).to.deep.equal(['ig-run']);
    expect((await h.client.state(1000)).evacuating).to.equal(true);

    // a lost report is said again: every reconcile names the instance still running
    for (let t = 0; t < CELL_HARNESS_SETTINGS.reconcileMs; t += 500) await clock.advance(500);
    await eventually(() => expect(guids(h.of('cell-report/lrp-evacuating')).filter((g) => g === 'ig-run')).to.have.length(2));

    // the control side stops it once its replacement runs elsewhere: nothing is left
    h.client.stopInstance('web', 0, 'ig-run');
    expect(await drained).to.deep.equal({ cell_id: CELL_ID, timed_out: false });
    expect(await handles()).to.deep.equal([]);
    // asked again, a drained cell answers at once and stays evacuating
    expect(await h.system.query<CellMsg, CellDrained>(h.cell, (replyTo) => CellMsg.evacuate({ replyTo }), 1000)).to.deep.equal({ cell_id: CELL_ID, timed_out: false });
    expect((await h.client.state(1000)).evacuating).to.equal(true);
  });
});
