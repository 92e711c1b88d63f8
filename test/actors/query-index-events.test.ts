/** The query index's fold of the events (src/actors/query-index.ts), without actors. */
import { expect } from 'chai';
import { QueryIndex } from '../../src/actors/query-index.js';
import { claimActualLrp, markSuspect, newUnclaimedActualLrp, promoteSuspect, startActualLrp, type ActualLRP } from '../../src/models/actual-lrp.js';
import { Events, type AuctorEvent } from '../../src/models/events.js';

const NOW = 1_700_000_000_000_000_000;
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: Error }): T => {
  if (!r.ok) throw r.error;
  return r.value;
};
const running = (guid: string, cell: string): ActualLRP => {
  const key = { instance_guid: guid, cell_id: cell };
  const claimed = unwrap(claimActualLrp(newUnclaimedActualLrp({ process_guid: 'web', index: 0, domain: 'apps' }, NOW, { epoch: guid, index: 0 }), key, NOW));
  return unwrap(startActualLrp(claimed, key, { address: '10.0.0.1', ports: [] }, NOW));
};
const show = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.presence, r.state, r.instance_guid]);

describe('query index: the events', () => {
  const desired = { process_guid: 'web', domain: 'apps', instances: 1 } as never;

  /** A suspect replaced, then promoted back when its cell returns (the replacement removed first). */
  function suspectAndBack(): { events: AuctorEvent[]; promoted: ActualLRP } {
    const first = running('i-1', 'cell-1');
    const suspect = unwrap(markSuspect(first));
    const replacement = newUnclaimedActualLrp({ process_guid: 'web', index: 0, domain: 'apps' }, NOW, { epoch: 'r', index: 0 });
    const promoted = unwrap(promoteSuspect(suspect));
    return {
      promoted,
      events: [
        Events.desiredLrpCreated(desired), Events.actualLrpCreated(first),
        Events.actualLrpChanged(first, suspect), Events.actualLrpCreated(replacement),
        Events.actualLrpRemoved(replacement), Events.actualLrpChanged(suspect, promoted),
      ],
    };
  }

  it('keeps one row per presence of an index: a suspect, its replacement, the promotion back', () => {
    const index = new QueryIndex();
    index.reserve('web');
    const { events, promoted } = suspectAndBack();
    for (const e of events.slice(0, 4)) index.onEvent(e);
    expect(show(index.actualLrps())).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [0, 'SUSPECT', 'RUNNING', 'i-1']]);
    for (const e of events.slice(4)) index.onEvent(e);
    expect(index.actualLrps()).to.deep.equal([promoted]);
  });

  it('a rebuild that read any state along the way ends where the events end: what was published meanwhile is applied after it', async () => {
    const { events, promoted } = suspectAndBack();
    for (let seen = 0; seen <= events.length; seen++) {
      // the store's read saw the first `seen` events; every event was published during the rebuild
      const stored = new QueryIndex();
      stored.reserve('web');
      for (const e of events.slice(0, seen)) stored.onEvent(e);
      const index = new QueryIndex();
      let finish!: () => void;
      const rebuilt = index.rebuild(async (loader) => {
        await new Promise<void>((resolve) => (finish = resolve));
        loader.entry('web');
        const d = stored.desiredLrps()[0];
        if (d) loader.desired(d);
        const rows = stored.actualLrps();
        const slot = (p: ActualLRP['presence']) => rows.find((r) => r.presence === p);
        loader.rows('web', 0, { o: slot('ORDINARY'), s: slot('SUSPECT'), e: slot('EVACUATING') });
      });
      for (const e of events) index.onEvent(e);
      finish();
      await rebuilt;
      expect(index.actualLrps(), `after a read of ${seen} events`).to.deep.equal([promoted]);
    }
  });

  it('lists an LRP only while it is desired, and no row at or above its instances', () => {
    const index = new QueryIndex();
    index.reserve('web');
    index.onEvent(Events.actualLrpCreated(running('i-1', 'cell-1')));
    expect(index.actualLrps()).to.deep.equal([]);
    index.onEvent(Events.desiredLrpCreated(desired));
    expect(index.actualLrps()).to.have.length(1);
    index.onEvent(Events.desiredLrpChanged(desired, { ...(desired as object), instances: 0 } as never));
    expect(index.actualLrps()).to.deep.equal([]);
    index.onEvent(Events.desiredLrpRemoved(desired));
    index.forget('web');
    expect(index.size()).to.deep.equal({ lrps: 0, rows: 0, tasks: 0 });
  });

  it('lists every index of an LRP grown one instance at a time past its first 8, in any order of arrival, and drops them on removal', () => {
    const index = new QueryIndex();
    index.reserve('web');
    index.onEvent(Events.desiredLrpCreated({ ...(desired as object), instances: 30 } as never));
    // the rebuild reads journals in key order: 0, 1, 10, 11, ..., 2, 20, ...
    const order = Array.from({ length: 30 }, (_, i) => String(i)).sort().map(Number);
    const rows = order.map((i) => ({ ...running(`i-${i}`, 'cell-1'), index: i }));
    for (const row of rows) index.onEvent(Events.actualLrpCreated(row));
    expect(index.actualLrps().map((r) => r.index)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    for (const row of rows.filter((r) => r.index % 2 === 1)) index.onEvent(Events.actualLrpRemoved(row));
    expect(index.actualLrps().map((r) => r.index)).to.deep.equal(Array.from({ length: 15 }, (_, i) => 2 * i));
    expect(index.size()).to.deep.equal({ lrps: 1, rows: 15, tasks: 0 });
  });
});
