/** A cell's reconcile period (`cell-report/containers`) follows its heartbeat. */
import { expect } from 'chai';
import { reconcileMsFor } from '../../src/actors/cell.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { startScheduler } from '../../src/actors/node.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { tempDir } from '../support/temp-dir.js';

describe('a cell\'s reconcile period', () => {
  it('is 10 heartbeats, at most 30 s; a node\'s cell gets it from its heartbeat unless given', async () => {
    expect([reconcileMsFor(200), reconcileMsFor(1_000), reconcileMsFor(5_000)]).to.deep.equal([2_000, 10_000, 30_000]);
    const dir = tempDir('auctor-cell-settings-');
    const systems: ActorSystem[] = [];
    try {
      const backend = new FakeBackend({ capacity: { memoryMb: 1024, diskMb: 1024, containers: 4 }, dataDir: dir.path });
      const start = (cell: { heartbeatMs?: number; reconcileMs?: number }) => {
        const system = ActorSystem.start({ name: `cell-settings-${systems.length}`, engine: new MemoryPersistenceEngine() });
        systems.push(system);
        return startScheduler(system, { roles: ['control', 'cell'], cellId: 'cell-1', backend, cell, control: { convergenceIntervalMs: 0 } }).cellSettings!;
      };
      expect(start({}).reconcileMs).to.equal(10_000);
      expect(start({ heartbeatMs: 200 }).reconcileMs).to.equal(2_000);
      expect(start({ heartbeatMs: 200, reconcileMs: 500 }).reconcileMs).to.equal(500);
    } finally {
      for (const system of systems) await system.shutdown();
      dir.remove();
    }
  });
});
