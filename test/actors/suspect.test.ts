import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { AuctorEvent } from '../../src/models/events.js';
import { LrpsMsg } from '../../src/actors/lrps.protocol.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { tempDir } from '../support/temp-dir.js';
import type { FakeCell } from '../support/fake-cells.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

describe('control: missing cells (SUSPECT) and evacuation', () => {
  let h: Harness;

  const rowsOf = () => h.control.actualLrps({ process_guid: 'web' });
  const show = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.presence, r.state, r.cell_id, r.instance_guid]);
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) => eventuallyWhere(rowsOf, pred, show, what);
  const shape = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.presence, r.state, r.cell_id]);
  /** Advances the clock by `ms` in 2 s steps, the given cells heartbeating before each step. */
  const live = async (ms: number, ...cells: FakeCell[]) => {
    for (let t = 0; t < ms; t += 2_000) {
      cells.forEach((c) => c.heartbeat());
      await h.clock.advance(Math.min(2_000, ms - t));
    }
  };
  const ofType = <T extends AuctorEvent['type']>(type: T) => h.events.filter((e): e is Extract<AuctorEvent, { type: T }> => e.type === type);
  const asSuspect = (r: ActualLRP): ActualLRP => ({ ...r, presence: 'SUSPECT', modification_tag: { ...r.modification_tag, index: r.modification_tag.index + 1 } });

  beforeEach(() => {
    h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 30_000 });
  });
  afterEach(async () => {
    await h.stop();
  });

  /** web: 2 instances RUNNING on cell-1; then only cell-2 heartbeats until cell-1 is lost. */
  const loseCellOne = async () => {
    const one = h.cells.add('cell-1');
    one.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await eventually(() => expect(one.lrps.size).to.equal(2));
    one.startAll();
    const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), 'RUNNING on cell-1');
    const two = h.cells.add('cell-2');
    await live(12_000, two);
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['cell-2']));
    const rows = await waitFor((rows) => rows.length === 4 && rows.filter((r) => r.presence === 'SUSPECT').length === 2, 'SUSPECT + replacement');
    expect(shape(rows)).to.deep.equal([
      [0, 'ORDINARY', 'UNCLAIMED', ''], [0, 'SUSPECT', 'RUNNING', 'cell-1'],
      [1, 'ORDINARY', 'UNCLAIMED', ''], [1, 'SUSPECT', 'RUNNING', 'cell-1'],
    ]);
    expect([rows[1], rows[3]]).to.deep.equal(before.map(asSuspect));
    await eventually(() => expect(two.lrps.size, 'replacements placed on cell-2').to.equal(2));
    return { one, two, before };
  };

  it('a lost cell\'s RUNNING instances become SUSPECT while replacements start elsewhere; a RUNNING replacement removes its suspect; the returning cell is told to stop them', async () => {
    const { one, two, before } = await loseCellOne();
    const suspected = ofType('actual_lrp_instance_changed').filter((e) => e.data.after.presence === 'SUSPECT');
    expect(suspected.map((e) => [e.data.before.presence, e.data.after.instance_guid])).to.deep.equal(before.map((r) => ['ORDINARY', r.instance_guid]));
    expect(ofType('actual_lrp_instance_created')).to.have.length(4);
    expect(h.cells.allStops(), 'nothing stopped while the suspects serve').to.deep.equal([]);

    two.startAll();
    const after = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.state === 'RUNNING' && r.cell_id === 'cell-2'), 'replacements RUNNING, suspects gone');
    expect(after.map((r) => r.crash_count)).to.deep.equal([0, 0]);
    expect(ofType('actual_lrp_instance_removed').map((e) => [e.data.actual_lrp.presence, e.data.actual_lrp.instance_guid])).to.deep.equal(before.map((r) => ['SUSPECT', r.instance_guid]));
    expect(one.stops).to.deep.equal([]);

    // cell-1 comes back with its old containers: no row accounts for them, so they are stopped
    one.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    h.control.report({
      type: 'cell-report/containers',
      cell_id: 'cell-1',
      containers: before.map((r) => ({ kind: 'lrp' as const, process_guid: 'web', index: r.index, instance_guid: r.instance_guid, state: 'RUNNING' as const })),
    });
    await eventually(() => expect(one.stops.map((s) => s.instance_guid).sort()).to.deep.equal(before.map((r) => r.instance_guid).sort()));
    // and so is one it reports running again
    h.control.report({ type: 'cell-report/lrp-running', cell_id: 'cell-1', process_guid: 'web', index: 0, instance_guid: before[0]!.instance_guid, address: '10.0.0.6', ports: [] });
    await eventually(() => expect(one.stops).to.have.length(3));
    expect(await rowsOf()).to.deep.equal(after);
    await h.control.converge();
    expect(await rowsOf()).to.deep.equal(after);
    expect(h.cells.allInstances().map((w) => w.instance_guid).sort(), 'exactly 2 instances run').to.deep.equal(after.map((r) => r.instance_guid).sort());
  });

  it('the lost cell comes back before the replacements run: the suspects are promoted, the replacements stopped', async () => {
    const { one, two, before } = await loseCellOne();
    const [w0, w1] = [two.instance('web', 0)!, two.instance('web', 1)!];
    two.claim(w0);
    await waitFor((rows) => rows[0]!.state === 'CLAIMED', 'replacement 0 CLAIMED');
    const eventsBefore = h.events.length;

    one.heartbeat();
    const rows = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY'), 'suspects promoted');
    expect(shape(rows)).to.deep.equal([[0, 'ORDINARY', 'RUNNING', 'cell-1'], [1, 'ORDINARY', 'RUNNING', 'cell-1']]);
    expect(rows.map((r) => r.instance_guid)).to.deep.equal(before.map((r) => r.instance_guid));
    expect(two.stops.map((s) => s.instance_guid), 'the claimed replacement is stopped').to.deep.equal([w0.instance_guid]);
    const later = h.events.slice(eventsBefore).filter((e) => e.type.startsWith('actual_lrp'));
    expect(later.map((e) => e.type).sort()).to.deep.equal(['actual_lrp_instance_changed', 'actual_lrp_instance_changed', 'actual_lrp_instance_removed', 'actual_lrp_instance_removed']);

    // the replacement that was only placed is stopped when it claims
    two.claim(w1);
    await eventually(() => expect(two.stops.map((s) => s.instance_guid)).to.deep.equal([w0.instance_guid, w1.instance_guid]));
    two.stopped(w0);
    await live(32_000, one, two); // a periodic pass with both cells present
    await h.control.converge();
    expect(await rowsOf()).to.deep.equal(rows);
    expect(h.cells.allInstances().map((w) => w.instance_guid).sort(), 'exactly 2 instances run').to.deep.equal(before.map((r) => r.instance_guid).sort());
  });

  it('cells that come back together are announced together: their suspects are promoted, each supervisor hears once', async () => {
    const [one, three] = [h.cells.add('cell-1'), h.cells.add('cell-3')];
    one.heartbeat();
    three.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await eventually(() => expect(one.lrps.size + three.lrps.size).to.equal(2));
    one.startAll();
    three.startAll();
    const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), 'RUNNING on cell-1 and cell-3');
    expect(before.map((r) => r.cell_id).sort()).to.deep.equal(['cell-1', 'cell-3']);
    await live(12_000, h.cells.add('cell-2'));
    await waitFor((rows) => rows.filter((r) => r.presence === 'SUSPECT').length === 2, 'both SUSPECT');

    const announced: string[][] = [];
    const dispatch = h.system.dispatch.bind(h.system);
    h.system.dispatch = <M>(ref: Ref<M>, msg: M) => {
      const m = msg as { type?: string; cell_ids?: string[] };
      if (m?.type === 'lrp/cell-back') announced.push([...m.cell_ids!].sort());
      return dispatch(ref, msg);
    };
    one.heartbeat();
    three.heartbeat();
    const rows = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.state === 'RUNNING'), 'suspects promoted');
    expect(rows.map((r) => r.instance_guid)).to.deep.equal(before.map((r) => r.instance_guid));
    expect(announced, 'one announcement of both cells to the one supervisor').to.deep.equal([['cell-1', 'cell-3']]);
  });

  it('a control restart keeps the suspects; the replacements running afterwards remove them', async () => {
    const { two } = await loseCellOne();
    const [w0, w1] = [two.instance('web', 0)!, two.instance('web', 1)!];
    two.claim(w0);
    two.claim(w1);
    const mid = await waitFor((rows) => rows.filter((r) => r.state === 'CLAIMED').length === 2, 'replacements CLAIMED');
    h = await h.restart();
    expect(await rowsOf()).to.deep.equal(mid);
    // only cell-2 comes back; a pass without cell-1 keeps the suspects
    await live(32_000, two);
    await h.control.converge();
    expect(await rowsOf()).to.deep.equal(mid);
    two.run(w0);
    two.run(w1);
    const after = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.state === 'RUNNING' && r.cell_id === 'cell-2'), 'replacements RUNNING');
    expect(after.map((r) => r.instance_guid)).to.deep.equal([w0.instance_guid, w1.instance_guid]);
    expect(two.stops).to.deep.equal([]);
  });

  it('a suspect copy that crashes or stops is removed; the replacement carries on', async () => {
    const { one, before } = await loseCellOne();
    one.crash(one.instance('web', 0)!);
    await waitFor((rows) => rows.length === 3, 'suspect 0 removed');
    one.stopped(one.instance('web', 1)!);
    const rows = await waitFor((rows) => rows.length === 2, 'suspect 1 removed');
    expect(shape(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [1, 'ORDINARY', 'UNCLAIMED', '']]);
    expect(rows.map((r) => r.crash_count)).to.deep.equal([0, 0]);
    expect(ofType('actual_lrp_crashed'), 'a copy\'s crash is no crash of the index').to.deep.equal([]);
    expect(ofType('actual_lrp_instance_removed').map((e) => e.data.actual_lrp.instance_guid)).to.deep.equal(before.map((r) => r.instance_guid));
  });

  it('the replacement\'s cell is lost too: the suspects stay, the replacements are placed again', async () => {
    const { two, before } = await loseCellOne();
    two.claim(two.instance('web', 0)!);
    two.claim(two.instance('web', 1)!);
    await waitFor((rows) => rows.filter((r) => r.state === 'CLAIMED' && r.cell_id === 'cell-2').length === 2, 'replacements CLAIMED on cell-2');
    const three = h.cells.add('cell-3');
    await live(12_000, three);
    await eventually(async () => expect((await h.control.cells()).map((c) => c.cell_id)).to.deep.equal(['cell-3']));
    const rows = await waitFor((rows) => rows.filter((r) => r.state === 'UNCLAIMED').length === 2, 'replacements unclaimed');
    expect(shape(rows)).to.deep.equal([
      [0, 'ORDINARY', 'UNCLAIMED', ''], [0, 'SUSPECT', 'RUNNING', 'cell-1'],
      [1, 'ORDINARY', 'UNCLAIMED', ''], [1, 'SUSPECT', 'RUNNING', 'cell-1'],
    ]);
    expect([rows[1], rows[3]]).to.deep.equal(before.map(asSuspect));
    await eventually(() => expect(three.lrps.size).to.equal(2));
    three.startAll();
    const after = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.state === 'RUNNING' && r.cell_id === 'cell-3'), 'RUNNING on cell-3');
    expect(after.map((r) => r.crash_count)).to.deep.equal([0, 0]);
  });

  it('a suspect copy reporting RUNNING stays SUSPECT (its net info kept), its claim changes nothing, nothing is stopped', async () => {
    const { one, before } = await loseCellOne();
    const w0 = one.instance('web', 0)!;
    one.claim(w0);
    one.run(w0, 62000);
    const rows = await waitFor((rows) => rows[1]!.ports[0]?.host_port === 62000, 'suspect 0 updated');
    expect(shape(rows)[1]).to.deep.equal([0, 'SUSPECT', 'RUNNING', 'cell-1']);
    expect(rows[1]!.instance_guid).to.equal(before[0]!.instance_guid);
    expect(h.cells.allStops()).to.deep.equal([]);
  });

  it('scaling down drops the suspect with its index; the remaining suspect is replaced as usual', async () => {
    const { two, before } = await loseCellOne();
    const scaled = await h.control.updateLrp('web', { instances: 1 });
    expect(scaled.ok).to.equal(true);
    const rows = await waitFor((rows) => rows.length === 2, 'index 1 gone');
    expect(shape(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [0, 'SUSPECT', 'RUNNING', 'cell-1']]);
    const removed = ofType('actual_lrp_instance_removed').map((e) => [e.data.actual_lrp.index, e.data.actual_lrp.presence]);
    expect(removed).to.have.deep.members([[1, 'ORDINARY'], [1, 'SUSPECT']]);
    two.startAll();
    const after = await waitFor((rows) => rows.length === 1 && rows[0]!.state === 'RUNNING' && rows[0]!.cell_id === 'cell-2', 'index 0 replaced');
    expect(after[0]!.instance_guid).to.not.equal(before[0]!.instance_guid);
    expect([...two.lrps.values()].map((w) => [w.index, w.instance_guid])).to.deep.equal([[0, after[0]!.instance_guid]]);
    // index 1's suspect was told to stop with its index; index 0's waits for its cell to come back
    expect(h.cells.get('cell-1').stops.map((s) => s.instance_guid)).to.deep.equal([before[1]!.instance_guid]);
  });

  it('recovers the suspects from LMDB', async () => {
    await h.stop();
    const dir = tempDir('auctor-suspect-');
    const engine = LmdbPersistenceEngine.open(dir.path);
    try {
      h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 30_000 }, { engine });
      const { two } = await loseCellOne();
      const mid = await rowsOf();
      h = await h.restart();
      // cell-2 heartbeats on (before the recovered rows ask for placements: a round that finds
      // no cell leaves them UNCLAIMED until a pass finds them stale)
      two.heartbeat();
      expect(await rowsOf()).to.deep.equal(mid);
      // the UNCLAIMED replacements are auctioned again after the restart; the first to run wins
      await eventually(() => expect(two.lrps.size).to.equal(4));
      two.startAll();
      await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.state === 'RUNNING'), 'replacements RUNNING');
      await eventually(() => expect(two.lrps.size).to.equal(2));
    } finally {
      await h.stop();
      await engine.close();
      dir.remove();
      h = startHarness();
    }
  });

  it('evacuation: the instance stays EVACUATING while its replacement starts elsewhere, then its cell is told to stop it', async () => {
    const one = h.cells.add('cell-1');
    one.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(one.lrps.size).to.equal(1));
    one.startAll();
    const [before] = await waitFor((rows) => rows.length === 1 && rows[0]!.state === 'RUNNING', 'RUNNING on cell-1');
    const two = h.cells.add('cell-2');
    two.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    one.unreachable = true; // a draining cell takes no new work
    h.system.dispatch(h.control.refs.lrps, LrpsMsg.evacuating({ type: 'cell-report/lrp-evacuating', cell_id: 'cell-1', process_guid: 'web', index: 0, instance_guid: before!.instance_guid }));
    const rows = await waitFor((rows) => rows.length === 2, 'EVACUATING + replacement');
    expect(shape(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [0, 'EVACUATING', 'RUNNING', 'cell-1']]);
    expect(rows[1]!.instance_guid).to.equal(before!.instance_guid);
    await eventually(() => expect(two.lrps.size).to.equal(1));
    expect(one.stops).to.deep.equal([]);
    two.startAll();
    const after = await waitFor((rows) => rows.length === 1 && rows[0]!.state === 'RUNNING' && rows[0]!.cell_id === 'cell-2', 'replacement RUNNING');
    expect(after[0]!.presence).to.equal('ORDINARY');
    expect(one.stops.map((s) => s.instance_guid)).to.deep.equal([before!.instance_guid]);
    expect(ofType('actual_lrp_instance_removed').map((e) => e.data.actual_lrp.presence)).to.deep.equal(['EVACUATING']);
  });

  it('evacuating a CLAIMED instance unclaims it and drops its container; an EVACUATING copy whose cell is lost is pruned', async () => {
    const one = h.cells.add('cell-1');
    one.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await eventually(() => expect(one.lrps.size).to.equal(2));
    const [w0, w1] = [one.instance('web', 0)!, one.instance('web', 1)!];
    one.claim(w0);
    one.claim(w1);
    one.run(w1);
    await waitFor((rows) => rows.length === 2 && rows[0]!.state === 'CLAIMED' && rows[1]!.state === 'RUNNING', 'CLAIMED and RUNNING');
    const two = h.cells.add('cell-2');
    two.heartbeat();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    one.unreachable = true;
    for (const w of [w0, w1]) h.system.dispatch(h.control.refs.lrps, LrpsMsg.evacuating({ type: 'cell-report/lrp-evacuating', cell_id: 'cell-1', process_guid: 'web', index: w.index, instance_guid: w.instance_guid }));
    const rows = await waitFor((rows) => rows.length === 3, 'index 0 unclaimed, index 1 EVACUATING');
    expect(shape(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', ''], [1, 'ORDINARY', 'UNCLAIMED', ''], [1, 'EVACUATING', 'RUNNING', 'cell-1']]);
    expect(one.stops.map((s) => s.instance_guid), 'the CLAIMED container is dropped').to.deep.equal([w0.instance_guid]);
    // the draining cell goes away before the replacement runs: its copy is pruned
    await live(12_000, two);
    await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY'), 'EVACUATING pruned');
    await eventually(() => expect(two.lrps.size).to.equal(2));
    two.startAll();
    await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING' && r.cell_id === 'cell-2'), 'RUNNING on cell-2');
  });
});
