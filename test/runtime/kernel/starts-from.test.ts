import { expect } from 'chai';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import type { PersistedEvent, PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { VirtualNode, type CounterEvent } from './virtual-support.js';

type Msg = { type: 'add'; amount: number; replyTo: Ref<number> } | { type: 'fail' } | { type: 'total'; replyTo: Ref<number> };
type Event = { amount: number };

describe('persistent actors: startsFrom (events its spawner journals for it)', () => {
  let system: ActorSystem | undefined;
  let names = 0;
  afterEach(async () => {
    await system?.shutdown();
    system = undefined;
  });

  /** A memory engine that counts journal reads and can hold writes back until released. */
  const engineWithGate = () => {
    const memory = new MemoryPersistenceEngine();
    const counts = { reads: 0 };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const engine: PersistenceEngine = Object.assign(Object.create(memory), {
      latestSnapshot: (key: string) => (counts.reads++, memory.latestSnapshot(key)),
      persist: async (event: PersistedEvent) => {
        await gate;
        return memory.persist(event);
      },
    });
    return { engine, memory, counts, release };
  };

  const spawn = (s: ActorSystem, startsFrom: { events: Event[]; written: Promise<void> }) =>
    s.spawnPersistent<{ total: number }, Msg, Event>(s.root, {
      kind: 'counter',
      name: 'counter',
      key: 'counter/1',
      startsFrom,
      initialState: () => ({ total: 0 }),
      applyEvent: (state, e) => ({ total: state.total + e.amount }),
      handle: async (state, msg, ctx) => {
        if (msg.type === 'fail') throw new Error('counter failed');
        if (msg.type === 'total') {
          s.dispatch(msg.replyTo, state.total);
          return state;
        }
        const next = (await ctx.persist({ amount: msg.amount })) as { total: number };
        s.dispatch(msg.replyTo, next.total);
        return next;
      },
    });
  const ask = (s: ActorSystem, ref: Ref<Msg>, make: (replyTo: Ref<number>) => Msg) => s.query<Msg, number>(ref, make, 2000);

  it('starts from the events without reading the journal, and its own events follow them', async () => {
    const { engine, memory, counts, release } = engineWithGate();
    const s = (system = ActorSystem.start({ name: `starts-from-${names++}`, engine }));
    const events = [{ amount: 2 }, { amount: 3 }];
    const written = s.journal('counter/1', events);
    const counter = spawn(s, { events, written });
    expect(await ask(s, counter, (replyTo) => ({ type: 'total', replyTo })), 'its state before the write is durable').to.equal(5);
    release();
    await written;
    expect(await ask(s, counter, (replyTo) => ({ type: 'add', amount: 1, replyTo }))).to.equal(6);
    expect(counts.reads).to.equal(0);
    const stored: number[] = [];
    await memory.events('counter/1').reduce((_, e) => void stored.push(e.sequenceNumber), undefined);
    expect(stored).to.deep.equal([1, 2, 3]);
  });

  it('a restart waits for the spawner\'s write, then replays it from the journal', async () => {
    const { engine, counts, release } = engineWithGate();
    const s = (system = ActorSystem.start({ name: `starts-from-${names++}`, engine }));
    const events = [{ amount: 4 }];
    const counter = spawn(s, { events, written: s.journal('counter/1', events) });
    s.dispatch(counter, { type: 'fail' });
    const total = ask(s, counter, (replyTo) => ({ type: 'total', replyTo }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(counts.reads, 'no replay while the write is in flight').to.equal(0);
    release();
    expect(await total).to.equal(4);
    expect(counts.reads).to.equal(1);
  });

  it('a virtual child added with startsFrom activates from those events, and a later activation replays them', async () => {
    const node = new VirtualNode();
    try {
      const events: CounterEvent[] = [{ type: 'added', n: 7 }];
      await node.counters.add('s', { startsFrom: { events, written: node.system.journal('counter/s', events) } });
      expect((await node.get('s')).seen).to.deep.equal([7]);
      expect(await node.add('s', 1), 'its own event follows').to.equal(8);
      await node.idle();
      expect(node.counters.isActive('s')).to.equal(false);
      expect((await node.get('s')).seen, 'replayed from the journal').to.deep.equal([7, 1]);
      expect(node.activations.get('s')).to.equal(2);
    } finally {
      await node.close();
    }
  });
});
