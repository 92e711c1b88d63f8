/**
 * `lrps` is not the control's one serial choke point (docs/020 "Reports go to the supervisor by
 * path", "A pass does not hold lrps"): while a convergence pass is held between two slices, a
 * cell's reports reach their instances and a desire is answered, both before the pass ends.
 */
import { expect } from 'chai';
import type { ConvergenceReport } from '../../src/actors/convergence.protocol.js';
import { eventually } from '../support/eventually.js';
import { lrpJson, runOn, startHarness, type Harness } from './control-harness.js';

describe('control: lrps while a convergence pass runs', () => {
  let h: Harness;
  const gates: Array<() => void> = [];
  let report: ConvergenceReport | Error | undefined;
  /** Starts a pass that waits between its first two slices until `release()`. */
  const holdPass = async () => {
    report = undefined;
    void h.control.converge().then((r) => (report = r), (e: Error) => (report = e));
    await eventually(() => expect(gates).to.have.length(1));
  };
  const release = async () => {
    for (let turns = 0; report === undefined && turns < 1000; turns++) {
      gates.splice(0).forEach((open) => open());
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  beforeEach(async () => {
    gates.length = 0;
    h = startHarness({ convergenceIntervalMs: 0, convergenceSliceLrps: 1 }, { betweenSlices: () => new Promise<void>((resolve) => gates.push(resolve)) });
    await runOn(h, [h.cells.add('cell-1')], 3, 1);
  });
  afterEach(async () => {
    await release();
    await h.stop();
  });

  it("a cell's report reaches its instance before the pass ends", async () => {
    await holdPass();
    const w = h.cells.get('cell-1').instance('app-1', 0)!;
    h.cells.get('cell-1').crash(w);
    await eventually(async () => expect((await h.control.actualLrps({ process_guid: 'app-1' }))[0]).to.include({ crash_count: 1 }));
    expect(report, 'the pass is still held').to.equal(undefined);
  });

  it('a desire is answered before the pass ends, and the pass answers once released', async () => {
    await holdPass();
    const desired = await h.control.desireLrp(lrpJson('late', { instances: 1, memory_mb: 32, disk_mb: 32 }));
    expect(desired.ok).to.equal(true);
    expect(report, 'the pass is still held').to.equal(undefined);
    await release();
    expect((report as ConvergenceReport).lrps).to.not.equal(undefined);
  });
});
