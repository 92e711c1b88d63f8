import { expect } from 'chai';
import { ActorSystem } from '../../src/actors/kernel/system.js';
import type { Ref } from '../../src/actors/kernel/protocol.js';
import type { PersistedSnapshot, PersistenceEngine } from '../../src/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../src/persistence/lmdb-engine.js';
import { MemoryPersistenceEngine } from '../../src/persistence/memory-engine.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';

type LedgerMsg = { type: 'ledger/add'; amount: number; replyTo: Ref<number> } | { type: 'ledger/fail' } | { type: 'ledger/total'; replyTo: Ref<number> };
type LedgerEvent = { type: 'ledger/added'; amount: number };

describe('persistent actors', () => {
  let dir: ReturnType<typeof tempDir>;
  let engine: PersistenceEngine;
  let system: ActorSystem;
  let replayed: number;
  let names = 0;

  beforeEach(() => {
    dir = tempDir();
    engine = LmdbPersistenceEngine.open(dir.path);
    replayed = 0;
  });
  afterEach(async () => {
    await system?.shutdown();
    await engine.close();
    dir.remove();
  });

  const startSystem = (e: PersistenceEngine = engine) => (system = ActorSystem.start({ name: `persistent-${names++}`, engine: e }));
  const spawnLedger = (snapshotEvery?: number) =>
    system.spawnPersistent<{ total: number }, LedgerMsg, LedgerEvent>(system.root, {
      kind: 'ledger',
      name: 'ledger',
      key: 'ledger/main',
      ...(snapshotEvery ? { snapshotEvery } : {}),
      initialState: () => ({ total: 0 }),
      summary: (s) => s,
      applyEvent: (s, e) => {
        replayed += 1;
        return { total: s.total + e.amount };
      },
      handle: async (s, msg, ctx) => {
        switch (msg.type) {
          case 'ledger/add': {
            const next = (await ctx.persist({ type: 'ledger/added', amount: msg.amount })) as { total: number };
            system.dispatch(msg.replyTo, next.total);
            return next;
          }
          case 'ledger/fail':
            throw new Error('ledger failed');
          case 'ledger/total':
            system.dispatch(msg.replyTo, s.total);
            return s;
        }
      },
    });
  const add = (ref: Ref<LedgerMsg>, amount: number, timeoutMs = 2000) =>
    system.query<LedgerMsg, number>(ref, (replyTo) => ({ type: 'ledger/add', amount, replyTo }), timeoutMs);
  const total = (ref: Ref<LedgerMsg>) =>
    system.query<LedgerMsg, number>(ref, (replyTo) => ({ type: 'ledger/total', replyTo }), 2000);

  it('recovers from the latest snapshot plus the events after it', async () => {
    startSystem();
    const ledger = spawnLedger(10);
    for (let i = 1; i <= 25; i++) await add(ledger, i);
    const snapshot = (await engine.latestSnapshot('ledger/main')) as PersistedSnapshot;
    expect(snapshot.sequenceNumber).to.equal(20);
    expect(snapshot.data).to.deep.equal({ total: 210 });
    await system.shutdown();

    replayed = 0;
    startSystem();
    const recovered = spawnLedger(10);
    expect(await total(recovered)).to.equal(325);
    expect(replayed, 'only the 5 events after the snapshot are replayed').to.equal(5);
    expect(await add(recovered, 1), 'and it goes on from there').to.equal(326);
  });

  it('shows recovering until its journal is replayed, then running', async () => {
    const memory = new MemoryPersistenceEngine();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: PersistenceEngine = Object.assign(Object.create(memory), {
      latestSnapshot: async (key: string) => (await gate, memory.latestSnapshot(key)),
    });
    startSystem(slow);
    const ledger = spawnLedger();
    await eventually(() => expect(system.registry.get('/ledger')!.status).to.equal('recovering'));
    const pending = add(ledger, 5);
    expect(system.registry.get('/ledger')!).to.include({ persistenceKey: 'ledger/main' });
    release();
    expect(await pending).to.equal(5);
    expect(system.registry.get('/ledger')!.status).to.equal('running');
  });

  it('restarts after a crash with the state its journal holds', async () => {
    startSystem();
    const ledger = spawnLedger();
    await add(ledger, 7);
    await add(ledger, 8);
    system.dispatch(ledger, { type: 'ledger/fail' });
    expect(await total(ledger)).to.equal(15);
    expect(system.registry.get('/ledger')!.restarts).to.equal(1);
    expect(system.registry.get('/ledger')!.lastFailure?.message).to.equal('ledger failed');
  });

  it('does not acknowledge an event the engine failed to store', async () => {
    const memory = new MemoryPersistenceEngine();
    startSystem(memory);
    const ledger = spawnLedger();
    await add(ledger, 1);
    memory.failNextPersist(new Error('disk full'));
    const error = await add(ledger, 2, 200).catch((e: Error) => e);
    expect(error).to.have.property('code', 'Timeout');
    expect(await total(ledger), 'the restarted actor holds only what was stored').to.equal(1);
    expect(await add(ledger, 3)).to.equal(4);
  });
});
