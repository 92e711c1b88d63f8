/**
 * A convergence pass plans from the query index (src/actors/lrps-convergence.ts): it asks no
 * supervisor or instance for its rows, and messages only the LRPs its plan says must act.
 */
import { expect } from 'chai';
import { refPath, type Ref } from '../../src/runtime/kernel/protocol.js';
import { eventually } from '../support/eventually.js';
import { runOn, startHarness, type Harness } from './control-harness.js';

describe('control: convergence plans from the query index', () => {
  let h: Harness | undefined;
  let restore: (() => void) | undefined;
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await h?.stop();
    h = undefined;
  });

  /** Records the path of every message sent (dispatched or asked) to a supervisor or an instance. */
  const spyBelowLrps = (): string[] => {
    const system = h!.system;
    const lrps = refPath(h!.control.refs.lrps);
    const sent: string[] = [];
    // a query's temporary reply reference has no path
    const note = (ref: Ref<unknown>) => {
      const path = (ref as { path?: unknown }).path ? refPath(ref) : '';
      if (path.startsWith(`${lrps}/`)) sent.push(path.slice(lrps.length + 1));
    };
    const { dispatch, query } = system;
    system.dispatch = function <M>(ref: Ref<M>, msg: M) {
      note(ref as Ref<unknown>);
      return dispatch.call(system, ref as Ref<unknown>, msg);
    };
    system.query = function <M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M, timeoutMs: number) {
      note(ref as Ref<unknown>);
      return query.call(system, ref as Ref<unknown>, make as (replyTo: Ref<unknown>) => unknown, timeoutMs) as Promise<R>;
    };
    restore = () => {
      system.dispatch = dispatch;
      system.query = query;
    };
    return sent;
  };

  it('a pass over LRPs with nothing to do sends no message to any supervisor or instance', async () => {
    h = startHarness({ convergenceIntervalMs: 0, convergenceSliceLrps: 7 });
    await runOn(h!, [h.cells.add('cell-1'), h.cells.add('cell-2')], 30, 2);
    const sent = spyBelowLrps();
    for (let i = 0; i < 3; i++) {
      const report = await h.control.converge();
      expect(report.lrps).to.include({ desired: 60, running: 60, missing: 0, suspect: 0, presentCells: 2, missingCells: 0 });
    }
    expect(sent).to.deep.equal([]);
  });

  it('a pass after a cell is lost messages only the LRPs that had instances on it', async () => {
    h = startHarness({ convergenceIntervalMs: 0, cellTtlMs: 10_000, convergenceSliceLrps: 3 });
    const kept = h.cells.add('cell-1');
    const lost = h.cells.add('cell-2');
    await runOn(h!, [kept, lost], 12, 1);
    const onLost = new Set((await h.control.actualLrps({ cell_id: 'cell-2' })).map((r) => r.process_guid));
    expect(onLost.size, 'the auction spread the instances over both cells').to.be.within(1, 11);

    const sent = spyBelowLrps();
    // cell-2 stops heartbeating and expires; its expiry starts a pass
    for (let t = 0; t < 12_000; t += 2_000) {
      kept.heartbeat();
      await h.clock.advance(2_000);
    }
    await eventually(() => expect(kept.lrps.size, 'replacements placed on cell-1').to.equal(12), { timeout: 30_000 });
    const rows = await h.control.actualLrps({});
    expect(new Set(rows.filter((r) => r.presence === 'SUSPECT').map((r) => r.process_guid))).to.deep.equal(onLost);
    const messaged = new Set(sent.map((path) => path.split('/')[0]!));
    expect(messaged).to.deep.equal(onLost);
  });
});
