import { expect } from 'chai';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import type { PersistedSnapshot, PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';

type LedgerMsg =
  | { type: 'ledger/add'; amount: number; replyTo: Ref<number> }
  /** persistEagerly: answers the new total once durable, or -1 if the write failed */
  | { type: 'ledger/add-eagerly'; amount: number; replyTo: Ref<number> }
  | { type: 'ledger/fail' }
  | { type: 'ledger/total'; replyTo: Ref<number> };
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
  const spawnLedger = (snapshotEvery?: number | ((s: { total: number }) => number), fresh = false) =>
    system.spawnPersistent<{ total: number }, LedgerMsg, LedgerEvent>(system.root, {
      kind: 'ledger',
      name: 'ledger',
      key: 'ledger/main',
      fresh,
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
          case 'ledger/add-eagerly': {
            const { state, durable } = ctx.persistEagerly({ type: 'ledger/added', amount: msg.amount });
            durable.then(() => system.dispatch(msg.replyTo, state.total), () => system.dispatch(msg.replyTo, -1));
            return state;
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
  const addEagerly = (ref: Ref<LedgerMsg>, amount: number) =>
    system.query<LedgerMsg, number>(ref, (replyTo) => ({ type: 'ledger/add-eagerly', amount, replyTo }), 2000);
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
    const error = await add(ledger, 2, 5_000).catch((e: Error) => e);
    // the failed message is never handled again: the asker hears why at once, not at its timeout
    expect(error).to.include({ code: 'Unavailable', message: '/ledger failed: disk full' });
    expect(await total(ledger), 'the restarted actor holds only what was stored').to.equal(1);
    expect(await add(ledger, 3)).to.equal(4);
  });

  describe('persistEagerly', () => {
    /** A memory engine whose persists wait for `release`. */
    const gatedEngine = () => {
      const memory = new MemoryPersistenceEngine();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const engine: PersistenceEngine = Object.assign(Object.create(memory), {
        persist: async (event: Parameters<PersistenceEngine['persist']>[0]) => (await gate, memory.persist(event)),
      });
      return { memory, engine, release };
    };

    it('applies at once and takes the next message, but acknowledges only once durable', async () => {
      const { engine: gated, release } = gatedEngine();
      startSystem(gated);
      const ledger = spawnLedger();
      let acked = 0;
      const adds = [1, 2, 3].map((n) => addEagerly(ledger, n).then((t) => (acked++, t)));
      expect(await total(ledger), 'the next messages see the events in flight').to.equal(6);
      expect(acked, 'nothing is acknowledged before the writes are durable').to.equal(0);
      release();
      expect(await Promise.all(adds)).to.deep.equal([1, 3, 6]);
    });

    it('keeps every acknowledged event across a restart of the system', async () => {
      startSystem();
      const ledger = spawnLedger();
      await Promise.all(Array.from({ length: 100 }, (_, i) => addEagerly(ledger, i + 1)));
      await system.shutdown();
      startSystem();
      expect(await total(spawnLedger())).to.equal(5050);
    });

    it('fails the actor when a write fails; the restart waits for writes in flight and replays what is stored', async () => {
      const memory = new MemoryPersistenceEngine();
      startSystem(memory);
      const ledger = spawnLedger();
      await add(ledger, 1);
      memory.failNextPersist(new Error('disk full'));
      const [failed, after] = await Promise.all([addEagerly(ledger, 2), addEagerly(ledger, 4)]);
      expect(failed).to.equal(-1);
      expect(after, 'the write after it was stored').to.equal(7);
      await eventually(() => expect(system.registry.get('/ledger')!.restarts).to.equal(1));
      expect(system.registry.get('/ledger')!.lastFailure?.message).to.equal('disk full');
      expect(await total(ledger), 'the restarted actor holds what was stored').to.equal(5);
    });
  });

  it('asks a snapshotEvery function after each message how many events to wait', async () => {
    startSystem();
    // every `total` events, at least 2: counted from the first message (total 1 → 2 more), so a
    // snapshot at seq 3 (total 3 → 3 more), then at 6
    const ledger = spawnLedger((s) => Math.max(2, s.total));
    const snapshotSeq = async () => (await engine.latestSnapshot('ledger/main'))?.sequenceNumber;
    for (let i = 0; i < 3; i++) await add(ledger, 1);
    await eventually(async () => expect(await snapshotSeq()).to.equal(3));
    for (let i = 0; i < 2; i++) await add(ledger, 1);
    expect(await snapshotSeq()).to.equal(3);
    await add(ledger, 1);
    await eventually(async () => expect(await snapshotSeq()).to.equal(6));
  });

  it('fresh: the first start reads no journal, a restart replays it', async () => {
    const memory = new MemoryPersistenceEngine();
    let reads = 0;
    const counting: PersistenceEngine = Object.assign(Object.create(memory), {
      latestSnapshot: (key: string) => (reads++, memory.latestSnapshot(key)),
    });
    startSystem(counting);
    const ledger = spawnLedger(undefined, true);
    expect(await add(ledger, 2)).to.equal(2);
    expect(await add(ledger, 3)).to.equal(5);
    expect(reads).to.equal(0);
    system.dispatch(ledger, { type: 'ledger/fail' });
    expect(await total(ledger)).to.equal(5);
    expect(reads, 'the restart recovered from the journal').to.equal(1);
    expect(await add(ledger, 1), 'and numbers its events after the stored ones').to.equal(6);
  });
});
