/**
 * The behaviour every persistence engine must show, run against each engine by its own test
 * file. Cases are phrased as what an actor (or an operator restarting a node) would notice.
 */
import { expect } from 'chai';
import {
  DuplicateEventError,
  persistedEvent,
  persistedSnapshot,
  type PersistedEvent,
  type PersistenceEngine,
} from '../../../src/runtime/persistence/engine.js';
import { collect } from '../../support/collect.js';
import { describeJournalScan } from './journal-scan-contract.js';
import { describeNactRecovery } from './nact-recovery-contract.js';

export interface EngineFixture {
  engine: PersistenceEngine;
  /** closes the engine and opens a new one on the same storage; later calls use the new one */
  reopen?: () => Promise<PersistenceEngine>;
  dispose: () => Promise<void>;
}

const seqs = (events: PersistedEvent[]): number[] => events.map((e) => e.sequenceNumber);

/** `reopens`: the engine keeps its data across close and reopen (a durable one must). */
export function describeEngineContract(name: string, make: () => Promise<EngineFixture>, { reopens = false } = {}): void {
  describe(`${name} persistence engine contract`, function () {
    let fixture: EngineFixture;
    let engine: PersistenceEngine;

    beforeEach(async function () {
      fixture = await make();
      engine = fixture.engine;
    });
    afterEach(async function () {
      await fixture.dispose();
    });

    async function persistRange(key: string, from: number, to: number): Promise<void> {
      for (let seq = from; seq <= to; seq++) await engine.persist(persistedEvent(key, seq, { seq }));
    }

    describe('events', function () {
      it('come back in sequence order from an offset, the offset itself excluded', async function () {
        for (const seq of [3, 1, 5, 2, 4, 6]) await engine.persist(persistedEvent('lrp-1', seq, { seq }));
        expect(seqs(await collect(engine.events('lrp-1')))).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(seqs(await collect(engine.events('lrp-1', 3)))).to.deep.equal([4, 5, 6]);
        expect(seqs(await collect(engine.events('lrp-1', 6)))).to.deep.equal([]);
      });

      it('stop after `limit` events', async function () {
        await persistRange('lrp-1', 1, 10);
        expect(seqs(await collect(engine.events('lrp-1', 2, 3)))).to.deep.equal([3, 4, 5]);
        expect(seqs(await collect(engine.events('lrp-1', 8, 5)))).to.deep.equal([9, 10]);
        expect(await collect(engine.events('lrp-1', 0, 0))).to.deep.equal([]);
      });

      it('filter by tags: only events carrying every requested tag', async function () {
        await engine.persist(persistedEvent('cell-1', 1, 'a', ['lrp', 'claimed']));
        await engine.persist(persistedEvent('cell-1', 2, 'b', ['lrp']));
        await engine.persist(persistedEvent('cell-1', 3, 'c', ['task']));
        await engine.persist(persistedEvent('cell-1', 4, 'd', ['claimed', 'lrp', 'urgent']));
        expect(seqs(await collect(engine.events('cell-1', 0, undefined, ['lrp'])))).to.deep.equal([1, 2, 4]);
        expect(seqs(await collect(engine.events('cell-1', 0, undefined, ['claimed', 'lrp'])))).to.deep.equal([1, 4]);
        expect(seqs(await collect(engine.events('cell-1', 0, 1, ['claimed'])))).to.deep.equal([1]);
        expect(seqs(await collect(engine.events('cell-1', 0, undefined, [])))).to.deep.equal([1, 2, 3, 4]);
        expect(await collect(engine.events('cell-1', 0, undefined, ['missing']))).to.deep.equal([]);
      });

      it('of one key never include another key, even one it is a prefix of', async function () {
        await persistRange('a', 1, 3);
        await persistRange('ab', 1, 2);
        await persistRange('b', 1, 1);
        const a = await collect(engine.events('a'));
        expect(a.map((e) => [e.key, e.sequenceNumber])).to.deep.equal([['a', 1], ['a', 2], ['a', 3]]);
        const ab = await collect(engine.events('ab'));
        expect(ab.map((e) => [e.key, e.sequenceNumber])).to.deep.equal([['ab', 1], ['ab', 2]]);
        expect(await collect(engine.events('a\u0000'))).to.deep.equal([]);
        expect(await collect(engine.events(''))).to.deep.equal([]);
      });

      it('that are deleted are still yielded, flagged isDeleted, so replay can skip them', async function () {
        await engine.persist(persistedEvent('lrp-1', 1, 'kept'));
        await engine.persist({ ...persistedEvent('lrp-1', 2, 'gone'), isDeleted: true });
        await engine.persist(persistedEvent('lrp-1', 3, 'kept too'));
        const events = await collect(engine.events('lrp-1'));
        expect(events.map((e) => [e.sequenceNumber, e.isDeleted])).to.deep.equal([[1, false], [2, true], [3, false]]);
      });

      it('reduce over 5,000 events visits every one, ascending, with its index', async function () {
        const writes: Promise<void>[] = [];
        for (let seq = 1; seq <= 5000; seq++) writes.push(engine.persist(persistedEvent('long', seq, { n: seq })));
        await Promise.all(writes);
        const result = await engine.events('long').reduce(async (acc, event, index) => {
          expect(event.sequenceNumber).to.equal(acc.last + 1);
          expect(index).to.equal(acc.count);
          return { last: event.sequenceNumber, count: acc.count + 1, sum: acc.sum + (event.data as { n: number }).n };
        }, { last: 0, count: 0, sum: 0 });
        expect(result).to.deep.equal({ last: 5000, count: 5000, sum: (5000 * 5001) / 2 });
        expect(seqs(await collect(engine.events('long', 4990)))).to.have.length(10);
      });
    });

    describe('persist', function () {
      it('rejects a duplicate (key, sequenceNumber) with DuplicateEventError and keeps the stored event', async function () {
        await engine.persist(persistedEvent('lrp-1', 1, 'first', ['x'], 1000));
        const error = await engine.persist(persistedEvent('lrp-1', 1, 'second', ['y'], 2000)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(DuplicateEventError);
        expect(error).to.include({ key: 'lrp-1', sequenceNumber: 1, code: 'DuplicateEvent' });
        expect(await collect(engine.events('lrp-1'))).to.deep.equal([persistedEvent('lrp-1', 1, 'first', ['x'], 1000)]);
        await engine.persist(persistedEvent('lrp-2', 1, 'other key, same sequence number'));
      });

      it('round-trips data, tags and timestamps', async function () {
        const data = {
          text: 'ünïcødé ✓ 日本語 🚀 "quoted" \\ \n',
          nested: { list: [1, 'two', { three: [3, [4]] }], empty: {}, none: [] },
          int: 42,
          negative: -7,
          float: 3.14159,
          large: Number.MAX_SAFE_INTEGER,
          yes: true,
          no: false,
          nothing: null,
        };
        const values: unknown[] = [data, 'plain string', 0, -1.5, true, false, null, [data, [null]]];
        for (const [i, value] of values.entries()) {
          await engine.persist(persistedEvent('rt', i + 1, value, ['b-tag', 'a-tag'], 1_700_000_000_123 + i));
        }
        const events = await collect(engine.events('rt'));
        expect(events).to.deep.equal(
          values.map((value, i) => persistedEvent('rt', i + 1, value, ['a-tag', 'b-tag'], 1_700_000_000_123 + i)),
        );
        await engine.takeSnapshot(persistedSnapshot('rt', 8, data, 1_700_000_000_999));
        expect(await engine.latestSnapshot('rt')).to.deep.equal(persistedSnapshot('rt', 8, data, 1_700_000_000_999));
      });

      it('handles 1,000 concurrent persists to 1,000 keys, all readable afterwards', async function () {
        const keys = Array.from({ length: 1000 }, (_, i) => `actual-lrp/${i}`);
        await Promise.all(keys.map((key, i) => engine.persist(persistedEvent(key, 1, { index: i }))));
        const reader = fixture.reopen ? await fixture.reopen() : engine;
        for (const [i, key] of keys.entries()) {
          const events = await collect(reader.events(key));
          expect(events.map((e) => [e.key, e.data])).to.deep.equal([[key, { index: i }]]);
        }
      });
    });

    describe('snapshots', function () {
      it('latest is the one with the highest sequence number', async function () {
        await engine.takeSnapshot(persistedSnapshot('a', 10, { v: 10 }));
        await engine.takeSnapshot(persistedSnapshot('a', 30, { v: 30 }));
        await engine.takeSnapshot(persistedSnapshot('a', 20, { v: 20 }));
        await engine.takeSnapshot(persistedSnapshot('ab', 50, { v: 'ab' }));
        expect(await engine.latestSnapshot('a')).to.include({ key: 'a', sequenceNumber: 30 });
        expect((await engine.latestSnapshot('a'))?.data).to.deep.equal({ v: 30 });
        expect(await engine.latestSnapshot('ab')).to.include({ key: 'ab', sequenceNumber: 50 });
      });

      it('taken again at the same sequence number replaces the earlier one', async function () {
        await engine.takeSnapshot(persistedSnapshot('a', 10, 'old'));
        await engine.takeSnapshot(persistedSnapshot('a', 10, 'new'));
        expect((await engine.latestSnapshot('a'))?.data).to.equal('new');
      });

      it('latest is undefined for a key without one, even when neighbouring keys have one', async function () {
        expect(await engine.latestSnapshot('nothing')).to.equal(undefined);
        await engine.persist(persistedEvent('a', 1, 'event, no snapshot'));
        await engine.takeSnapshot(persistedSnapshot('ab', 5, 'ab'));
        await engine.takeSnapshot(persistedSnapshot('', 5, 'empty key'));
        await engine.takeSnapshot(persistedSnapshot('b', 5, 'b'));
        expect(await engine.latestSnapshot('a')).to.equal(undefined);
        expect(await engine.latestSnapshot('abc')).to.equal(undefined);
      });
    });

    describeJournalScan(() => engine);

    describe('deleting journals', function () {
      const history = async (key: string) => ({ events: seqs(await collect(engine.events(key))), snapshot: (await engine.latestSnapshot(key))?.sequenceNumber });

      it('deleteJournal removes one key\'s events and snapshots, not a neighbour\'s, and the key starts over', async function () {
        for (const key of ['lrp/a', 'lrp/a/0', 'lrp/ab', 'lrp/']) {
          await persistRange(key, 1, 3);
          await engine.takeSnapshot(persistedSnapshot(key, 2, 'snap'));
        }
        await engine.deleteJournal('lrp/a');
        expect(await history('lrp/a')).to.deep.equal({ events: [], snapshot: undefined });
        for (const key of ['lrp/a/0', 'lrp/ab', 'lrp/']) expect(await history(key)).to.deep.equal({ events: [1, 2, 3], snapshot: 2 });
        await engine.persist(persistedEvent('lrp/a', 1, 'again'));
        expect(await history('lrp/a')).to.deep.equal({ events: [1], snapshot: undefined });
        await engine.deleteJournal('never-written');
        if (fixture.reopen) {
          const reopened = await fixture.reopen();
          expect(seqs(await collect(reopened.events('lrp/a/0')))).to.deep.equal([1, 2, 3]);
          expect(await collect(reopened.events('lrp/a'))).to.have.length(1);
        }
      });

      it('deleteJournalsWithPrefix removes every key starting with the prefix and counts them', async function () {
        for (const key of ['actual-lrp/web/e1/0', 'actual-lrp/web/e1/1', 'actual-lrp/web/e1/10', 'actual-lrp/web/e10/0', 'actual-lrp/web/e1', 'actual-lrp/wex/e1/0']) await persistRange(key, 1, 2);
        await engine.takeSnapshot(persistedSnapshot('actual-lrp/web/e1/2', 7, 'only a snapshot'));
        expect(await engine.deleteJournalsWithPrefix('actual-lrp/web/e1/')).to.equal(4);
        for (const key of ['actual-lrp/web/e1/0', 'actual-lrp/web/e1/1', 'actual-lrp/web/e1/10', 'actual-lrp/web/e1/2']) {
          expect(await history(key)).to.deep.equal({ events: [], snapshot: undefined });
        }
        for (const key of ['actual-lrp/web/e10/0', 'actual-lrp/web/e1', 'actual-lrp/wex/e1/0']) expect((await history(key)).events).to.deep.equal([1, 2]);
        expect(await engine.deleteJournalsWithPrefix('nothing/')).to.equal(0);
      });
    });

    describe('lifecycle', function () {
      it('close lets persists already in flight finish', async function () {
        const writes = Array.from({ length: 50 }, (_, i) => engine.persist(persistedEvent('in-flight', i + 1, i)));
        const closing = engine.close();
        await Promise.all(writes);
        await closing;
        if (fixture.reopen) {
          const reopened = await fixture.reopen();
          expect(await collect(reopened.events('in-flight'))).to.have.length(50);
        }
      });

      it('rejects calls after close', async function () {
        await engine.close();
        let error: unknown;
        await engine.persist(persistedEvent('late', 1, 'x')).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(Error);
      });

      // An in-memory engine forgets everything on close by design; only durable engines run this.
      if (reopens) it('keeps events and snapshots across close and reopen', async function () {
        await persistRange('lrp-1', 1, 3);
        await engine.takeSnapshot(persistedSnapshot('lrp-1', 2, { state: 'running' }));
        const reopened = await fixture.reopen!();
        expect(seqs(await collect(reopened.events('lrp-1')))).to.deep.equal([1, 2, 3]);
        expect(await reopened.latestSnapshot('lrp-1')).to.include({ sequenceNumber: 2 });
        await reopened.persist(persistedEvent('lrp-1', 4, 'after reopen'));
        const duplicate = await reopened.persist(persistedEvent('lrp-1', 3, 'dup')).catch((e: unknown) => e);
        expect(duplicate).to.be.instanceOf(DuplicateEventError);
      });
    });

    describeNactRecovery(() => ({ engine, reopen: fixture.reopen }));
  });
}
