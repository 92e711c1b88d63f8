/**
 * End to end on one node: the control subtree and a real cell actor (fake Garden backend) wired
 * through `localCellClient`, as `auctor start` will wire them.
 */
import { expect } from 'chai';
import { localCellClient } from '../../src/actors/cell-client.js';
import { spawnCell } from '../../src/actors/cell.js';
import type { CellMsg } from '../../src/actors/cell.protocol.js';
import { startControl, type Control } from '../../src/actors/control.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { FakeBackend, type FakeContainer } from '../../src/garden/fake/fake-backend.js';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { tempDir } from '../support/temp-dir.js';

describe('control with a real cell (fake backend)', () => {
  let system: ActorSystem;
  let backend: FakeBackend;
  let dir: { path: string; remove: () => void };
  let control: Control;
  let n = 0;

  beforeEach(() => {
    dir = tempDir('auctor-control-cell-');
    backend = new FakeBackend({ capacity: { memoryMb: 4096, diskMb: 8192, containers: 10 }, dataDir: dir.path });
    const clock = new FakeClock();
    system = ActorSystem.start({ name: `control-cell-${n++}`, engine: new MemoryPersistenceEngine(), clock });
    let cell: Ref<CellMsg> | undefined;
    control = startControl(system, { clientFor: (id) => (id === 'cell-1' && cell ? localCellClient(system, cell, id) : undefined) });
    cell = spawnCell(system, system.root, {
      cellId: 'cell-1', zone: 'z1', placementTags: [], optionalPlacementTags: [], backend, reports: control.reports,
      settings: { gracefulStopMs: 100, unhealthyIntervalMs: 50, healthyIntervalMs: 100, heartbeatMs: 1000, reconcileMs: 5000, evacuationTimeoutMs: 10_000 },
    });
  });
  afterEach(async () => {
    await system.shutdown();
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    dir.remove();
  });

  const rows = () => control.actualLrps({ process_guid: 'web' });
  const waitRows = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(rows, pred, (r) => r.map((a) => [a.index, a.state, a.instance_guid, a.crash_count]), what);

  it('desires, runs, restarts a crash, runs a task, and deletes, through the cell', async () => {
    await eventually(async () => expect((await control.cells()).map((c) => c.cell_id)).to.deep.equal(['cell-1']));
    const desired = await control.desireLrp({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2, memory_mb: 128, disk_mb: 128, ports: [8080],
      action: { run: { path: '/bin/server', user: 'vcap' } },
    });
    expect(desired.ok).to.equal(true);
    const running = await waitRows((r) => r.length === 2 && r.every((a) => a.state === 'RUNNING'), 'RUNNING');
    expect(running.map((a) => a.cell_id)).to.deep.equal(['cell-1', 'cell-1']);
    expect(running.every((a) => a.address === '127.0.0.1' && a.ports.length === 1 && a.ports[0]!.container_port === 8080)).to.equal(true);

    (backend.container(running[0]!.instance_guid) as FakeContainer).lastRun!.exit(1);
    const restarted = await waitRows((r) => r[0]!.crash_count === 1 && r[0]!.state === 'RUNNING', 'restarted');
    expect(restarted[0]!.instance_guid).to.not.equal(running[0]!.instance_guid);
    expect(restarted[1]).to.deep.equal(running[1]);

    backend.onRun((spec) => (spec.path === '/bin/job' ? { exitCode: 0 } : undefined));
    const task = await control.desireTask({ task_guid: 'job', domain: 'jobs', rootfs: 'preloaded:host', memory_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } });
    expect(task.ok).to.equal(true);
    await eventually(async () => {
      const t = await control.getTask('job');
      expect([t?.state, t?.failed]).to.deep.equal(['COMPLETED', false]);
    });
    await eventually(async () => expect((await backend.containers()).map((c) => c.handle)).to.not.include('job'));

    expect((await control.removeLrp('web')).ok).to.equal(true);
    await eventually(async () => expect(await backend.containers()).to.deep.equal([]));
    expect(await control.actualLrps()).to.deep.equal([]);
  });
});
