/**
 * A DesiredLRP's crash_policy in the control actors, on the fake clock: the ActualLRP actor and
 * convergence follow the LRP's policy over the node's settings, a PATCH applies from the next
 * crash and re-times a CRASHED instance's wait, and `max_restarts: 0` never restarts.
 */
import { expect } from 'chai';
import type { Timer } from '../../src/base/clock.js';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { CrashPolicy } from '../../src/models/crash-policy.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A fake clock that records each delay asked for: Node fires one longer than 2^31-1 ms after 1 ms. */
class RecordingClock extends FakeClock {
  readonly delays: number[] = [];
  override setTimeout(fn: () => void, ms: number): Timer {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

describe('control: a DesiredLRP\'s crash_policy', () => {
  let h: Harness;
  const rows = () => h.control.actualLrps({ process_guid: 'web' });
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(rows, pred, (r) => r.map((a) => [a.index, a.state, a.crash_count, a.instance_guid]), what);
  const cell = () => h.cells.get('cell-1');
  const placed = () => eventually(() => expect(cell().instance('web', 0)).to.not.equal(undefined));
  /** Desires `web` (1 instance) with `crash_policy`, and waits until it runs. */
  const desireRunning = async (crash_policy?: CrashPolicy) => {
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1, ...(crash_policy ? { crash_policy } : {}) }))).ok).to.equal(true);
    await placed();
    cell().startAll();
    await waitFor((r) => r[0]?.state === 'RUNNING', 'RUNNING');
  };
  /** Crashes the running instance; resolves with the row once it has `crash_count` n. */
  const crash = async (n: number) => {
    cell().crash(cell().instance('web', 0)!);
    const [row] = await waitFor((r) => r[0]?.crash_count === n && r[0].state !== 'RUNNING', `crash ${n}`);
    return row!;
  };
  /** Lets `ms` pass on the clock with the cell heartbeating, so it stays present. */
  const pass = async (ms: number, step = 1000) => {
    for (let left = ms; left > 0; left -= step) {
      h.cells.heartbeatAll();
      await h.clock.advance(Math.min(step, left));
    }
  };
  /** Runs the placed instance again (it was restarted). */
  const runAgain = async () => {
    await placed();
    cell().startAll();
    await waitFor((r) => r[0]?.state === 'RUNNING', 'RUNNING again');
  };

  afterEach(async () => {
    await h.stop();
  });

  it('follows the LRP\'s policy, not the node\'s: a 1 s wait after crash 1, and crash 2 of max_restarts 2 is final', async () => {
    h = startHarness(); // the node's settings: Diego's (3 immediate restarts, 30 s, 200)
    await desireRunning({ immediate_restarts: 0, backoff_ms: 1000, max_restarts: 2 });
    expect(await crash(1)).to.include({ state: 'CRASHED' });
    await pass(999, 333);
    expect(cell().instance('web', 0), 'not before 1 s').to.equal(undefined);
    await pass(2);
    await runAgain();
    expect(await crash(2)).to.include({ state: 'CRASHED' });
    await pass(3_600_000, 10_000); // an hour, convergence passes included
    expect((await rows())[0]).to.include({ state: 'CRASHED', crash_count: 2 });
    expect(cell().instance('web', 0)).to.equal(undefined);
  });

  it('max_restarts 0: the first crash leaves it CRASHED for good, though the node restarts 3 at once', async () => {
    h = startHarness();
    await desireRunning({ max_restarts: 0 });
    const row = await crash(1);
    expect(row).to.include({ state: 'CRASHED', crash_count: 1, instance_guid: '' });
    await pass(3_600_000, 10_000);
    expect((await rows())[0]).to.include({ state: 'CRASHED', crash_count: 1 });
    expect(cell().instance('web', 0)).to.equal(undefined);
  });

  it('a PATCH applies from the next crash', async () => {
    h = startHarness();
    await desireRunning();
    const patched = await h.control.updateLrp('web', { crash_policy: { max_restarts: 0 } });
    expect(patched.ok && patched.value.crash_policy).to.deep.equal({ max_restarts: 0 });
    // under the node's settings this crash would restart at once
    expect(await crash(1)).to.include({ state: 'CRASHED' });
    await pass(120_000, 10_000);
    expect(cell().instance('web', 0)).to.equal(undefined);
  });

  it('a PATCH re-times a CRASHED instance\'s wait from its crash: 60 s becomes 1 s', async () => {
    h = startHarness();
    await desireRunning({ immediate_restarts: 0, backoff_ms: 60_000 });
    await crash(1);
    await pass(500);
    expect((await h.control.updateLrp('web', { crash_policy: { immediate_restarts: 0, backoff_ms: 1000 } })).ok).to.equal(true);
    await pass(501);
    await runAgain();
    expect((await rows())[0]!.crash_count).to.equal(1);
  });

  it('a wait longer than a timer holds is armed in parts, never as a timer Node would fire at once', async () => {
    const clock = new RecordingClock();
    h = startHarness({}, { clock });
    await desireRunning({ immediate_restarts: 0, backoff_ms: MAX_TIMER_MS, max_backoff_ms: MAX_TIMER_MS });
    clock.delays.length = 0;
    await crash(1);
    await pass(100, 50);
    expect(clock.delays.filter((ms) => ms > MAX_TIMER_MS), 'delays Node would cut to 1 ms').to.deep.equal([]);
    expect(clock.delays).to.include(MAX_TIMER_MS);
    expect((await rows())[0]).to.include({ state: 'CRASHED', crash_count: 1 });
  });
});
