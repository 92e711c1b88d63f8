import { expect } from 'chai';
import type { PersistedEvent, PersistenceEngine } from '../../src/runtime/persistence/engine.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { eventually } from '../support/eventually.js';
import { lrpJson, startHarness, types, type Harness } from './control-harness.js';

/** A memory engine that notes which synchronous run issued each event write, and can refuse some. */
function recordingEngine() {
  const memory = new MemoryPersistenceEngine();
  const writes: Array<{ key: string; run: number }> = [];
  const refuse = { prefix: undefined as string | undefined };
  let run = 0;
  let open = false;
  const engine: PersistenceEngine = Object.assign(Object.create(memory), {
    persist: (event: PersistedEvent) => {
      if (!open) {
        open = true;
        run += 1;
        queueMicrotask(() => (open = false));
      }
      writes.push({ key: event.key, run });
      if (refuse.prefix !== undefined && event.key.startsWith(refuse.prefix)) return Promise.reject(new Error('disk full'));
      return memory.persist(event);
    },
  });
  return { engine, writes, refuse };
}

describe('control: the writes of a desire', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  it('journals the registry entry and the DesiredLRP in the same turn, so they share a commit', async () => {
    const { engine, writes } = recordingEngine();
    h = startHarness({}, { engine });
    const result = await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    expect(result.ok).to.equal(true);
    const registry = writes.find((w) => w.key === 'lrps');
    const desired = writes.find((w) => w.key.startsWith('lrp/web/'));
    expect(registry, 'the registry entry').to.not.equal(undefined);
    expect(desired?.run, 'the DesiredLRP in the same run as the registry entry').to.equal(registry!.run);
    expect(await h.control.getLrp('web')).to.deep.include({ process_guid: 'web', instances: 2 });
  });

  it('a DesiredLRP that could not be stored answers Unavailable, and the guid can be desired again', async () => {
    const { engine, refuse } = recordingEngine();
    h = startHarness({}, { engine });
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    refuse.prefix = 'lrp/web/';
    const failed = await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    expect(failed.ok).to.equal(false);
    expect(!failed.ok && failed.error.code).to.equal('Unavailable');
    refuse.prefix = undefined;
    await eventually(async () => expect((await h.control.desireLrp(lrpJson('web', { instances: 1 }))).ok).to.equal(true));
    await eventually(() => expect(h.cells.allInstances()).to.have.length(1));
    expect((await h.control.lrps({})).map((d) => d.process_guid)).to.deep.equal(['web']);
  });

  it('an update sent before the desire is answered waits for it: created, then changed, and every instance starts once', async () => {
    h = startHarness();
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    const [desired, updated] = await Promise.all([h.control.desireLrp(lrpJson('web', { instances: 1 })), h.control.updateLrp('web', { instances: 2 })]);
    expect(desired.ok && updated.ok).to.equal(true);
    expect(types(h.events).filter((t) => t.startsWith('desired_lrp'))).to.deep.equal(['desired_lrp_created', 'desired_lrp_changed']);
    await eventually(() => expect(h.cells.allInstances()).to.have.length(2));
    const rows = await h.control.actualLrps({ process_guid: 'web' });
    expect(rows.map((r) => r.index).sort()).to.deep.equal([0, 1]);
    expect(types(h.events).filter((t) => t === 'actual_lrp_instance_created'), 'each index created once').to.have.length(2);
    expect(h.system.registry.deadLetters, 'no message lost to a stopped instance').to.equal(0);
  });
});
