import { expect } from 'chai';
import { claimActualLrp, startActualLrp, unclaimActualLrp, type ActualLRP } from '../../src/models/actual-lrp.js';
import { crashEvents } from '../../src/models/events.js';
import {
  DEFAULT_RESTART_SETTINGS, RESTART_SETTING_FLAGS, applyCrash, crashCountAfterCrash, nextRestartAt, restartBackoffMs,
  restartSettings, shouldRestartCrashed, shouldRestartImmediately, type CrashOutcome, type RestartSettings,
} from '../../src/models/restart-policy.js';
import { MIN, MS, SEC, T0, buildActualLrp, messageOf } from './builders.js';

const NET = { address: '10.0.0.2', ports: [{ container_port: 8080, host_port: 61001 }] };

/** DIEGO.md 3.2's table: state after crash n and the wait (s) before the next start; undefined = never. */
function diegoTimeline(n: number): [string, number | undefined] {
  if (n <= 2) return ['UNCLAIMED', 0];
  if (n >= 200) return ['CRASHED', undefined];
  const waits: Record<number, number> = { 3: 30, 4: 60, 5: 120, 6: 240, 7: 480 };
  return ['CRASHED', waits[n] ?? 960];
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) throw result.error;
  return result.value;
}

describe('restart policy', () => {
  it('has Diego’s defaults and names their flags', () => {
    expect(DEFAULT_RESTART_SETTINGS).to.deep.equal({ immediateRestarts: 3, backoffMs: 30000, maxBackoffMs: 960000, maxRestarts: 200, crashResetMs: 300000 });
    expect(RESTART_SETTING_FLAGS).to.deep.equal({
      immediateRestarts: '--immediate-restarts', backoffMs: '--crash-backoff-ms', maxBackoffMs: '--crash-backoff-max-ms',
      maxRestarts: '--max-restarts', crashResetMs: '--crash-reset-ms',
    });
  });

  it('reproduces DIEGO.md 3.2’s timeline for an app that crashes 1 s after each start, crashes 1 to 200', () => {
    // A real crash loop through the model: start → crash after 1 s → (wait out the backoff) → unclaim → claim → start.
    let now = T0;
    let actual: ActualLRP = buildActualLrp({ state: 'RUNNING', since: now });
    const seen: string[] = [];
    const expected: string[] = [];
    for (let n = 1; n <= 200; n++) {
      now += SEC;
      const crash = unwrap(applyCrash(actual, `APP/PROC/WEB: Exited with status ${n}`, now));
      expect(crash.outcome).to.not.equal('remove');
      const restartAt = crash.outcome === 'crashed' ? crash.restartAt : now;
      const wait = restartAt === undefined ? undefined : (restartAt - now) / SEC;
      seen.push(`${n}:${crash.actual.crash_count}:${crash.actual.state}:${wait}`);
      const [state, waitS] = diegoTimeline(n);
      expected.push(`${n}:${n}:${state}:${waitS}`);
      if (restartAt === undefined) {
        expect(shouldRestartCrashed(crash.actual, now + 365 * 24 * 60 * MIN)).to.equal(false);
        continue;
      }
      let row = crash.actual;
      if (crash.outcome === 'crashed') {
        expect(shouldRestartCrashed(row, restartAt - 1), `crash ${n} due too early`).to.equal(false);
        expect(shouldRestartCrashed(row, restartAt), `crash ${n} not due on time`).to.equal(true);
        now = restartAt;
        row = unwrap(unclaimActualLrp(row, now));
      }
      const key = { instance_guid: `ig-${n}`, cell_id: 'cell-1' };
      row = unwrap(claimActualLrp(row, key, now));
      actual = unwrap(startActualLrp(row, key, NET, now));
    }
    expect(seen).to.deep.equal(expected);
  });

  it('never restarts at crash_count 200 and beyond', () => {
    for (const count of [200, 201, 250, 1000]) {
      const crashed = buildActualLrp({ state: 'CRASHED', crash_count: count, since: T0 });
      expect([nextRestartAt(count, T0), shouldRestartCrashed(crashed, T0 + 1000 * MIN)]).to.deep.equal([undefined, false]);
    }
    const crash = unwrap(applyCrash(buildActualLrp({ state: 'CLAIMED', crash_count: 200 }), 'x', T0 + SEC));
    expect(crash.outcome === 'crashed' && [crash.actual.crash_count, crash.restartAt]).to.deep.equal([201, undefined]);
  });

  it('restartBackoffMs and nextRestartAt give the same table', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 100, 199, 200, 500].map((n) => restartBackoffMs(n));
    expect(waits).to.deep.equal([0, 0, 30000, 60000, 120000, 240000, 480000, 960000, 960000, 960000, undefined, undefined]);
    expect(nextRestartAt(3, T0)).to.equal(T0 + 30 * SEC);
    expect(nextRestartAt(1, T0)).to.equal(T0);
    expect(nextRestartAt(200, T0)).to.equal(undefined);
    expect([0, 1, 2, 3].map((n) => shouldRestartImmediately(n))).to.deep.equal([true, true, true, false]);
  });

  describe('the 5-minute reset', () => {
    const table: [string, ActualLRP['state'], number, number][] = [
      ['RUNNING exactly 5 min', 'RUNNING', 5 * MIN, 6],
      ['RUNNING 5 min + 1 ns', 'RUNNING', 5 * MIN + 1, 1],
      ['RUNNING an hour', 'RUNNING', 60 * MIN, 1],
      ['RUNNING 1 s', 'RUNNING', SEC, 6],
      ['CLAIMED an hour (never healthy)', 'CLAIMED', 60 * MIN, 6],
    ];
    for (const [name, state, ran, count] of table) {
      it(`${name} with crash_count 5: next crash count ${count}`, () => {
        const actual = buildActualLrp({ state, crash_count: 5, since: T0 });
        expect(crashCountAfterCrash(actual, T0 + ran)).to.equal(count);
        const crash = unwrap(applyCrash(actual, 'boom', T0 + ran));
        expect([crash.actual.crash_count, crash.actual.state]).to.deep.equal([count, count < 3 ? 'UNCLAIMED' : 'CRASHED']);
      });
    }
    it('honours --crash-reset-ms', () => {
      const actual = buildActualLrp({ state: 'RUNNING', crash_count: 5, since: T0 });
      expect(crashCountAfterCrash(actual, T0 + 1001 * MS, restartSettings({ crashResetMs: 1000 }))).to.equal(1);
      expect(crashCountAfterCrash(actual, T0 + 1000 * MS, restartSettings({ crashResetMs: 1000 }))).to.equal(6);
    });
  });

  it('every setting is overridable', () => {
    const fast = restartSettings({ immediateRestarts: 1, backoffMs: 1000, maxBackoffMs: 4000, maxRestarts: 6 });
    expect([1, 2, 3, 4, 5, 6].map((n) => restartBackoffMs(n, fast))).to.deep.equal([1000, 2000, 4000, 4000, 4000, undefined]);
    expect(restartBackoffMs(0, fast)).to.equal(0);
    // a cap that is not a power-of-two multiple still caps
    expect([3, 4, 5].map((n) => restartBackoffMs(n, restartSettings({ backoffMs: 1000, maxBackoffMs: 3000 })))).to.deep.equal([1000, 2000, 3000]);
    const crash = unwrap(applyCrash(buildActualLrp({ state: 'RUNNING' }), 'x', T0 + SEC, fast));
    expect(crash.outcome === 'crashed' && [crash.actual.state, crash.restartAt]).to.deep.equal(['CRASHED', T0 + 2 * SEC]);
  });

  describe('max_restarts comes before the immediate restarts', () => {
    /** What crashes 1..5 of an app that crashes at once do: `now` (immediate), the wait in s, or `never`. */
    function timeline(settings: RestartSettings): string[] {
      let actual = buildActualLrp({ state: 'CLAIMED', since: T0 });
      const seen: string[] = [];
      for (let n = 1; n <= 5; n++) {
        const crash = unwrap(applyCrash(actual, 'exit', T0 + n * SEC, settings));
        if (crash.outcome === 'remove') throw new Error('an ORDINARY row is never removed');
        const restartAt = crash.outcome === 'crashed' ? crash.restartAt : crash.actual.since;
        seen.push(crash.outcome === 'restart' ? 'now' : restartAt === undefined ? 'never' : `${(restartAt - crash.actual.since) / SEC}s`);
        if (restartAt === undefined) break;
        // placed again: the next crash comes from CLAIMED
        const row = crash.outcome === 'crashed' ? unwrap(unclaimActualLrp(crash.actual, restartAt)) : crash.actual;
        actual = unwrap(claimActualLrp(row, { instance_guid: `ig-${n}`, cell_id: 'cell-1' }, row.since));
      }
      return seen;
    }
    const table: [string, Partial<RestartSettings>, string[]][] = [
      ['max 0: the first crash is final', { maxRestarts: 0 }, ['never']],
      ['max 1: the first crash is final', { maxRestarts: 1 }, ['never']],
      ['max 2 below 3 immediate: one immediate restart, then never', { maxRestarts: 2 }, ['now', 'never']],
      ['max 3, 3 immediate: two immediate restarts, then never', { maxRestarts: 3 }, ['now', 'now', 'never']],
      ['max 5, 3 immediate, 1 s doubling: Diego’s shape', { maxRestarts: 5, backoffMs: 1000 }, ['now', 'now', '1s', '2s', 'never']],
      ['max 3, 2 immediate, 1 s: the end-to-end test’s policy', { immediateRestarts: 2, maxRestarts: 3, backoffMs: 1000 }, ['now', '1s', 'never']],
      ['max 0, no immediate restarts', { immediateRestarts: 0, maxRestarts: 0 }, ['never']],
    ];
    for (const [name, overrides, expected] of table) {
      it(name, () => {
        const settings = restartSettings(overrides);
        expect(timeline(settings)).to.deep.equal(expected);
        const never = expected.length;
        expect(restartBackoffMs(never, settings), `crash ${never}`).to.equal(undefined);
        expect(shouldRestartImmediately(never, settings)).to.equal(false);
        expect(shouldRestartCrashed(buildActualLrp({ state: 'CRASHED', crash_count: never, since: T0 }), T0 + 1000 * MIN, settings)).to.equal(false);
      });
    }

    it('backoffMs is the first wait, also with no immediate restarts', () => {
      expect([1, 2, 3, 4].map((n) => restartBackoffMs(n, restartSettings({ immediateRestarts: 0, backoffMs: 1000, maxBackoffMs: 10_000 })))).to.deep.equal([1000, 2000, 4000, 8000]);
      expect([1, 2, 3].map((n) => restartBackoffMs(n, restartSettings({ immediateRestarts: 1, backoffMs: 1000, maxBackoffMs: 10_000 })))).to.deep.equal([1000, 2000, 4000]);
    });

    it('a zero backoff stays 0 (not NaN) at any crash count, and a cap stays the cap', () => {
      const zero = restartSettings({ immediateRestarts: 0, backoffMs: 0, maxRestarts: 10_000 });
      expect([1, 1100, 9999].map((n) => restartBackoffMs(n, zero))).to.deep.equal([0, 0, 0]);
      const capped = restartSettings({ immediateRestarts: 0, backoffMs: 1, maxBackoffMs: 2 ** 31 - 1, maxRestarts: 10_000 });
      expect(restartBackoffMs(9999, capped)).to.equal(2 ** 31 - 1);
    });
  });

  describe('applyCrash', () => {
    const running = buildActualLrp({ state: 'RUNNING', crash_count: 0, since: T0, routable: true, instance_address: '172.16.0.2', modification_tag: { epoch: 'e', index: 3 } });

    it('an immediate restart: UNCLAIMED, placement and net info cleared, auction now', () => {
      const crash = unwrap(applyCrash(running, 'Exited with status 1', T0 + SEC));
      expect(crash.outcome).to.equal('restart');
      expect(crash.auctionNow).to.equal(true);
      expect(crash.actual).to.deep.equal({
        ...buildActualLrp({ state: 'UNCLAIMED' }),
        crash_count: 1, crash_reason: 'Exited with status 1', since: T0 + SEC, modification_tag: { epoch: 'e', index: 4 },
      });
    });

    it('a backoff: CRASHED, not auctioned, restartAt given', () => {
      const crash = unwrap(applyCrash({ ...running, crash_count: 2 }, 'again', T0 + SEC));
      expect(crash.outcome === 'crashed' && [crash.actual.state, crash.auctionNow, crash.restartAt, crash.actual.cell_id, crash.actual.address])
        .to.deep.equal(['CRASHED', false, T0 + 31 * SEC, '', '']);
    });

    it('cuts crash_reason to 1024 bytes', () => {
      const crash = unwrap(applyCrash(running, 'r'.repeat(1024) + 'tail', T0 + SEC));
      expect(crash.actual.crash_reason).to.equal('r'.repeat(1024));
    });

    const refusals: [string, ActualLRP, { instance_guid: string; cell_id: string } | undefined, string][] = [
      ['UNCLAIMED', buildActualLrp({ state: 'UNCLAIMED' }), undefined, 'cannot transition actual lrp from UNCLAIMED to CRASHED'],
      ['CRASHED', buildActualLrp({ state: 'CRASHED', crash_count: 3 }), undefined, 'cannot transition actual lrp from CRASHED to CRASHED'],
      ['RUNNING reported by another instance', running, { instance_guid: 'ig-9', cell_id: 'cell-1' }, 'cannot transition actual lrp from RUNNING to CRASHED: instance key differs'],
      ['CLAIMED reported from another cell', buildActualLrp({ state: 'CLAIMED' }), { instance_guid: 'ig-1', cell_id: 'cell-9' }, 'cannot transition actual lrp from CLAIMED to CRASHED: instance key differs'],
    ];
    for (const [name, actual, key, message] of refusals) {
      it(`refuses ${name}: ${message}`, () => {
        expect(messageOf(applyCrash(actual, 'x', T0 + SEC, DEFAULT_RESTART_SETTINGS, key))).to.equal(message);
      });
    }

    it('a crashed SUSPECT or EVACUATING copy is removed', () => {
      for (const presence of ['SUSPECT', 'EVACUATING'] as const) {
        const crash = unwrap(applyCrash({ ...running, presence }, 'x', T0 + SEC));
        expect([crash.outcome, crash.auctionNow, crash.actual]).to.deep.equal(['remove', false, { ...running, presence }]);
      }
    });

    it('emits actual_lrp_crashed (with the old placement) before the change', () => {
      const crash: CrashOutcome = unwrap(applyCrash(running, 'boom', T0 + SEC));
      const events = crashEvents(running, crash);
      expect(events.map((e) => e.type)).to.deep.equal(['actual_lrp_crashed', 'actual_lrp_instance_changed']);
      expect(events[0]!.data).to.deep.equal({ process_guid: 'web', index: 0, instance_guid: 'ig-1', cell_id: 'cell-1', crash_count: 1, crash_reason: 'boom', since: T0 + SEC });
      expect(crashEvents(running, { outcome: 'remove', actual: running, auctionNow: false }).map((e) => e.type)).to.deep.equal(['actual_lrp_instance_removed']);
    });
  });
});
