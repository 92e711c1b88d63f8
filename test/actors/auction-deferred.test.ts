/**
 * A round in which most cells do not answer with their state is deferred, not failed
 * (auction-round.ts DEFER_BELOW_ANSWERED): nothing is written, and the work goes into a round
 * DEFERRED_ROUND_DELAY_MS later. After MAX_DEFERRED_ROUNDS in a row, a round decides with the
 * cells that answered, as Diego's auctioneer does. At 250k instances a control node too busy to
 * read the answers in time failed whole rounds against healthy cells, and every failure was
 * more work for it.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { DEFERRED_ROUND_DELAY_MS, MAX_DEFERRED_ROUNDS } from '../../src/actors/auctioneer.js';
import { eventually } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness, type LogLine } from './control-harness.js';

describe('control: auction rounds that too few cells answer are deferred', () => {
  let h: Harness;
  let logs: LogLine[];
  beforeEach(() => {
    logs = [];
    h = startHarness({ cellTtlMs: 60_000, convergenceIntervalMs: 0 }, { logs });
  });
  afterEach(async () => {
    await h.stop();
  });
  const deferrals = () => logs.filter((l) => l.msg === 'auction.round-deferred').length;
  const rows = () => h.control.actualLrps({ process_guid: 'web' }) as Promise<ActualLRP[]>;

  it('writes no placement error while most cells do not answer, and places the work once they do', async () => {
    const [one, two, three] = ['cell-1', 'cell-2', 'cell-3'].map((id) => h.cells.add(id));
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(3));
    one!.unreachable = true;
    two!.unreachable = true;
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(deferrals()).to.equal(1));
    expect((await rows()).map((r) => [r.state, r.placement_error])).to.deep.equal([['UNCLAIMED', '']]);

    one!.unreachable = false;
    two!.unreachable = false;
    await h.clock.advance(DEFERRED_ROUND_DELAY_MS);
    await eventually(() => expect(one!.lrps.size + two!.lrps.size + three!.lrps.size).to.equal(1));
    expect(deferrals()).to.equal(1);
    expect(h.events.filter((e) => e.type === 'actual_lrp_instance_changed' && e.data.after.placement_error !== ''), 'no placement error written').to.deep.equal([]);
  });

  it(`after ${MAX_DEFERRED_ROUNDS} deferred rounds in a row, a round decides with the cells that answered`, async () => {
    const [one, two] = ['cell-1', 'cell-2'].map((id) => h.cells.add(id, { memory_mb: 64 }));
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    one!.unreachable = true;
    two!.unreachable = true;
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    for (let n = 1; n <= MAX_DEFERRED_ROUNDS; n++) {
      await eventually(() => expect(deferrals()).to.equal(n));
      await h.clock.advance(DEFERRED_ROUND_DELAY_MS);
    }
    await eventually(async () => expect((await rows()).map((r) => r.placement_error)).to.deep.equal(['unable to communicate to compatible cells']));
    expect(deferrals()).to.equal(MAX_DEFERRED_ROUNDS);
  });
});
