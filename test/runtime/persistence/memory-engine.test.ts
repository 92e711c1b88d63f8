import { expect } from 'chai';
import { persistedEvent } from '../../../src/runtime/persistence/engine.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { collect } from '../../support/collect.js';
import { describeEngineContract } from './engine-contract.js';

describeEngineContract('memory', async () => {
  const engine = new MemoryPersistenceEngine();
  return { engine, dispose: () => engine.close() };
});

describe('MemoryPersistenceEngine', function () {
  it('failNextPersist makes only the next persist reject, and nothing is stored for it', async function () {
    const engine = new MemoryPersistenceEngine();
    const disk = new Error('disk full');
    engine.failNextPersist(disk);
    const error = await engine.persist(persistedEvent('lrp-1', 1, 'lost')).catch((e: unknown) => e);
    expect(error).to.equal(disk);
    expect(engine.eventCount('lrp-1')).to.equal(0);
    await engine.persist(persistedEvent('lrp-1', 1, 'kept'));
    expect((await collect(engine.events('lrp-1'))).map((e) => e.data)).to.deep.equal(['kept']);
  });

  it('failNextSnapshot makes only the next takeSnapshot reject', async function () {
    const engine = new MemoryPersistenceEngine();
    engine.failNextSnapshot(new Error('boom'));
    const error = await engine.takeSnapshot({ key: 'a', sequenceNumber: 1, data: 1, createdAt: 0 }).catch((e) => e);
    expect(error).to.have.property('message', 'boom');
    expect(await engine.latestSnapshot('a')).to.equal(undefined);
  });

  it('stores a copy: mutating a persisted object afterwards does not rewrite history', async function () {
    const engine = new MemoryPersistenceEngine();
    const data = { state: 'claimed' };
    await engine.persist(persistedEvent('lrp-1', 1, data));
    data.state = 'running';
    expect((await collect(engine.events('lrp-1')))[0]?.data).to.deep.equal({ state: 'claimed' });
  });
});
