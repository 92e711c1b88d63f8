/**
 * The engine contract's part on {@link PersistenceEngine.scanJournals}: what a control's start
 * reads every journal under a prefix with must find, as one read of each journal would.
 */
import { expect } from 'chai';
import { persistedEvent, persistedSnapshot, type JournalRead, type PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { collect } from '../../support/collect.js';

const seqs = (events: Array<{ sequenceNumber: number }>): number[] => events.map((e) => e.sequenceNumber);

/** Runs inside the contract's describe; `current` is the engine of the running test. */
export function describeJournalScan(current: () => PersistenceEngine): void {
  async function persistRange(key: string, from: number, to: number): Promise<void> {
    for (let seq = from; seq <= to; seq++) await current().persist(persistedEvent(key, seq, { seq }));
  }

  describe('scanning journals (a start reads every journal under a prefix at once)', function () {
    const scan = async (prefix: string, decode = false) => {
      const read: JournalRead[] = [];
      await current().scanJournals(prefix, (journal) => read.push(journal), { decode });
      return read;
    };
    const brief = (read: JournalRead[]) => read.map((j) => [j.key, j.snapshot?.sequenceNumber, seqs(j.events)]);

    it('visits each journal under the prefix once, in key order, never one outside it', async function () {
      for (const key of ['actual-lrp/b/0', 'actual-lrp/a/10', 'actual-lrp/a/2', 'actual-lrp', 'actual-lrpx/a/0', 'lrp/a', 'actual-lrp/a/1']) await persistRange(key, 1, 2);
      expect(brief(await scan('actual-lrp/'))).to.deep.equal([
        ['actual-lrp/a/1', undefined, [1, 2]],
        ['actual-lrp/a/10', undefined, [1, 2]],
        ['actual-lrp/a/2', undefined, [1, 2]],
        ['actual-lrp/b/0', undefined, [1, 2]],
      ]);
      expect(brief(await scan('nothing/'))).to.deep.equal([]);
    });

    it('gives a journal its latest snapshot and only the events after it, deleted ones flagged', async function () {
      await persistRange('t/a', 1, 5);
      await current().takeSnapshot(persistedSnapshot('t/a', 2, { upTo: 2 }));
      await current().takeSnapshot(persistedSnapshot('t/a', 3, { upTo: 3 }));
      // a snapshot at the last event: nothing after it
      await persistRange('t/b', 1, 3);
      await current().takeSnapshot(persistedSnapshot('t/b', 3, { upTo: 3 }));
      await current().persist({ ...persistedEvent('t/c', 1, 'gone'), isDeleted: true });
      await current().persist(persistedEvent('t/c', 2, 'kept', ['x']));
      const [a, b, c] = await scan('t/');
      expect(a!.snapshot).to.include({ key: 't/a', sequenceNumber: 3 });
      expect(a!.snapshot!.data).to.deep.equal({ upTo: 3 });
      expect(a!.events.map((e) => [e.sequenceNumber, e.read().data])).to.deep.equal([[4, { seq: 4 }], [5, { seq: 5 }]]);
      expect(brief([b!])).to.deep.equal([['t/b', 3, []]]);
      expect(c!.events.map((e) => e.read()).map((e) => [e.data, e.isDeleted, e.tags])).to.deep.equal([['gone', true, []], ['kept', false, ['x']]]);
        // a type is read off the events only where it is sure: never on a deleted one
        expect(c!.events[0]!.type).to.equal(undefined);
        await current().persist(persistedEvent('u/a', 1, { type: 'row', actual: { state: 'RUNNING' }, pending: '' }));
        await current().persist(persistedEvent('u/a', 2, { type: 'removed' }));
        await current().persist({ ...persistedEvent('u/a', 3, { type: 'row' }), isDeleted: true });
        const [u] = await scan('u/');
        expect(u!.events.map((e) => e.type)).to.deep.equal(['row', 'removed', undefined]);
    });

    it('reads 3,000 journals of various lengths, with and without snapshots, as one read of each would', async function () {
      this.timeout(60_000);
      const writes: Array<Promise<void>> = [];
      for (let j = 0; j < 3000; j++) {
        const key = `many/${j}`;
        const length = 1 + (j % 7);
        for (let seq = 1; seq <= length; seq++) writes.push(current().persist(persistedEvent(key, seq, { j, seq })));
        if (j % 3 === 0 && length > 1) writes.push(current().takeSnapshot(persistedSnapshot(key, length - 1, { j })));
      }
      await Promise.all(writes);
      const read = await scan('many/');
      expect(read).to.have.length(3000);
      for (const journal of read) {
        const snapshot = await current().latestSnapshot(journal.key);
        expect(journal.snapshot?.sequenceNumber, journal.key).to.equal(snapshot?.sequenceNumber);
        expect(journal.events.map((e) => e.read()), journal.key).to.deep.equal(await collect(current().events(journal.key, snapshot?.sequenceNumber ?? 0)));
      }
    });
  });
}
