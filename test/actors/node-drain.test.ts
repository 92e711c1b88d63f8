/**
 * SIGTERM's drain (`drainBeforeStop`): a node (control + cell) drains its cell only when another
 * live cell can take its instances; alone it leaves them running for the next start to adopt.
 */
import { expect } from 'chai';
import { localCellClient } from '../../src/actors/cell-client.js';
import { spawnCell } from '../../src/actors/cell.js';
import type { CellMsg } from '../../src/actors/cell.protocol.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { drainBeforeStop, startScheduler, type Scheduler } from '../../src/actors/node.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';

const CELL = { gracefulStopMs: 100, unhealthyIntervalMs: 50, healthyIntervalMs: 100, heartbeatMs: 1000, reconcileMs: 5000, evacuationTimeoutMs: 20_000 };

describe('drainBeforeStop (SIGTERM on a cell node)', () => {
  let dir: { path: string; remove: () => void };
  let system: ActorSystem;
  let node: Scheduler;
  let backends: FakeBackend[];
  let other: Ref<CellMsg> | undefined;
  let n = 0;

  const backend = (name: string) => {
    const b = new FakeBackend({ capacity: { memoryMb: 4096, diskMb: 8192, containers: 10 }, dataDir: `${dir.path}/${name}` });
    backends.push(b);
    return b;
  };

  beforeEach(() => {
    dir = tempDir('auctor-node-drain-');
    backends = [];
    other = undefined;
    system = ActorSystem.start({ name: `node-drain-${n++}`, engine: new MemoryPersistenceEngine() });
    node = startScheduler(system, {
      roles: ['control', 'cell'], cellId: 'cell-1', backend: backend('cell-1'), cell: CELL,
      control: { cellTtlMs: 600_000, convergenceIntervalMs: 600_000 },
      clientFor: (id) => (id === 'cell-2' && other ? localCellClient(system, other, id) : undefined),
    });
  });
  afterEach(async () => {
    await system.shutdown();
    for (const b of backends) for (const c of await b.containers()) await b.destroy(c.handle);
    dir.remove();
  });

  const control = () => node.control!;
  const handles = async (b: FakeBackend) => (await b.containers()).map((c) => c.handle).sort();
  const rows = () => control().actualLrps({ process_guid: 'web' });
  const runWeb = async () => {
    await eventually(async () => expect((await control().cells()).map((c) => c.cell_id)).to.include('cell-1'));
    expect((await control().desireLrp({
      process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2, memory_mb: 128, disk_mb: 128, ports: [8080],
      action: { run: { path: '/bin/server', user: 'vcap' } },
    })).ok).to.equal(true);
    return eventually(async () => {
      const r = await rows();
      expect(r.map((a) => [a.state, a.cell_id])).to.deep.equal([['RUNNING', 'cell-1'], ['RUNNING', 'cell-1']]);
      return r;
    });
  };

  it('alone on its node, the cell is not drained: its instances keep running for the next start to adopt', async () => {
    const before = await runWeb();
    expect(await drainBeforeStop(system, node)).to.deep.equal({ skipped: 'no-other-live-cell' });
    expect(await handles(backends[0]!)).to.deep.equal(before.map((a) => a.instance_guid).sort());
    expect((await control().cells()).map((c) => [c.cell_id, c.evacuating])).to.deep.equal([['cell-1', false]]);
    expect(await rows()).to.deep.equal(before);
  });

  it('with another live cell, the cell drains first: its instances run on the other cell before it resolves', async () => {
    const before = await runWeb();
    const two = backend('cell-2');
    other = spawnCell(system, system.root, { cellId: 'cell-2', zone: 'z1', placementTags: [], optionalPlacementTags: [], backend: two, reports: control().reports, settings: CELL });
    await eventually(async () => expect((await control().cells()).map((c) => c.cell_id)).to.deep.equal(['cell-1', 'cell-2']));

    expect(await drainBeforeStop(system, node)).to.deep.equal({ drained: { cell_id: 'cell-1', timed_out: false } });
    expect(await handles(backends[0]!)).to.deep.equal([]);
    const after = await rows();
    expect(after.map((a) => [a.presence, a.state, a.cell_id])).to.deep.equal([['ORDINARY', 'RUNNING', 'cell-2'], ['ORDINARY', 'RUNNING', 'cell-2']]);
    expect(await handles(two)).to.deep.equal(after.map((a) => a.instance_guid).sort());
    expect(after.map((a) => a.instance_guid)).to.not.have.members(before.map((a) => a.instance_guid));
  });
});
