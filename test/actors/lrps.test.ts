import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { tempDir } from '../support/temp-dir.js';
import { lrpJson, startHarness, types, type Harness } from './control-harness.js';

describe('control: LRPs', () => {
  let h: Harness;

  const setup = (n = 2, capacity = {}) => {
    for (let i = 1; i <= n; i++) h.cells.add(`cell-${i}`, capacity);
    h.cells.heartbeatAll();
  };
  const actuals = () => h.control.actualLrps({ process_guid: 'web' });
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(actuals, pred, (rows) => rows.map((r) => [r.index, r.state, r.instance_guid, r.placement_error]), what);
  const placed = (n: number) => eventually(() => expect(h.cells.allInstances()).to.have.length(n));
  const startAll = () => h.cells.cells.forEach((c) => c.startAll());
  const running = (n: number) => waitFor((rows) => rows.length === n && rows.every((r) => r.state === 'RUNNING'), `${n} RUNNING`);

  beforeEach(() => {
    h = startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('desires 3 instances: UNCLAIMED, auctioned onto the cells, claimed, RUNNING with address and ports', async () => {
    setup(2);
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    const result = await h.control.desireLrp(lrpJson('web'));
    expect(result.ok).to.equal(true);
    await placed(3);
    const rows = await actuals();
    expect(rows.map((r) => r.index)).to.deep.equal([0, 1, 2]);
    expect(new Set(h.cells.allInstances().map((w) => w.instance_guid)).size).to.equal(3);
    const perCell = [...h.cells.cells.values()].map((c) => c.lrps.size).sort();
    expect(perCell, 'spread across both cells').to.deep.equal([1, 2]);

    startAll();
    const up = await running(3);
    for (const r of up) {
      const cell = h.cells.cellOf(r.instance_guid)!;
      expect(r.cell_id).to.equal(cell.cellId);
      expect(r.address).to.match(/^10\.0\.0\./);
      expect(r.ports).to.deep.equal([{ container_port: 8080, host_port: 61000 + r.index }]);
    }
    const lrpEvents = h.events.filter((e) => e.type !== 'cell_appeared');
    expect(types(lrpEvents).slice(0, 4)).to.deep.equal(['desired_lrp_created', 'actual_lrp_instance_created', 'actual_lrp_instance_created', 'actual_lrp_instance_created']);
    const changes = lrpEvents.filter((e) => e.type === 'actual_lrp_instance_changed').map((e) => e.type === 'actual_lrp_instance_changed' && [e.data.after.index, e.data.before.state, e.data.after.state]);
    for (const i of [0, 1, 2]) {
      expect(changes.filter((c) => c && c[0] === i).map((c) => c && `${c[1]}>${c[2]}`)).to.deep.equal(['UNCLAIMED>CLAIMED', 'CLAIMED>RUNNING']);
    }
    expect(types(h.events).filter((t) => t === 'cell_appeared')).to.have.length(2);
  });

  it('crash policy: crashes 1 and 2 restart at once with new instance guids, crash 3 waits 30 s', async () => {
    setup(1);
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await placed(1);
    startAll();
    await running(1);
    const cell = h.cells.get('cell-1');
    const guids: string[] = [];
    for (const n of [1, 2]) {
      const w = cell.instance('web', 0)!;
      guids.push(w.instance_guid);
      cell.crash(w);
      await eventually(() => expect(cell.instance('web', 0)?.instance_guid ?? w.instance_guid).to.not.equal(w.instance_guid));
      const [row] = await waitFor((rows) => rows[0]!.crash_count === n && rows[0]!.state === 'UNCLAIMED', `crash ${n}`);
      expect(row!.crash_reason).to.equal('exited with status 1');
      cell.startAll();
      await running(1);
    }
    const w = cell.instance('web', 0)!;
    guids.push(w.instance_guid);
    expect(new Set(guids).size, 'a new instance guid per placement').to.equal(3);
    cell.crash(w);
    await waitFor((rows) => rows[0]!.state === 'CRASHED' && rows[0]!.crash_count === 3, 'crash 3 → CRASHED');
    expect(h.cells.allInstances()).to.have.length(0);
    await h.clock.advance(29_000);
    expect((await actuals())[0]!.state).to.equal('CRASHED');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    await h.clock.advance(1_100);
    await placed(1);
    expect(cell.instance('web', 0)!.instance_guid).to.not.be.oneOf(guids);
    cell.startAll();
    const [row] = await running(1);
    expect(row!.crash_count).to.equal(3);
    expect(types(h.events).filter((t) => t === 'actual_lrp_crashed')).to.have.length(3);
  });

  it('scales 3 → 1 → 2, stopping the instances above the new count', async () => {
    setup(2);
    await h.control.desireLrp(lrpJson('web'));
    await placed(3);
    startAll();
    await running(3);
    const before = await actuals();
    const scaledDown = await h.control.updateLrp('web', { instances: 1 });
    expect(scaledDown.ok && scaledDown.value.instances).to.equal(1);
    expect(scaledDown.ok && scaledDown.value.modification_tag.index).to.equal(1);
    const rows = await running(1);
    expect(rows[0]!.instance_guid).to.equal(before[0]!.instance_guid);
    const stopped = h.cells.allStops().map((s) => s.instance_guid).sort();
    expect(stopped).to.deep.equal([before[1]!.instance_guid, before[2]!.instance_guid].sort());
    expect(types(h.events).filter((t) => t === 'actual_lrp_instance_removed')).to.have.length(2);

    await h.control.updateLrp('web', { instances: 2 });
    await placed(2);
    startAll();
    const two = await running(2);
    expect(two.map((r) => r.index)).to.deep.equal([0, 1]);
    expect(two[1]!.instance_guid).to.not.equal(before[1]!.instance_guid);
    expect((await h.control.getLrp('web'))!.modification_tag.index).to.equal(2);
  });

  it('delete stops every instance and forgets the LRP', async () => {
    setup(2);
    await h.control.desireLrp(lrpJson('web'));
    await placed(3);
    startAll();
    const rows = await running(3);
    const removed = await h.control.removeLrp('web');
    expect(removed.ok).to.equal(true);
    expect(h.cells.allStops().map((s) => s.instance_guid).sort()).to.deep.equal(rows.map((r) => r.instance_guid).sort());
    expect(await h.control.getLrp('web')).to.equal(undefined);
    expect(await h.control.actualLrps()).to.deep.equal([]);
    expect(await h.control.lrps()).to.deep.equal([]);
    expect(types(h.events).filter((t) => t === 'desired_lrp_removed')).to.have.length(1);
    expect(types(h.events).filter((t) => t === 'actual_lrp_instance_removed')).to.have.length(3);
    const again = await h.control.removeLrp('web');
    expect(!again.ok && again.error.code).to.equal('ResourceNotFound');
    // the same guid can be desired again afresh
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1 }))).ok).to.equal(true);
    await placed(1);
  });

  it('an LRP no cell can fit stays UNCLAIMED with placement_error insufficient resources: memory', async () => {
    setup(2, { memory_mb: 512 });
    await h.control.desireLrp(lrpJson('web', { instances: 1, memory_mb: 1024 }));
    const [row] = await waitFor((rows) => rows.length === 1 && rows[0]!.placement_error !== '', 'placement error');
    expect(row!.state).to.equal('UNCLAIMED');
    expect(row!.placement_error).to.match(/^insufficient resources: memory/);
    expect(h.cells.allInstances()).to.have.length(0);
  });

  it('a bad DesiredLRP is refused with the field named and changes nothing', async () => {
    setup(1);
    const result = await h.control.desireLrp(lrpJson('web', { instances: -1 }));
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.error.code).to.equal('InvalidRequest');
    expect(!result.ok && result.error.message).to.contain('instances');
    expect(await h.control.lrps()).to.deep.equal([]);
    expect(types(h.events).filter((t) => t !== 'cell_appeared')).to.deep.equal([]);
    const bad = await h.control.updateLrp('web', { instances: 2 });
    expect(!bad.ok && bad.error.code).to.equal('ResourceNotFound');
  });

  it('a report for an instance nobody desires makes its cell stop it', async () => {
    setup(1);
    const cell = h.cells.get('cell-1');
    h.control.report({ type: 'cell-report/lrp-running', cell_id: 'cell-1', process_guid: 'ghost', index: 0, instance_guid: 'ghost-0', address: '10.0.0.1', ports: [] });
    await eventually(() => expect(cell.stops).to.deep.equal([{ process_guid: 'ghost', index: 0, instance_guid: 'ghost-0' }]));
  });

  it('an actor of the subtree that fails is restarted from its journal: nothing healthy is touched', async () => {
    setup(1);
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await placed(2);
    startAll();
    const before = await running(2);
    for (const path of ['/control/lrps/web/0', '/control/lrps/web', '/control/lrps', '/control']) {
      const ref = h.system.lookup(path);
      expect(ref, path).to.not.equal(undefined);
      h.system.dispatch(ref as never, { type: 'bogus/message' } as never);
      await eventually(() => expect(h.system.registry.get(path)?.restarts, path).to.equal(1));
      expect(await running(2), `after ${path} restarted`).to.deep.equal(before);
    }
    expect(h.cells.allStops()).to.deep.equal([]);
    // a restarted control has a new (empty) cell registry until the cells' next heartbeat
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    // the restarted instance still knows its DesiredLRP: a crash is placed again
    const cell = h.cells.get('cell-1');
    cell.crash(cell.instance('web', 0)!);
    await placed(2);
    cell.startAll();
    const [row] = await running(2);
    expect(row!.crash_count).to.equal(1);
  });

  it('a restart on the same engine brings every DesiredLRP and ActualLRP back, healthy ones untouched', async () => {
    setup(2);
    await h.control.desireLrp(lrpJson('web'));
    await h.control.desireLrp(lrpJson('worker', { instances: 1, memory_mb: 100000 }));
    await placed(3);
    startAll();
    const before = await running(3);
    const performs = [...h.cells.cells.values()].reduce((n, c) => n + c.performs.length, 0);
    h = await h.restart();
    h.cells.heartbeatAll();
    expect((await h.control.lrps()).map((d) => d.process_guid)).to.deep.equal(['web', 'worker']);
    const after = await running(3);
    expect(after).to.deep.equal(before);
    const [worker] = await eventually(async () => {
      const rows = await h.control.actualLrps({ process_guid: 'worker' });
      expect(rows[0]?.placement_error).to.match(/^insufficient resources/);
      return rows;
    });
    expect(worker!.state).to.equal('UNCLAIMED');
    expect(h.cells.allStops()).to.deep.equal([]);
    const performsAfter = [...h.cells.cells.values()].reduce((n, c) => n + c.performs.length, 0);
    expect(performsAfter, 'nothing healthy was placed again').to.equal(performs);
  });

  it('after a restart mid-placement the first instance to claim the row wins, the other is stopped', async () => {
    setup(1);
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await placed(1);
    const [first] = h.cells.allInstances();
    h = await h.restart();
    h.cells.heartbeatAll();
    await placed(2);
    const cell = h.cells.get('cell-1');
    const second = h.cells.allInstances().find((w) => w.instance_guid !== first!.instance_guid)!;
    cell.claim(first!);
    cell.run(first!);
    const [row] = await running(1);
    expect(row!.instance_guid).to.equal(first!.instance_guid);
    cell.claim(second);
    await eventually(() => expect(cell.stops.map((s) => s.instance_guid)).to.deep.equal([second.instance_guid]));
    expect((await actuals())[0]).to.deep.equal(row);
  });

  it('a crash-looping instance is snapshotted and recovered with its backoff timer armed', async () => {
    await h.stop();
    h = startHarness({ restart: { immediateRestarts: 0, backoffMs: 10, maxBackoffMs: 10, maxRestarts: 1000, crashResetMs: 300_000 } });
    setup(1);
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    const cell = h.cells.get('cell-1');
    // 4 events a cycle (claimed, running, crashed, unclaimed): past the 50-event snapshot with a CRASHED row
    for (let n = 1; n <= 14; n++) {
      await placed(1);
      cell.startAll();
      await running(1);
      cell.crash(cell.instance('web', 0)!);
      await waitFor((rows) => rows[0]!.state === 'CRASHED' && rows[0]!.crash_count === n, `crash ${n}`);
      if (n < 14) await h.clock.advance(11);
    }
    const before = await actuals();
    const epoch = (await h.control.getLrp('web'))!.modification_tag.epoch;
    expect(await h.engine.latestSnapshot(`actual-lrp/web/${epoch}/0`), 'snapshot taken').to.not.equal(undefined);
    h = await h.restart();
    h.cells.heartbeatAll();
    expect(await actuals()).to.deep.equal(before);
    await h.clock.advance(11);
    await placed(1);
    h.cells.get('cell-1').startAll();
    const [row] = await running(1);
    expect(row!.crash_count).to.equal(14);
  });

  it('recovers from LMDB too: DesiredLRPs, RUNNING and CRASHED instances, and the crash backoff timer', async () => {
    await h.stop();
    const dir = tempDir('auctor-control-');
    const engine = LmdbPersistenceEngine.open(dir.path);
    try {
      h = startHarness({}, { engine });
      setup(1);
      await h.control.desireLrp(lrpJson('web', { instances: 2, routes: { 'cf-router': [{ hostnames: ['web.example'], port: 8080 }] } }));
      await placed(2);
      startAll();
      await running(2);
      const cell = h.cells.get('cell-1');
      for (let n = 1; n <= 3; n++) {
        cell.crash(cell.instance('web', 1)!);
        if (n < 3) {
          await waitFor((rows) => rows[1]!.crash_count === n, `crash ${n}`);
          await placed(2);
          cell.startAll();
          await running(2);
        }
      }
      const before = await waitFor((rows) => rows[1]!.state === 'CRASHED', 'CRASHED');
      h = await h.restart();
      h.cells.heartbeatAll();
      expect(await actuals()).to.deep.equal(before);
      expect((await h.control.getLrp('web'))!.routes).to.deep.equal({ 'cf-router': [{ hostnames: ['web.example'], port: 8080 }] });
      await h.clock.advance(29_000);
      h.cells.heartbeatAll();
      await h.clock.advance(1_100);
      await placed(2);
      cell.startAll();
      const rows = await running(2);
      expect(rows[0]).to.deep.equal(before[0]);
      expect(rows[1]!.crash_count).to.equal(3);
    } finally {
      await h.stop();
      await engine.close();
      dir.remove();
      h = startHarness();
    }
  });
});
