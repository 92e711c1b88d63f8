/**
 * An instance's timeline through the control (control-inspection.ts), on fake cells: a draining
 * cell's instance is evacuating while its replacement starts elsewhere, then replaced; the
 * journal is read, not the actor, so a passivated instance answers the same.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

describe('control: instance timelines', () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  const story = async (guid: string, index = 0) =>
    (await h.control.inspect.instanceTimeline(guid, index, 100))!.entries.map((e) => [e.kind, e.instance_guid, e.cell_id]);

  it('an evacuated instance: evacuating, its replacement placed and running, then replaced', async () => {
    h = startHarness();
    const draining = h.cells.add('cell-a');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1 }))).ok).to.equal(true);
    await eventually(() => expect(draining.instance('web', 0)).to.not.equal(undefined));
    const old = draining.instance('web', 0)!;
    draining.startAll();
    await eventually(async () => expect((await h.control.actualLrps({}))[0]!.state).to.equal('RUNNING'));

    const other = h.cells.add('cell-b');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    await draining.evacuate(1000);
    h.cells.heartbeatAll();
    draining.evacuating(old);
    await eventually(() => expect(other.instance('web', 0)).to.not.equal(undefined));
    const replacement = other.instance('web', 0)!;
    other.startAll();
    await eventually(async () => expect((await h.control.actualLrps({})).map((a) => a.presence)).to.deep.equal(['ORDINARY']));

    expect(await story('web')).to.deep.equal([
      ['unclaimed', old.instance_guid, ''],
      ['claimed', old.instance_guid, 'cell-a'],
      ['running', old.instance_guid, 'cell-a'],
      ['evacuating', old.instance_guid, 'cell-a'],
      ['unclaimed', replacement.instance_guid, ''],
      ['claimed', replacement.instance_guid, 'cell-b'],
      ['running', replacement.instance_guid, 'cell-b'],
      ['replaced', old.instance_guid, 'cell-a'],
    ]);
  });

  it('answers for a passivated instance without waking it', async () => {
    // the supervisor stays active, so its instances can be counted
    h = startHarness({ instanceIdleMs: 1000, supervisorIdleMs: 1_000_000, convergenceIntervalMs: 0 });
    const cell = h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1 }))).ok).to.equal(true);
    await eventually(() => expect(cell.instance('web', 0)).to.not.equal(undefined));
    cell.startAll();
    await eventually(async () => expect((await h.control.actualLrps({}))[0]!.state).to.equal('RUNNING'));
    const instances = () => h.system.virtualChildrenOf('/control/lrps/web')!.counts();
    await eventually(async () => {
      h.cells.heartbeatAll();
      await h.clock.advance(1000);
      expect(instances()).to.include({ total: 1, active: 0, passive: 1 });
    });
    expect((await story('web')).map(([kind]) => kind)).to.deep.equal(['unclaimed', 'claimed', 'running']);
    expect(instances(), 'still passive').to.include({ active: 0, passive: 1 });
  });
});
