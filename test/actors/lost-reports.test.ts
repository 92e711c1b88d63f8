/**
 * A cell's container list stands in for the reports that were lost (Diego's rep bulk loop): the
 * placement a row asked for, listed, is its claim; an instance listed RUNNING with its address is
 * its RUNNING report. Found by the chaos suite: a control kill -9 between a cell's claim and its
 * RUNNING report left the row CLAIMED for good, and claims sent while the cell could reach no
 * control node left rows UNCLAIMED until convergence took them for stale.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness, type LogLine } from './control-harness.js';

describe('control: reports a cell lost are caught up from its container list', () => {
  let h: Harness;
  let logs: LogLine[];
  const rowsOf = () => h.control.actualLrps({ process_guid: 'web' });
  const show = (rows: ActualLRP[]) => rows.map((r) => [r.index, r.state, r.cell_id, r.instance_guid, r.address, r.ports.map((p) => p.host_port)]);
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) => eventuallyWhere(rowsOf, pred, show, what);

  beforeEach(() => {
    logs = [];
    h = startHarness({ cellTtlMs: 10_000, convergenceIntervalMs: 30_000 }, { logs });
  });
  afterEach(async () => {
    await h.stop();
  });

  /** web: 1 instance placed on cell-1, nothing reported yet. */
  const placed = async () => {
    const cell = h.cells.add('cell-1');
    cell.heartbeat();
    await h.control.desireLrp(lrpJson('web', { instances: 1 }));
    await eventually(() => expect(cell.lrps.size).to.equal(1));
    return { cell, work: cell.instance('web', 0)! };
  };

  it('a CLAIMED row whose RUNNING report was lost is RUNNING, with its address and port, once its cell lists it', async () => {
    const { cell, work } = await placed();
    cell.claim(work);
    await waitFor((rows) => rows[0]?.state === 'CLAIMED', 'CLAIMED');
    cell.runUnreported(work, 61234);
    cell.reportContainers();
    const [row] = await waitFor((rows) => rows[0]?.state === 'RUNNING', 'RUNNING');
    expect(show([row!])).to.deep.equal([[0, 'RUNNING', 'cell-1', work.instance_guid, '10.0.0.6', [61234]]]);
    expect(logs.filter((l) => l.msg === 'actual-lrp.caught-up-from-list').map((l) => [l.instance_guid, l.state])).to.deep.equal([[work.instance_guid, 'RUNNING']]);
    expect(cell.stops, 'nothing stopped').to.deep.equal([]);
  });

  it('an UNCLAIMED row whose placement ran with both reports lost is RUNNING once its cell lists it', async () => {
    const { cell, work } = await placed();
    cell.runUnreported(work, 61001);
    cell.reportContainers();
    const [row] = await waitFor((rows) => rows[0]?.state === 'RUNNING', 'RUNNING');
    expect(show([row!])).to.deep.equal([[0, 'RUNNING', 'cell-1', work.instance_guid, '10.0.0.6', [61001]]]);
  });

  it('a listed placement the row did not ask for changes nothing: it stays a candidate, neither claimed nor stopped', async () => {
    const { cell } = await placed();
    const [before] = await rowsOf();
    h.control.report({
      type: 'cell-report/containers',
      cell_id: 'cell-1',
      containers: [{ kind: 'lrp', process_guid: 'web', index: 0, instance_guid: 'from-a-lost-round', state: 'RUNNING', address: '10.0.0.6', ports: [{ container_port: 8080, host_port: 61999 }] }],
    });
    await h.control.converge();
    expect(show(await rowsOf())).to.deep.equal(show([before!]));
    expect(cell.stops).to.deep.equal([]);
  });
});
