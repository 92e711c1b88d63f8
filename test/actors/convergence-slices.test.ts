import { expect } from 'chai';
import type { AuctorEvent } from '../../src/models/events.js';
import type { ConvergenceReport } from '../../src/actors/convergence.protocol.js';
import { eventually } from '../support/eventually.js';
import type { FakeCell } from '../support/fake-cells.js';
import { runOn, startHarness, type Harness } from './control-harness.js';
import { convergeInSlices } from '../../src/actors/lrps-convergence.js';
import { silentLogger } from '../../src/base/logger.js';

describe('control: convergence in slices, passes coalesced', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  const ofType = <T extends AuctorEvent['type']>(type: T) => h!.events.filter((e): e is Extract<AuctorEvent, { type: T }> => e.type === type);
  /** Advances the clock by `ms` in 2 s steps, the given cells heartbeating before each step. */
  const live = async (ms: number, ...cells: FakeCell[]) => {
    for (let t = 0; t < ms; t += 2_000) {
      cells.forEach((c) => c.heartbeat());
      await h!.clock.advance(Math.min(2_000, ms - t));
    }
  };
  it('a pass yields between its slices and answers only once every slice is done, with the counts of the whole pass', async () => {
    const gates: Array<() => void> = [];
    h = startHarness({ convergenceIntervalMs: 0, convergenceSliceLrps: 2 }, { betweenSlices: () => new Promise<void>((resolve) => gates.push(resolve)) });
    const cell = h.cells.add('cell-1');
    await runOn(h!, [cell], 5, 1);

    let report: ConvergenceReport | undefined;
    const pass = h.control.converge().then((r) => (report = r));
    await eventually(() => expect(gates).to.have.length(1));
    // the rest of the control answers while the pass is held (lrps too: lrps-busy.test.ts)
    expect(await h.control.cells()).to.have.length(1);
    expect(report, 'no answer before the last slice').to.equal(undefined);
    gates.shift()!();
    await eventually(() => expect(gates).to.have.length(1));
    expect(report).to.equal(undefined);
    gates.shift()!();
    await pass;
    expect(gates, '5 LRPs in slices of 2: 3 slices, 2 yields').to.have.length(0);
    expect(report!.lrps).to.include({ desired: 5, running: 5, missing: 0, presentCells: 1, missingCells: 0 });
  });

  it('a pass reads its LRPs slice by slice: no slice lists or checks the guids of the next', async () => {
    let pulled = 0;
    function* guids() {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield `lrp-${i}`;
      }
    }
    const atYield: number[] = [];
    const result = await convergeInSlices({
      lrps: guids(), presentCells: [], freshDomains: [], heardCells: undefined, now: 0, settings: {}, sliceLrps: 4,
      betweenSlices: async () => void atYield.push(pulled), read: () => ({ desired: undefined, rows: [] }), send: () => undefined, log: silentLogger(),
    });
    // 10 guids in slices of 4: 3 slices, and at each yield only the guids read so far (and the
    // one read ahead) were pulled
    expect(result.slices).to.equal(3);
    expect(atYield).to.deep.equal([5, 9]);
    expect(pulled).to.equal(10);
  });

  it('a lost cell\'s instances in many slices: each becomes SUSPECT once and is replaced once, as in one slice', async () => {
    h = startHarness({ convergenceIntervalMs: 0, cellTtlMs: 10_000, convergenceSliceLrps: 1 });
    const one = h.cells.add('cell-1');
    await runOn(h!, [one], 4, 2);
    const two = h.cells.add('cell-2');
    await live(12_000, two);
    await eventually(() => expect(two.lrps.size, 'replacements placed on cell-2').to.equal(8));
    const rows = await h.control.actualLrps({});
    expect(rows.filter((r) => r.presence === 'SUSPECT' && r.cell_id === 'cell-1')).to.have.length(8);
    const suspected = ofType('actual_lrp_instance_changed').filter((e) => e.data.after.presence === 'SUSPECT');
    expect(new Set(suspected.map((e) => e.data.after.instance_guid)).size).to.equal(8);
    expect(suspected).to.have.length(8);
    const report = await h.control.converge();
    expect(report.lrps).to.include({ desired: 8, suspect: 8, suspectRunning: 8, presentCells: 1, missingCells: 0, missing: 0 });
    expect(ofType('actual_lrp_instance_created'), '8 first instances, 8 replacements').to.have.length(16);
  });

  it('1000 cells disappearing while a pass runs cause at most 2 passes; every instance on them becomes SUSPECT once', async function () {
    this.timeout(120_000);
    // the pass the first expiry starts is held at its first slice until every cell is gone, as
    // a pass at scale (seconds long) is while a thousand expiries arrive
    let hold = false;
    const gates: Array<() => void> = [];
    const betweenSlices = () => (hold ? new Promise<void>((resolve) => gates.push(resolve)) : Promise.resolve());
    h = startHarness({ convergenceIntervalMs: 0, cellTtlMs: 10_000, convergenceSliceLrps: 5 }, { betweenSlices });
    const lost = Array.from({ length: 1000 }, (_, i) => h!.cells.add(`cell-${i}`));
    await runOn(h!, lost, 10, 100);
    const before = (await h.control.converge()).pass;
    const spare = h.cells.add('spare', { memory_mb: 64 * 1024, containers: 2000 });
    hold = true;
    await live(12_000, spare);
    await eventually(async () => expect(await h!.control.cells()).to.have.length(1), { timeout: 30_000 });
    await eventually(() => expect(gates).to.have.length(1));
    hold = false;
    gates.shift()!();
    await eventually(async () => expect((await h!.control.actualLrps({})).filter((r) => r.presence === 'SUSPECT')).to.have.length(1000), { timeout: 60_000 });
    const after = (await h.control.converge()).pass;
    expect(after - before - 1, 'passes the expiries caused').to.be.within(1, 2);
    const suspected = ofType('actual_lrp_instance_changed').filter((e) => e.data.after.presence === 'SUSPECT');
    expect(suspected).to.have.length(1000);
    expect(new Set(suspected.map((e) => e.data.after.instance_guid)).size).to.equal(1000);
    expect(ofType('actual_lrp_instance_created'), '1000 instances, 1000 replacements').to.have.length(2000);
  });
});
