/**
 * The entries an instance's journaled events make (actual-lrp.timeline.ts): the steps the
 * gateway's timeline test cannot reach with one fake cell (suspect, evacuating, replaced), and a
 * journal longer than the limit read through the engine.
 */
import { expect } from 'chai';
import { readInstanceTimeline, timelineStep } from '../../src/actors/actual-lrp.timeline.js';
import { applyEvent, noRows, type ActualLrpEvent, type ActualLrpState } from '../../src/actors/actual-lrp.rows.js';
import { newUnclaimedActualLrp, type ActualLRP } from '../../src/models/actual-lrp.js';
import { restartSettings } from '../../src/models/restart-policy.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import type { PersistenceEngine } from '../../src/runtime/persistence/engine.js';
import { tempDir } from '../support/temp-dir.js';

const settings = restartSettings();
let tag = 0;
/** A row of web/0; each call is a new version (its own modification tag). */
const row = (changes: Partial<ActualLRP> = {}): ActualLRP =>
  ({ ...newUnclaimedActualLrp({ process_guid: 'web', index: 0, domain: 'd' }, 0, { epoch: 'e', index: ++tag }), ...changes });
const running = (guid: string, cell: string, since: number, presence: ActualLRP['presence'] = 'ORDINARY') =>
  row({ state: 'RUNNING', instance_guid: guid, cell_id: cell, address: '10.0.0.1', since, presence });

/** The entries of each step, as `[kind, instance_guid, detail]`. */
function story(events: ActualLrpEvent[]): Array<[string, string, string]> {
  let state: ActualLrpState = noRows();
  const out: Array<[string, string, string]> = [];
  events.forEach((event, n) => {
    const next = applyEvent(state, event);
    for (const e of timelineStep(state, next, n, settings)) out.push([e.kind, e.instance_guid, e.detail]);
    state = next;
  });
  return out;
}

describe('control: an instance timeline from its journal', () => {
  it('a lost cell: suspect, the replacement placed and running, the suspect replaced', () => {
    const a = running('a', 'c1', 10);
    expect(story([
      { type: 'row', actual: a, pending: '' },
      { type: 'rows', actual: row({ since: 20 }), pending: 'b', suspect: { ...a, presence: 'SUSPECT' } },
      { type: 'rows', actual: running('b', 'c2', 30), pending: '', suspect: { ...a, presence: 'SUSPECT' } },
      { type: 'rows', actual: running('b', 'c2', 30), pending: '' },
    ])).to.deep.equal([
      ['running', 'a', ''],
      ['suspect', 'a', 'its cell is gone'],
      ['unclaimed', 'b', ''],
      ['running', 'b', ''],
      ['replaced', 'a', 'replaced by b'],
    ]);
  });

  it("a suspect whose cell comes back first is the ORDINARY row again; a copy's crash removes it", () => {
    const a = running('a', 'c1', 10);
    const suspect = { ...a, presence: 'SUSPECT' as const };
    expect(story([
      { type: 'rows', actual: row({ since: 20 }), pending: 'b', suspect },
      { type: 'rows', actual: { ...a, since: 30, modification_tag: { epoch: 'e', index: ++tag } }, pending: '' },
    ]).slice(2)).to.deep.equal([['running', 'a', '']]);
    const evacuating = { ...a, presence: 'EVACUATING' as const };
    expect(story([
      { type: 'rows', actual: row({ since: 20 }), pending: 'b', evacuating },
      { type: 'rows', actual: row({ since: 20, state: 'CLAIMED', instance_guid: 'b', cell_id: 'c2' }), pending: '' },
      { type: 'rows', actual: row({ since: 20, state: 'CLAIMED', instance_guid: 'b', cell_id: 'c2' }), pending: '' },
    ])).to.deep.equal([
      ['evacuating', 'a', 'its cell is draining'],
      ['unclaimed', 'b', ''],
      ['claimed', 'b', ''],
      ['removed', 'a', 'evacuating copy removed'],
    ]);
  });

  for (const [name, open] of [
    ['memory', () => ({ engine: new MemoryPersistenceEngine() as PersistenceEngine, done: () => undefined })],
    ['LMDB', () => {
      const dir = tempDir();
      return { engine: LmdbPersistenceEngine.open(dir.path) as PersistenceEngine, done: () => dir.remove() };
    }],
  ] as const) {
    it(`reads a journal longer than the limit, keeping the last entries in order (${name} engine)`, async () => {
      const { engine, done } = open();
      const key = 'actual-lrp/web/e/0';
      const events: ActualLrpEvent[] = [];
      for (let i = 0; i < 50; i++) {
        events.push({ type: 'row', actual: row({ since: i * 2 }), pending: `g${i}` });
        events.push({ type: 'row', actual: running(`g${i}`, 'c1', i * 2 + 1), pending: '' });
      }
      events.push({ type: 'removed' });
      try {
        for (const [n, data] of events.entries()) await engine.persist({ key, sequenceNumber: n + 1, data, tags: [], createdAt: 5000, isDeleted: false });
        // a snapshot shortens replay only: the timeline still reads from the first event
        await engine.takeSnapshot({ key, sequenceNumber: 60, data: noRows(), createdAt: 5000 });
        const all = await readInstanceTimeline(engine, key, 1000, settings);
        expect(all).to.have.length(101);
        expect(all[0]).to.deep.include({ kind: 'unclaimed', instance_guid: 'g0', at: 0 });
        const last = await readInstanceTimeline(engine, key, 3, settings);
        expect(last.map((e) => [e.kind, e.instance_guid, e.at])).to.deep.equal([['unclaimed', 'g49', 98], ['running', 'g49', 99], ['removed', 'g49', 5000 * 1e6]]);
        expect(await readInstanceTimeline(engine, 'actual-lrp/web/e/1', 10, settings)).to.deep.equal([]);
      } finally {
        await engine.close();
        done();
      }
    });
  }
});
