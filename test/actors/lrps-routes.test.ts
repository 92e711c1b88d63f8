/**
 * What a cell's reports and container lists reach (docs/020 "Reports go to the supervisor by
 * path"), on the fake clock: a list that agrees with the query index wakes no instance, so a
 * RUNNING instance passivates with its cell listing it every few seconds; a disagreeing
 * container still reaches its instance.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';
import { CellPlacements } from '../../src/actors/cell-placements.js';
import { LivePlacements } from '../../src/actors/lrps-routes.js';

const IDLE_MS = 10_000;
const SUPERVISOR = '/control/lrps/web';
const SETTINGS = { instanceIdleMs: IDLE_MS, supervisorIdleMs: 100 * IDLE_MS, convergenceIntervalMs: 0 };

describe('control: container lists and reports reach the instances they concern', () => {
  let h: Harness;
  const cell = () => h.cells.get('cell-1');
  const instances = () => h.system.virtualChildrenOf(SUPERVISOR)!;
  const rows = () => h.control.actualLrps({ process_guid: 'web' });
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(rows, pred, (r) => r.map((a) => [a.index, a.state, a.instance_guid]), what);
  /** Lets `ms` pass with the cell heartbeating and listing its containers every `step` ms (a cell's reconcile tick). */
  const listEvery = async (ms: number, step: number) => {
    for (let left = ms; left > 0; left -= step) {
      h.cells.heartbeatAll();
      cell().reportContainers();
      await h.clock.advance(Math.min(step, left));
    }
  };
  const desireRunning = async () => {
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 2 }))).ok).to.equal(true);
    await eventually(() => expect(h.cells.allInstances()).to.have.length(2));
    cell().startAll();
    return waitFor((r) => r.length === 2 && r.every((a) => a.state === 'RUNNING'), 'RUNNING');
  };

  afterEach(async () => {
    await h.stop();
  });

  it('a RUNNING instance passivates while its cell lists it as it runs every 2.5 s', async () => {
    h = startHarness(SETTINGS);
    const running = await desireRunning();
    // active and listed: before, every list reset its idle clock, so it never passivated
    await listEvery(IDLE_MS * 4, IDLE_MS / 4);
    await eventually(() => expect(instances().counts()).to.include({ total: 2, active: 0, passive: 2 }));
    expect((await rows()).map((a) => [a.state, a.instance_guid])).to.deep.equal(running.map((a) => ['RUNNING', a.instance_guid]));
    expect(h.cells.allStops()).to.deep.equal([]);
  });

  it('a listed container the row does not account for reaches its instance, which stops it', async () => {
    h = startHarness(SETTINGS);
    const running = await desireRunning();
    await listEvery(IDLE_MS * 4, IDLE_MS / 4);
    await eventually(() => expect(instances().counts()).to.include({ active: 0, passive: 2 }));
    // the list as it runs, plus a second container of index 1 (another instance guid): that instance wakes and stops it
    const listed = running.map((a) => ({ kind: 'lrp', process_guid: 'web', index: a.index, instance_guid: a.instance_guid, state: 'CLAIMED' }));
    h.control.report({ type: 'cell-report/containers', cell_id: 'cell-1', containers: [
      ...listed, { kind: 'lrp', process_guid: 'web', index: 1, instance_guid: 'stray-1', state: 'CLAIMED' },
    ] } as never);
    await eventually(() => expect(h.cells.allStops()).to.deep.include({ process_guid: 'web', index: 1, instance_guid: 'stray-1' }));
    expect(instances().isActive('1')).to.equal(true);
    expect(instances().isActive('0')).to.equal(false);
  });
});

describe('LivePlacements: a pass replaces them without losing what was noted meanwhile', () => {
  const at = (cell_id: string, instance_guid: string, index = 0) => ({ cell_id, process_guid: 'web', index, instance_guid });
  it('keeps a claim and a crash noted, and a missing instance found, while the pass ran', () => {
    const live = new LivePlacements();
    live.add(at('cell-1', 'old'));
    live.add(at('cell-1', 'gone', 1));
    live.passStarted();
    live.note({ type: 'cell-report/lrp-claimed', ...at('cell-2', 'new') });
    live.note({ type: 'cell-report/lrp-crashed', ...at('cell-1', 'old') });
    expect(live.missingFrom('cell-1', new Set())).to.deep.equal([at('cell-1', 'gone', 1)]);
    // the pass read its rows before: they still name `old` and `gone`, not `new`
    const read = new CellPlacements();
    read.add(at('cell-1', 'old'));
    read.add(at('cell-1', 'gone', 1));
    live.replaceWith(read);
    expect(live.missingFrom('cell-1', new Set())).to.deep.equal([]);
    expect(live.missingFrom('cell-2', new Set())).to.deep.equal([at('cell-2', 'new')]);
    // after the pass, nothing is replayed into the next one
    live.add(at('cell-3', 'x'));
    const next = new CellPlacements();
    live.replaceWith(next);
    expect(live.size).to.equal(0);
  });
});
