/**
 * LRP supervisors as virtual children of `lrps` (docs/020 "Supervisors are virtual children"),
 * on the fake clock: a supervisor whose instances are passive passivates too and comes back with
 * its DesiredLRP for whatever is sent to it, its CRASHED instance's durable timer still fires,
 * and after a control restart only the LRPs with work to resume are activated.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { LrpsMsg } from '../../src/actors/lrps.protocol.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

const IDLE_MS = 10_000;
const SETTINGS = { instanceIdleMs: IDLE_MS, supervisorIdleMs: IDLE_MS, convergenceIntervalMs: 0 };
const BACKOFF = { immediate_restarts: 0, backoff_ms: 60_000, max_restarts: 5 };

describe('control: LRP supervisors are virtual', () => {
  let h: Harness;
  const cell = () => h.cells.get('cell-1');
  const supervisors = () => h.system.virtualChildrenOf('/control/lrps')!;
  const live = (guid: string) => h.system.lookup(`/control/lrps/${guid}`) !== undefined;
  const rows = (guid: string) => h.control.actualLrps({ process_guid: guid });
  const waitFor = (guid: string, pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(() => rows(guid), pred, (r) => r.map((a) => [a.index, a.state, a.crash_count]), what);
  /** Lets `ms` pass on the clock with the cells heartbeating, so they stay present. */
  const pass = async (ms: number, step = 1000) => {
    for (let left = ms; left > 0; left -= step) {
      h.cells.heartbeatAll();
      await h.clock.advance(Math.min(step, left));
    }
  };
  /** `lrps` handles its mailbox in order: an ask to it comes after what was sent before. */
  const throughLrps = async () => {
    const lrps = h.system.lookup('/control/lrps') as Ref<LrpsMsg>;
    for (let i = 0; i < 2; i++) await h.system.query<LrpsMsg, DesiredLRP[]>(lrps, (replyTo) => LrpsMsg.list({}, replyTo), 5000);
  };
  const desireRunning = async (guid: string, instances: number, crash_policy?: Record<string, number>) => {
    expect((await h.control.desireLrp(lrpJson(guid, { instances, ...(crash_policy ? { crash_policy } : {}) }))).ok).to.equal(true);
    await eventually(() => expect(h.cells.allInstances().filter((w) => w.desired.process_guid === guid)).to.have.length(instances));
    cell().startAll();
    return waitFor(guid, (r) => r.length === instances && r.every((a) => a.state === 'RUNNING'), 'RUNNING');
  };
  const crash = async (guid: string) => {
    cell().crash(cell().instance(guid, 0)!);
    await waitFor(guid, (r) => r[0]?.state === 'CRASHED', 'CRASHED');
  };

  beforeEach(async () => {
    h = startHarness(SETTINGS);
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
  });
  afterEach(() => h.stop());

  it('passivates a supervisor once its instances are; a get, an update and a report activate it with its DesiredLRP', async () => {
    await desireRunning('web', 2);
    await pass(IDLE_MS * 5);
    expect(supervisors().counts()).to.deep.equal({ kind: 'lrp-supervisor', total: 1, active: 0, passive: 1 });
    expect(live('web')).to.equal(false);
    // the tree shows it as a count, as it does instances
    expect(h.system.registry.get('/control/lrps')!.virtual).to.deep.equal({ kind: 'lrp-supervisor', total: 1, active: 0, passive: 1 });

    expect((await h.control.getLrp('web'))!.instances).to.equal(2);
    expect(live('web')).to.equal(true);
    await pass(IDLE_MS * 3);
    expect(live('web')).to.equal(false);

    expect((await h.control.updateLrp('web', { instances: 3 })).ok).to.equal(true);
    await eventually(() => expect(h.cells.allInstances()).to.have.length(3));
    cell().startAll();
    await waitFor('web', (r) => r.length === 3 && r.every((a) => a.state === 'RUNNING'), '3 RUNNING');
    await pass(IDLE_MS * 5);
    expect(live('web')).to.equal(false);

    // a crash report goes through its passive supervisor to its passive instance
    cell().crash(cell().instance('web', 0)!);
    await waitFor('web', (r) => r[0]?.crash_count === 1, 'crash 1 (restarted at once)');
  });

  it('restarts a CRASHED instance whose supervisor is passive when its durable timer fires', async () => {
    const [running] = await desireRunning('web', 1, BACKOFF);
    await crash('web');
    await pass(IDLE_MS * 5);
    expect(live('web')).to.equal(false);
    expect(h.system.timers.of('/control/lrps/web/0').map((t) => t.id)).to.deep.equal(['restart']);
    expect(cell().instance('web', 0)).to.equal(undefined);

    await pass(60_000 - IDLE_MS * 5 + 2000);
    await eventually(() => expect(cell().instance('web', 0)?.instance_guid).to.be.a('string').and.not.equal(running!.instance_guid));
    expect(h.system.timers.of('/control/lrps/web/0')).to.deep.equal([]);
  });

  it('after a control restart activates only the LRPs with work to resume, and lists every one', async () => {
    await desireRunning('web', 2);
    await desireRunning('api', 1);
    const [crashy] = await desireRunning('crashy', 1, BACKOFF);
    await crash('crashy');
    await pass(IDLE_MS * 5);
    expect(supervisors().counts()).to.include({ total: 3, active: 0 });

    h = await h.restart();
    h.cells.heartbeatAll();
    await eventually(async () => expect((await h.control.lrps()).map((d) => d.process_guid)).to.deep.equal(['api', 'crashy', 'web']));
    // the CRASHED instance's restart timer is armed again: its supervisor is activated for it
    await eventually(() => expect(live('crashy')).to.equal(true));
    cell().reportContainers();
    await pass(2000);
    await throughLrps();
    expect(live('web')).to.equal(false);
    expect(live('api')).to.equal(false);
    expect((await h.control.actualLrps()).map((a) => [a.process_guid, a.index, a.state])).to.have.deep.members([
      ['web', 0, 'RUNNING'], ['web', 1, 'RUNNING'], ['api', 0, 'RUNNING'], ['crashy', 0, 'CRASHED'],
    ]);
    expect(h.cells.allStops()).to.deep.equal([]);
    await pass(60_000);
    await eventually(() => expect(cell().instance('crashy', 0)?.instance_guid).to.be.a('string').and.not.equal(crashy!.instance_guid));
  });

  it('a cell appearing activates no supervisor whose instances it does not concern', async () => {
    await desireRunning('web', 1);
    await pass(IDLE_MS * 5);
    expect(live('web')).to.equal(false);
    h.cells.add('cell-2');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    await throughLrps();
    await throughLrps();
    expect(live('web')).to.equal(false);
    expect(supervisors().counts()).to.include({ active: 0, passive: 1 });
  });
});
