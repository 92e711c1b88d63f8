/**
 * Cells appearing when many placements have failed: the failed instances are auctioned again,
 * but a step at a time (lrps-supervisors.ts `drainCellsBack`), and cells that appear while a
 * drain runs wait for its end rather than start another wave. At 250k instances on a loaded
 * machine, one broadcast per appearance re-auctioned 60k instances at once, each wave stalled
 * the control node for seconds, its cells' nodes flapped, and the next wave followed.
 */
import { expect } from 'chai';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { CELLS_BACK_STEP } from '../../src/actors/lrps-supervisors.js';
import { eventually } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

describe('control: failed placements auctioned again a step at a time when cells appear', function () {
  this.timeout(60_000);
  let h: Harness;
  beforeEach(() => {
    h = startHarness({ cellTtlMs: 60_000, convergenceIntervalMs: 0 });
  });
  afterEach(async () => {
    await h.stop();
  });

  it(`${CELLS_BACK_STEP.lrps} LRPs every ${CELLS_BACK_STEP.pauseMs} ms; a cell appearing meanwhile waits for the drain`, async () => {
    const total = 2 * CELLS_BACK_STEP.lrps + 100;
    const small = h.cells.add('small', { memory_mb: 64 });
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    for (let i = 0; i < total; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, total - i) }, (_, k) => h.control.desireLrp(lrpJson(`app-${i + k}`, { instances: 1, memory_mb: 128 }))));
    }
    await eventually(async () => {
      const rows = await h.control.actualLrps();
      expect(rows.filter((r) => r.placement_error !== '')).to.have.length(total);
    }, { timeout: 30_000 });

    const told: string[] = [];
    const dispatch = h.system.dispatch.bind(h.system);
    h.system.dispatch = <M>(ref: Ref<M>, msg: M) => {
      const m = msg as { type?: string; cell_ids?: string[] };
      if (m?.type === 'lrp/cell-back') told.push(m.cell_ids!.join(','));
      return dispatch(ref, msg);
    };
    const big = h.cells.add('big', { memory_mb: 1024 * 1024, disk_mb: 1024 * 1024, containers: 10_000 });
    small.heartbeat();
    big.heartbeat();
    // the first step at once, and the instances it names placed on the new cell
    await eventually(() => expect(big.lrps.size).to.equal(CELLS_BACK_STEP.lrps), { timeout: 20_000 });
    expect(told).to.have.length(CELLS_BACK_STEP.lrps);
    expect(new Set(told)).to.deep.equal(new Set(['big']));

    // another cell appears while the drain waits: no second wave
    const other = h.cells.add('other', { memory_mb: 1024 * 1024, disk_mb: 1024 * 1024, containers: 10_000 });
    other.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(3));
    expect(told).to.have.length(CELLS_BACK_STEP.lrps);

    await h.clock.advance(CELLS_BACK_STEP.pauseMs);
    await eventually(() => expect(told).to.have.length(2 * CELLS_BACK_STEP.lrps));
    await h.clock.advance(CELLS_BACK_STEP.pauseMs);
    await eventually(() => expect(big.lrps.size + other.lrps.size).to.equal(total), { timeout: 20_000 });
    // the cell that waited is announced once the drain is over, in a wave of its own; the
    // instances it names are already placed (pending), so none is auctioned twice
    await eventually(() => expect(told.length).to.be.above(total));
    expect(told.slice(0, total).every((c) => c === 'big')).to.equal(true);
    expect(told.slice(total).every((c) => c === 'other')).to.equal(true);
    expect(big.lrps.size + other.lrps.size).to.equal(total);
  });
});
