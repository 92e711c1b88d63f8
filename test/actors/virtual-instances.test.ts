/**
 * ActualLRP instances as virtual children of their LRP supervisor (docs/020 "Instances"), on the
 * fake clock: an idle instance is passivated and comes back with its rows, a CRASHED one waits on
 * a durable timer (through passivation and a control restart), and a message racing passivation
 * is handled.
 */
import { expect } from 'chai';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { ActualLrpMsg } from '../../src/actors/actual-lrp.protocol.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import { LrpsMsg } from '../../src/actors/lrps.protocol.js';
import { eventually, eventuallyWhere } from '../support/eventually.js';
import { lrpJson, startHarness, type Harness } from './control-harness.js';

const IDLE_MS = 10_000;
const SUPERVISOR = '/control/lrps/web';
// no periodic convergence unless a test says so (a pass reads the query index: see below)
// the supervisor stays active (virtual-supervisors.test.ts has it passivate too), so its instances can be counted
const SETTINGS = { instanceIdleMs: IDLE_MS, supervisorIdleMs: 100 * IDLE_MS, convergenceIntervalMs: 0 };

describe('control: ActualLRP instances are virtual', () => {
  let h: Harness;
  const cell = () => h.cells.get('cell-1');
  const instances = () => h.system.virtualChildrenOf(SUPERVISOR)!;
  const rows = () => h.control.actualLrps({ process_guid: 'web' });
  const waitFor = (pred: (rows: ActualLRP[]) => boolean, what: string) =>
    eventuallyWhere(rows, pred, (r) => r.map((a) => [a.index, a.state, a.crash_count, a.instance_guid]), what);
  /** Lets `ms` pass on the clock with the cell heartbeating, so it stays present. */
  const pass = async (ms: number, step = 1000) => {
    for (let left = ms; left > 0; left -= step) {
      h.cells.heartbeatAll();
      await h.clock.advance(Math.min(step, left));
    }
  };
  const desireRunning = async (crash_policy?: Record<string, number>) => {
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1, ...(crash_policy ? { crash_policy } : {}) }))).ok).to.equal(true);
    await eventually(() => expect(cell().instance('web', 0)).to.not.equal(undefined));
    cell().startAll();
    return (await waitFor((r) => r[0]?.state === 'RUNNING', 'RUNNING'))[0]!;
  };
  /** The instance guids the `actual_lrp_crashed` events name (the crash applied to the row it replayed). */
  const crashedGuids = () => h.events.flatMap((e) => (e.type === 'actual_lrp_crashed' ? [e.data.instance_guid] : []));
  const passive = () => eventually(() => expect(instances().counts()).to.include({ total: 1, active: 0, passive: 1 }));

  afterEach(async () => {
    await h.stop();
  });

  it('passivates a RUNNING instance once idle; the next report activates it with its rows', async () => {
    h = startHarness(SETTINGS);
    const running = await desireRunning();
    await pass(IDLE_MS * 3);
    await passive();
    expect(instances().list()[0]).to.deep.include({ name: '0', status: 'passive' });
    expect(instances().list()[0]!.summary).to.include({ state: 'RUNNING', instance_guid: running.instance_guid });

    // the crash report is routed to it: it replays its RUNNING row and applies the crash to it
    cell().crash(cell().instance('web', 0)!);
    await eventually(() => expect(instances().isActive('0')).to.equal(true));
    await waitFor((r) => r[0]?.crash_count === 1, 'crash 1');
    expect(crashedGuids()).to.deep.equal([running.instance_guid]);
  });

  it('restarts a passivated CRASHED instance when its durable timer fires', async () => {
    h = startHarness(SETTINGS);
    const running = await desireRunning({ immediate_restarts: 0, backoff_ms: 60_000, max_restarts: 5 });
    cell().crash(cell().instance('web', 0)!);
    await waitFor((r) => r[0]?.state === 'CRASHED', 'CRASHED');
    await pass(IDLE_MS * 3);
    await passive();
    expect(h.system.timers.of(`${SUPERVISOR}/0`).map((t) => t.id)).to.deep.equal(['restart']);
    expect(cell().instance('web', 0)).to.equal(undefined);

    await pass(60_000 - IDLE_MS * 3 + 2000);
    await eventually(() => expect(cell().instance('web', 0)?.instance_guid).to.be.a('string').and.not.equal(running.instance_guid));
    expect(h.system.timers.of(`${SUPERVISOR}/0`)).to.deep.equal([]);
  });

  it('restarts a passivated CRASHED instance after a control restart, on time', async () => {
    h = startHarness(SETTINGS);
    const running = await desireRunning({ immediate_restarts: 0, backoff_ms: 60_000, max_restarts: 5 });
    cell().crash(cell().instance('web', 0)!);
    await waitFor((r) => r[0]?.state === 'CRASHED', 'CRASHED');
    await pass(IDLE_MS * 3);
    await passive();

    h = await h.restart();
    await eventually(async () => expect(await h.control.lrps()).to.have.length(1));
    await pass(20_000);
    expect(cell().instance('web', 0), 'not before its backoff').to.equal(undefined);
    await pass(15_000);
    await eventually(() => expect(cell().instance('web', 0)?.instance_guid).to.be.a('string').and.not.equal(running.instance_guid));
  });

  it('a delete removes a passive CRASHED instance, its index record and its restart timer', async () => {
    h = startHarness(SETTINGS);
    await desireRunning({ immediate_restarts: 0, backoff_ms: 60_000, max_restarts: 5 });
    cell().crash(cell().instance('web', 0)!);
    await waitFor((r) => r[0]?.state === 'CRASHED', 'CRASHED');
    await pass(IDLE_MS * 3);
    await passive();

    expect((await h.control.removeLrp('web')).ok).to.equal(true);
    expect(h.system.timers.of(`${SUPERVISOR}/0`)).to.deep.equal([]);
    await eventually(() => expect(h.system.virtualChildrenOf(SUPERVISOR)).to.equal(undefined));
    // desired again (a new epoch): one fresh instance, nothing of the old one's
    expect((await h.control.desireLrp(lrpJson('web', { instances: 1 }))).ok).to.equal(true);
    await eventually(() => expect(cell().instance('web', 0)).to.not.equal(undefined));
    expect(instances().counts()).to.include({ total: 1 });
    expect((await rows())[0]).to.include({ crash_count: 0 });
  });

  it('an idle RUNNING instance passivates with convergence passes and listings meanwhile; both read the query index', async () => {
    // periodic passes from 30 s on (the first-pass grace is a TTL with no reconnect time), every 2.5 s
    h = startHarness({ ...SETTINGS, convergenceIntervalMs: IDLE_MS / 4, cellReconnectMs: 0 });
    const running = await desireRunning();
    for (let i = 0; i < 12; i++) {
      await pass(IDLE_MS / 2);
      expect(await rows()).to.have.length(1);
    }
    await passive();
    // a pass after it passivated leaves it passive, and its row still lists
    expect((await h.control.converge()).pass).to.be.greaterThan(4);
    expect(instances().isActive('0')).to.equal(false);
    expect((await rows())[0]).to.include({ state: 'RUNNING', instance_guid: running.instance_guid });
  });

  it('a cell appearing does not activate a passive RUNNING instance', async () => {
    h = startHarness(SETTINGS);
    await desireRunning();
    await pass(IDLE_MS * 3);
    await passive();
    h.cells.add('cell-2');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(2));
    await pass(2000);
    // `lrps` and the supervisor handle their mailboxes in order: these asks come after the cell-back
    const lrps = h.system.lookup('/control/lrps') as Ref<LrpsMsg>;
    for (let i = 0; i < 2; i++) await h.system.query<LrpsMsg, DesiredLRP[]>(lrps, (replyTo) => LrpsMsg.list({}, replyTo), 5000);
    expect(instances().counts()).to.include({ total: 1, active: 0, passive: 1 });
  });

  it('after a control restart RUNNING instances stay passive, also when their cell lists them', async () => {
    h = startHarness(SETTINGS);
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    expect((await h.control.desireLrp(lrpJson('web', { instances: 3 }))).ok).to.equal(true);
    await eventually(() => expect(h.cells.allInstances()).to.have.length(3));
    cell().startAll();
    await waitFor((r) => r.length === 3 && r.every((a) => a.state === 'RUNNING'), 'all RUNNING');
    await pass(IDLE_MS * 3);

    h = await h.restart();
    await eventually(() => expect(h.system.virtualChildrenOf('/control/lrps')).to.not.equal(undefined));
    h.cells.heartbeatAll();
    await eventually(async () => expect(await h.control.cells()).to.have.length(1));
    cell().reportContainers();
    await pass(2000);
    // `lrps` and the supervisor handle their mailboxes in order: these asks come after the list
    const lrps = h.system.lookup('/control/lrps') as Ref<LrpsMsg>;
    for (let i = 0; i < 2; i++) await h.system.query<LrpsMsg, DesiredLRP[]>(lrps, (replyTo) => LrpsMsg.list({}, replyTo), 5000);
    // nothing woke its supervisor either (virtual too): no instance of it is alive
    expect(h.system.virtualChildrenOf('/control/lrps')!.counts()).to.include({ total: 1, active: 0, passive: 1 });
    expect(h.system.lookup(SUPERVISOR)).to.equal(undefined);
    expect((await rows()).map((a) => a.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']);
    expect(h.cells.allStops()).to.deep.equal([]);
  });

  for (const order of ['just before', 'just after'] as const) {
    it(`handles a report sent ${order} the instance is passivated`, async () => {
      h = startHarness(SETTINGS);
      const running = await desireRunning();
      await pass(IDLE_MS * 3);
      await passive();
      const ref = instances().ref('0') as Ref<ActualLrpMsg>;
      const crash: ActualLrpMsg = { type: 'actual-lrp/report', report: { type: 'cell-report/lrp-crashed', cell_id: 'cell-1', process_guid: 'web', index: 0, instance_guid: running.instance_guid, reason: 'exited' } };
      // the sweep is armed when the instance is activated, for IDLE_MS later; a clock timer for
      // the same moment set before the activation fires before it, one set after fires after it
      if (order === 'just before') h.clock.setTimeout(() => h.system.dispatch(ref, crash), IDLE_MS);
      h.system.dispatch(ref, { type: 'actual-lrp/retry' });
      const activeWhenSent: boolean[] = [];
      if (order === 'just after') h.clock.setTimeout(() => {
        activeWhenSent.push(instances().isActive('0'));
        h.system.dispatch(ref, crash);
      }, IDLE_MS);
      expect(instances().isActive('0')).to.equal(true);
      await h.clock.advance(IDLE_MS);
      // sent after the sweep stopped it, the report activated it again
      if (order === 'just after') expect(activeWhenSent).to.deep.equal([false]);
      await waitFor((r) => r[0]?.crash_count === 1, 'crash 1');
      expect(crashedGuids()).to.deep.equal([running.instance_guid]);
    });
  }
});
