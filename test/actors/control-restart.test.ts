/**
 * What a control restart must not do (issue 12, findings 2 and 3): keep a row above `instances`
 * that a scale-down cut short by kill -9 left in its instance's journal, or judge a cell that the
 * journal knows before it had a fair chance to report to the restarted control node.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { applyDesiredLrpUpdate } from '../../src/models/desired-lrp.js';
import type { AuctorEvent } from '../../src/models/events.js';
import { lrpSupervisorKey } from '../../src/actors/lrp-supervisor.js';
import { controlSettings, firstPassGraceMs } from '../../src/actors/control-deps.js';
import { persistedEvent } from '../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { FAKE_ROOTFS, type FakeCell } from '../support/fake-cells.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

describe('control: restarts', () => {
  let h: Harness;
  const rowsOf = () => h.control.actualLrps({ process_guid: 'web' });
  const show = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.presence, r.state, r.cell_id, r.instance_guid]);
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) => eventuallyWhere(rowsOf, pred, show, what);
  const ofType = <T extends AuctorEvent['type']>(type: T) => h.events.filter((e): e is Extract<AuctorEvent, { type: T }> => e.type === type);

  afterEach(async () => {
    await h.stop();
  });

  describe('a scale-down cut short by kill -9 (finding 2a)', () => {
    it('after recovery the row above `instances` is removed, its instance stopped; scaling up again places a new one', async () => {
      const dir = tempDir('auctor-control-');
      const engine = LmdbPersistenceEngine.open(dir.path);
      try {
        h = startHarness({}, { engine });
        const cell = h.cells.add('cell-1');
        cell.heartbeat();
        await h.control.desireLrp(lrpJson('web', { instances: 2 }));
        await eventually(() => expect(cell.lrps.size).to.equal(2));
        cell.startAll();
        const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), '2 RUNNING');
        const desired = (await h.control.getLrp('web'))!;
        await h.stop();

        // PATCH {instances: 1} was acknowledged once the supervisor journaled it; the node died
        // before index 1's actor journaled its removal: its journal still holds the RUNNING row
        const key = lrpSupervisorKey('web', desired.modification_tag.epoch);
        const last = await engine.events(key).reduce((n, e) => Math.max(n, e.sequenceNumber), 0);
        const scaled = applyDesiredLrpUpdate(desired, { instances: 1 });
        await engine.persist(persistedEvent(key, last + 1, { type: 'desired', desired: scaled }));

        h = startHarness({}, { engine, cells: h.cells, clock: h.clock });
        cell.heartbeat();
        await eventually(() => expect(cell.stops.map((s) => s.instance_guid)).to.deep.equal([before[1]!.instance_guid]));
        await eventually(() => expect(ofType('actual_lrp_instance_removed').map((e) => [e.data.actual_lrp.index, e.data.actual_lrp.instance_guid])).to.deep.equal([[1, before[1]!.instance_guid]]));
        expect(show(await rowsOf())).to.deep.equal(show([before[0]!]));

        // the old row is gone for good: a scale-up makes a new one and places it
        await h.control.updateLrp('web', { instances: 2 });
        const rows = await waitFor((rows) => rows.length === 2 && rows[1]!.state === 'UNCLAIMED', 'a new UNCLAIMED row 1');
        await eventually(() => expect(cell.instance('web', 1)?.instance_guid).to.be.a('string'));
        expect(cell.instance('web', 1)!.instance_guid).to.not.equal(before[1]!.instance_guid);
        expect(rows[1]!.instance_guid).to.equal('');
      } finally {
        await h.stop();
        await engine.close();
        dir.remove();
      }
    });

    it('a restart after a completed scale-down does not touch the instances left', async () => {
      h = startHarness();
      const cell = h.cells.add('cell-1');
      cell.heartbeat();
      await h.control.desireLrp(lrpJson('web', { instances: 3 }));
      await eventually(() => expect(cell.lrps.size).to.equal(3));
      cell.startAll();
      await waitFor((rows) => rows.length === 3 && rows.every((r) => r.state === 'RUNNING'), '3 RUNNING');
      await h.control.updateLrp('web', { instances: 1 });
      const after = await waitFor((rows) => rows.length === 1, '1 row');
      const stops = cell.stops.length;
      h = await h.restart();
      cell.heartbeat();
      expect(show(await rowsOf())).to.deep.equal(show(after));
      expect(ofType('actual_lrp_instance_removed')).to.deep.equal([]);
      expect(cell.stops).to.have.length(stops);
    });
  });

  describe('a known cell that is slow to come back (finding 3)', () => {
    // the cluster tests' timings: a heartbeat every 200 ms, TTL 1.5 s, a pass every second
    const SETTINGS = { cellTtlMs: 1_500, convergenceIntervalMs: 1_000 };
    const grace = firstPassGraceMs(controlSettings(SETTINGS));

    /** web: one instance RUNNING on each of cell-1 and cell-2; then the control node restarts. */
    const runThenRestart = async () => {
      h = startHarness(SETTINGS);
      const one = h.cells.add('cell-1', {}, 'z1');
      const two = h.cells.add('cell-2', {}, 'z2');
      h.cells.heartbeatAll();
      await eventually(async () => expect(await h.control.cells()).to.have.length(2));
      await h.control.desireLrp(lrpJson('web', { instances: 2 }));
      await eventually(() => expect([one.lrps.size, two.lrps.size]).to.deep.equal([1, 1]));
      one.startAll();
      two.startAll();
      const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), '2 RUNNING');
      h = await h.restart();
      return { one, two, before };
    };
    /** Advances the clock to `until` ms after the restart in 200 ms steps, the given cells heartbeating at each. */
    let elapsed = 0;
    const liveUntil = async (until: number, ...cells: FakeCell[]) => {
      for (; elapsed < until; elapsed += 200) {
        cells.forEach((c) => c.heartbeat());
        await h.clock.advance(200);
      }
    };
    beforeEach(() => {
      elapsed = 0;
    });

    it('the grace covers a TTL and the longest remoting reconnect, twice the cap with jitter (figures in docs/053)', () => {
      expect(grace).to.equal(1_500 + 4_800);
    });

    it('a cell whose first heartbeat comes after two TTLs but within the grace: no SUSPECT, nothing replaced or stopped', async () => {
      const { one, two, before } = await runThenRestart();
      const performs = one.performs.length + two.performs.length;
      await liveUntil(2 * SETTINGS.cellTtlMs + 1_000, one);
      await liveUntil(grace + 3_000, one, two);
      const rows = await rowsOf();
      expect(show(rows)).to.deep.equal(show(before));
      expect(h.cells.allStops()).to.deep.equal([]);
      expect(one.performs.length + two.performs.length, 'no new placement').to.equal(performs);
      expect(h.events.filter((e) => e.type.startsWith('actual_lrp'))).to.deep.equal([]);
    });

    it('a cell seen once that vanishes during the grace is judged at once, without the slow one', async () => {
      const { one, two, before } = await runThenRestart();
      one.heartbeat();
      // cell-1 disappears 1.5 s later, and cell-2 has not spoken yet
      await liveUntil(2 * SETTINGS.cellTtlMs);
      const rows = await waitFor((rows) => rows.some((r) => r.presence === 'SUSPECT'), 'cell-1 judged');
      expect(rows.filter((r) => r.presence === 'SUSPECT').map((r) => r.cell_id)).to.deep.equal(['cell-1']);
      const onTwo = before.find((r) => r.cell_id === 'cell-2')!;
      expect(rows.filter((r) => r.cell_id === 'cell-2').map((r) => [r.presence, r.state, r.instance_guid])).to.deep.equal([['ORDINARY', 'RUNNING', onTwo.instance_guid]]);
      await liveUntil(grace + 2_000, two);
      expect((await rowsOf()).filter((r) => r.cell_id === 'cell-2').map((r) => [r.presence, r.state, r.instance_guid])).to.deep.equal([['ORDINARY', 'RUNNING', onTwo.instance_guid]]);
      expect(two.stops).to.deep.equal([]);
    });

    it('a RUNNING task on a cell slow to come back is not failed, not even by the pass of another cell lost meanwhile', async () => {
      h = startHarness(SETTINGS);
      const one = h.cells.add('cell-1');
      one.heartbeat();
      await eventually(async () => expect(await h.control.cells()).to.have.length(1));
      await h.control.desireTask({ task_guid: 'job', domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 64, disk_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } });
      await eventually(() => expect([...one.tasks.keys()]).to.deep.equal(['job']));
      one.startTask('job');
      await eventually(async () => expect((await h.control.getTask('job'))?.state).to.equal('RUNNING'));
      h = await h.restart();
      // another cell heartbeats once and vanishes: that pass, during the grace, spares cell-1
      h.cells.add('cell-0').heartbeat();
      await liveUntil(2 * SETTINGS.cellTtlMs + 1_000);
      expect(h.events.filter((e) => e.type === 'cell_disappeared')).to.have.length(1);
      await liveUntil(grace + 2_000, one);
      const job = await h.control.getTask('job');
      expect([job?.state, job?.failed, job?.cell_id]).to.deep.equal(['RUNNING', false, 'cell-1']);
      expect(one.cancels).to.deep.equal([]);
    });

    it('a known cell that never comes back is still handled once the grace is over: SUSPECT, and replaced', async () => {
      const { one } = await runThenRestart();
      await liveUntil(grace - 200, one);
      expect((await rowsOf()).every((r) => r.presence === 'ORDINARY')).to.equal(true);
      await liveUntil(grace + 1_000, one);
      const rows = await waitFor((rows) => rows.some((r) => r.presence === 'SUSPECT'), 'cell-2 judged');
      expect(rows.filter((r) => r.presence === 'SUSPECT').map((r) => r.cell_id)).to.deep.equal(['cell-2']);
      await eventually(() => expect(one.lrps.size, 'the replacement placed on cell-1').to.equal(2));
    });
  });
});
