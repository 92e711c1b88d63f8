/**
 * A cell's container list (`cell-report/containers`, every reconcile tick) read the other way
 * round (issue 12, finding 2b; Diego's rep bulk loop): a row placed on that cell whose instance
 * the list does not name is gone, and is replaced.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { AuctorEvent } from '../../src/models/events.js';
import { LrpsMsg } from '../../src/actors/lrps.protocol.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness, type LogLine } from './control-harness.js';

describe('control: a cell\'s container list', () => {
  let h: Harness;
  let logs: LogLine[];
  const rowsOf = () => h.control.actualLrps({ process_guid: 'web' });
  const show = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.presence, r.state, r.cell_id, r.instance_guid]);
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) => eventuallyWhere(rowsOf, pred, show, what);
  const ofType = <T extends AuctorEvent['type']>(type: T) => h.events.filter((e): e is Extract<AuctorEvent, { type: T }> => e.type === type);

  beforeEach(() => {
    logs = [];
    h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 30_000 }, { logs });
  });
  afterEach(async () => {
    await h.stop();
  });

  /** web: 2 instances RUNNING on cell-1. */
  const twoRunning = async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 2 }));
    await eventually(() => expect(cell.lrps.size).to.equal(2));
    cell.startAll();
    const before = await waitFor((rows) => rows.length === 2 && rows.every((r) => r.state === 'RUNNING'), '2 RUNNING');
    return { cell, before };
  };

  it('a RUNNING instance the list leaves out is replaced: a log line naming it, removed and created events, a new placement', async () => {
    const { cell, before } = await twoRunning();
    const [gone, kept] = before as [ActualLRP, ActualLRP];
    // the container vanished without a report (a lost report, a damaged container the cell dropped)
    cell.lrps.delete(gone.instance_guid);
    cell.reportContainers();

    await eventually(() => expect(cell.instance('web', 0)?.instance_guid, 'a new instance placed').to.be.a('string').and.not.equal(gone.instance_guid));
    const rows = await rowsOf();
    expect(show(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', '', ''], show([kept])[0]]);
    const line = logs.find((l) => l.msg === 'actual-lrp.container-missing');
    expect(line, 'a log line').to.include({ cell_id: 'cell-1', instance_guid: gone.instance_guid, process_guid: 'web', index: 0, state: 'RUNNING' });
    expect(ofType('actual_lrp_instance_removed').map((e) => e.data.actual_lrp.instance_guid)).to.deep.equal([gone.instance_guid]);
    expect(ofType('actual_lrp_instance_created').map((e) => e.data.actual_lrp.index)).to.deep.equal([0, 1, 0]);
    expect(cell.stops, 'nothing to stop: it is gone').to.deep.equal([]);

    // the replacement runs; lists naming what runs change nothing
    cell.startAll();
    const after = await waitFor((rows) => rows.every((r) => r.state === 'RUNNING'), 'the replacement RUNNING');
    cell.reportContainers();
    cell.reportContainers();
    await h.control.converge();
    expect(show(await rowsOf())).to.deep.equal(show(after));
  });

  it('after a control restart, the first lists already find a RUNNING row whose instance went while the control node was down', async () => {
    const { cell, before } = await twoRunning();
    h = await h.restart();
    const [gone, kept] = before as [ActualLRP, ActualLRP];
    // its crash report reached no one: the control node was down
    cell.lrps.delete(gone.instance_guid);
    cell.heartbeat();
    await eventually(async () => {
      cell.reportContainers(); // a cell lists its containers when it appears, and every reconcile tick
      expect(cell.instance('web', 0)?.instance_guid).to.be.a('string').and.not.equal(gone.instance_guid);
    });
    expect(show(await rowsOf())).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', '', ''], show([kept])[0]]);
    expect(logs.filter((l) => l.msg === 'actual-lrp.container-missing').map((l) => l.instance_guid)).to.deep.equal([gone.instance_guid]);
  });

  it('a claim the list predates is left alone: the list was taken before the container was made', async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(cell.lrps.size).to.equal(1));
    const work = cell.instance('web', 0)!;
    // the cell lists its containers, then makes this one and claims it: in that order
    cell.lrps.delete(work.instance_guid);
    cell.reportContainers();
    cell.lrps.set(work.instance_guid, work);
    cell.startAll();
    const rows = await waitFor((rows) => rows[0]?.state === 'RUNNING', 'RUNNING');
    await h.control.converge();
    expect(show(await rowsOf())).to.deep.equal(show(rows));
    expect(logs.filter((l) => l.msg === 'actual-lrp.container-missing')).to.deep.equal([]);
  });

  it('another cell\'s list, or a list naming the instance, changes nothing', async () => {
    const { cell, before } = await twoRunning();
    const other = h.cells.add('cell-2');
    other.heartbeat();
    other.reportContainers();
    cell.reportContainers();
    await h.control.converge();
    expect(show(await rowsOf())).to.deep.equal(show(before));
    expect(logs.filter((l) => l.msg === 'actual-lrp.container-missing')).to.deep.equal([]);
  });

  it('a lost cell comes back without the containers of its SUSPECT instances: they are removed, never promoted to RUNNING rows with no process', async () => {
    const { cell } = await twoRunning();
    const two = h.cells.add('cell-2');
    for (let t = 0; t < 12_000; t += 2_000) {
      two.heartbeat();
      await h.clock.advance(2_000);
    }
    await waitFor((rows) => rows.filter((r) => r.presence === 'SUSPECT').length === 2, 'SUSPECT on cell-1');
    await eventually(() => expect(two.lrps.size, 'replacements placed on cell-2').to.equal(2));
    // cell-1 restarts having lost its containers, heartbeats and lists what it has: nothing
    cell.lrps.clear();
    cell.heartbeat();
    cell.reportContainers();
    await waitFor((rows) => rows.length === 2 && rows.every((r) => r.presence === 'ORDINARY' && r.cell_id !== 'cell-1'), 'no row left on cell-1');
    two.startAll();
    const rows = await waitFor((rows) => rows.every((r) => r.state === 'RUNNING'), 'the replacements RUNNING on cell-2');
    expect(rows.map((r) => [r.presence, r.cell_id])).to.deep.equal([['ORDINARY', 'cell-2'], ['ORDINARY', 'cell-2']]);
  });

  it('an EVACUATING copy its draining cell no longer lists is removed; the replacement carries on', async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(cell.lrps.size).to.equal(1));
    cell.startAll();
    const [before] = await waitFor((rows) => rows[0]?.state === 'RUNNING', 'RUNNING on cell-1');
    cell.unreachable = true; // draining: it takes no new work
    h.system.dispatch(h.control.refs.lrps, LrpsMsg.evacuating({ type: 'cell-report/lrp-evacuating', cell_id: 'cell-1', process_guid: 'web', index: 0, instance_guid: before!.instance_guid }));
    await waitFor((rows) => rows.length === 2 && rows[1]!.presence === 'EVACUATING', 'EVACUATING + replacement');
    cell.lrps.clear();
    cell.reportContainers();
    const rows = await waitFor((rows) => rows.length === 1, 'the EVACUATING row removed');
    expect(show(rows)).to.deep.equal([[0, 'ORDINARY', 'UNCLAIMED', '', '']]);
    expect(ofType('actual_lrp_instance_removed').map((e) => [e.data.actual_lrp.presence, e.data.actual_lrp.instance_guid])).to.deep.equal([['EVACUATING', before!.instance_guid]]);
    expect(logs.find((l) => l.msg === 'actual-lrp.container-missing')).to.include({ presence: 'EVACUATING', instance_guid: before!.instance_guid });
  });
});
