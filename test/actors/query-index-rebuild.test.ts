/**
 * The rebuild's fold of an instance's journal (query-index-rebuild.ts `foldInstanceRows`) decodes
 * only the events that decide the rows; it must give what folding every event gives (the
 * actor's own replay, actual-lrp.rows.ts), whatever the journal holds and whichever types the
 * engine could read off the events.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { JournalRead, PersistedEvent } from '../../src/runtime/persistence/engine.js';
import { applyEvent, noRows, type ActualLrpState } from '../../src/actors/actual-lrp.rows.js';
import { foldInstanceRows } from '../../src/actors/query-index-rebuild.js';

const row = fc.nat({ max: 9 }).map((n) => ({ instance_guid: `i-${n}` }) as unknown as ActualLRP);
const event = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('row'), actual: row, pending: fc.constantFrom('', 'p') }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('rows'), pending: fc.constantFrom('', 'p'), actual: row, suspect: row, evacuating: row }, { requiredKeys: ['type', 'pending'] }) },
  { weight: 1, arbitrary: fc.constant({ type: 'removed' }) },
  // what a broken journal may hold
  { weight: 1, arbitrary: fc.constantFrom(null, { type: 'bogus' }, { type: 'row' }) },
);
const stored = fc.record({ data: event, isDeleted: fc.boolean(), typeKnown: fc.boolean() });
const snapshot = fc.option(fc.record({ actual: fc.option(row, { nil: undefined }), pending: fc.constant(''), suspect: fc.option(row, { nil: undefined }), evacuating: fc.constant(undefined) }), { nil: undefined });

/** The journal as a scan hands it over, counting decodes; a type is given only where `typeKnown`. */
function journalOf(snap: ActualLrpState | undefined, events: Array<{ data: unknown; isDeleted: boolean; typeKnown: boolean }>, reads: { n: number }): JournalRead {
  return {
    key: 'actual-lrp/app/e/0',
    snapshot: snap && { key: 'actual-lrp/app/e/0', sequenceNumber: 0, data: snap, createdAt: 0 },
    events: events.map((e, i) => {
      const full: PersistedEvent = { key: 'actual-lrp/app/e/0', sequenceNumber: i + 1, data: e.data, tags: [], createdAt: 0, isDeleted: e.isDeleted };
      const type = (e.data as { type?: string } | null)?.type;
      return { sequenceNumber: i + 1, type: e.typeKnown && !e.isDeleted ? type : undefined, read: () => (reads.n++, structuredClone(full)) };
    }),
  };
}

/** The slots the index keeps (reading them fails where the fold left no state, as in loadQueryIndex). */
const slots = (s: ActualLrpState) => ({ o: s.actual, s: s.suspect, e: s.evacuating });

/** Every event folded, as the actor replays. */
function replay(snap: ActualLrpState | undefined, events: Array<{ data: unknown; isDeleted: boolean }>): { rows?: ReturnType<typeof slots>; threw: boolean } {
  try {
    let state = snap ?? noRows();
    for (const e of events) if (!e.isDeleted) state = applyEvent(state, e.data as never);
    return { rows: slots(state), threw: false };
  } catch {
    return { threw: true };
  }
}

describe('query index rebuild: an instance journal folded from its deciding events', () => {
  it('gives the rows a replay of every event gives, or fails where it fails', () => {
    fc.assert(fc.property(snapshot, fc.array(stored, { maxLength: 8 }), (snap, events) => {
      const expected = replay(snap, events);
      let actual: { rows?: ReturnType<typeof slots>; threw: boolean };
      try {
        actual = { rows: slots(foldInstanceRows(journalOf(snap, events, { n: 0 }))), threw: false };
      } catch {
        actual = { threw: true };
      }
      expect(actual).to.deep.equal(expected);
    }), { numRuns: 2000 });
  });

  it('decodes one event of a journal of UNCLAIMED, CLAIMED and RUNNING rows', () => {
    const reads = { n: 0 };
    const rows = ['UNCLAIMED', 'CLAIMED', 'RUNNING'].map((state) => ({ data: { type: 'row', actual: { state }, pending: '' }, isDeleted: false, typeKnown: true }));
    expect(foldInstanceRows(journalOf(undefined, rows, reads)).actual).to.deep.equal({ state: 'RUNNING' });
    expect(reads.n).to.equal(1);
  });
});
