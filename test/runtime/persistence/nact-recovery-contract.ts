/**
 * Contract cases that go through nact itself: an engine is only useful if nact's own recovery
 * (latestSnapshot, then events(key, snapshotSeq).reduce) rebuilds an actor's state from it.
 */
import { expect } from 'chai';
import { configurePersistence, dispatch, query, spawnPersistent, start, stop } from 'nact';
import { persistedEvent, type PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { collect } from '../../support/collect.js';

/** The slice of nact used here; nact's published typings do not fit it (ACTORS.md 1.7). */
interface Nact {
  start(plugin: unknown): unknown;
  configurePersistence(engine: PersistenceEngine): unknown;
  spawnPersistent(parent: unknown, f: unknown, key: string, name: string, props: { snapshotEvery?: number }): unknown;
  dispatch(ref: unknown, msg: unknown): void;
  query<T>(ref: unknown, factory: (replyTo: unknown) => unknown, timeout: number): Promise<T>;
  stop(ref: unknown): void;
}
const nact = { configurePersistence, dispatch, query, spawnPersistent, start, stop } as unknown as Nact;

type SumMsg = { type: 'add'; n: number; replyTo: unknown } | { type: 'get'; replyTo: unknown };
type PersistentCtx = { recovering?: boolean; persist(msg: unknown, tags?: string[]): Promise<void> };

/** An adder whose journal holds `{ n }` per addition; counts how many events replay folds in. */
function summer(replays: { count: number }) {
  return async (state: number = 0, msg: SumMsg | { n: number }, ctx: PersistentCtx): Promise<number> => {
    if (ctx.recovering) {
      replays.count++;
      return state + (msg as { n: number }).n;
    }
    const m = msg as SumMsg;
    if (m.type === 'get') {
      nact.dispatch(m.replyTo, state);
      return state;
    }
    await ctx.persist({ n: m.n });
    nact.dispatch(m.replyTo, state + m.n);
    return state + m.n;
  };
}

const TIMEOUT = 5000;

export function describeNactRecovery(
  current: () => { engine: PersistenceEngine; reopen?: (() => Promise<PersistenceEngine>) | undefined },
): void {
  describe('through nact', function () {
    const systems: unknown[] = [];
    function startSystem(engine: PersistenceEngine): unknown {
      const system = nact.start(nact.configurePersistence(engine));
      systems.push(system);
      return system;
    }
    afterEach(function () {
      for (const system of systems.splice(0)) nact.stop(system);
    });

    it('recovers an actor from its latest snapshot plus the events after it', async function () {
      const { engine, reopen } = current();
      const replays = { count: 0 };
      const first = startSystem(engine);
      const adder = nact.spawnPersistent(first, summer(replays), 'adder', 'adder', { snapshotEvery: 10 });
      let total = 0;
      for (let n = 1; n <= 25; n++) {
        total = await nact.query<number>(adder, (replyTo) => ({ type: 'add', n, replyTo }), TIMEOUT);
      }
      expect(total).to.equal(325);
      nact.stop(first);

      const snapshot = await engine.latestSnapshot('adder');
      expect(snapshot).to.include({ sequenceNumber: 20, data: 210 });

      const restarted = reopen ? await reopen() : engine;
      const second = startSystem(restarted);
      const recovered = nact.spawnPersistent(second, summer(replays), 'adder', 'adder', { snapshotEvery: 10 });
      expect(await nact.query<number>(recovered, (replyTo) => ({ type: 'get', replyTo }), TIMEOUT)).to.equal(325);
      expect(replays.count, 'events replayed on top of the snapshot').to.equal(5);
      expect(await nact.query<number>(recovered, (replyTo) => ({ type: 'add', n: 1, replyTo }), TIMEOUT)).to.equal(326);
      expect((await collect(restarted.events('adder', 25))).map((e) => e.data)).to.deep.equal([{ n: 1 }]);
    });

    it('skips deleted events on replay but numbers new events after them', async function () {
      const { engine } = current();
      await engine.persist(persistedEvent('pruned', 1, { n: 1 }));
      await engine.persist({ ...persistedEvent('pruned', 2, { n: 100 }), isDeleted: true });
      await engine.persist(persistedEvent('pruned', 3, { n: 10 }));
      const system = startSystem(engine);
      const adder = nact.spawnPersistent(system, summer({ count: 0 }), 'pruned', 'pruned', {});
      expect(await nact.query<number>(adder, (replyTo) => ({ type: 'get', replyTo }), TIMEOUT)).to.equal(11);
      expect(await nact.query<number>(adder, (replyTo) => ({ type: 'add', n: 5, replyTo }), TIMEOUT)).to.equal(16);
      const events = await collect(engine.events('pruned', 3));
      expect(events.map((e) => [e.sequenceNumber, e.data])).to.deep.equal([[4, { n: 5 }]]);
    });
  });
}
