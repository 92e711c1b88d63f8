import { expect } from 'chai';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { startControl, type Control } from '../../src/actors/control.js';
import { DomainsMsg } from '../../src/actors/domains.protocol.js';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import { eventually } from '../support/eventually.js';
import { FakeCells, FAKE_ROOTFS } from '../support/fake-cells.js';
import { FakeClock } from '../support/fake-clock.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';
import { lrpJson } from './control-harness.js';

describe('control: metrics', () => {
  let system: ActorSystem;
  let metrics: NodeMetrics;
  let control: Control;
  let cells: FakeCells;
  let clock: FakeClock;
  let n = 0;

  beforeEach(() => {
    clock = new FakeClock();
    cells = new FakeCells();
    system = ActorSystem.start({ name: `metrics-test-${n++}`, engine: new MemoryPersistenceEngine(), clock });
    metrics = new NodeMetrics({ system });
    control = startControl(system, { clientFor: cells.clientFor, metrics: metrics.control, settings: { cellTtlMs: 30_000, convergenceIntervalMs: 0 } });
    metrics.watchControl(control);
    cells.connect((r) => control.report(r));
  });
  afterEach(async () => {
    metrics.close();
    await system.shutdown();
  });

  const scrape = async () => parseExposition(await metrics.scrape());
  const value = async (name: string, labels: Record<string, string> = {}) => sampleValue(await scrape(), name, labels);
  const oneCell = async (capacity = {}) => {
    cells.add('cell-1', capacity);
    cells.heartbeatAll();
    await eventually(async () => expect(await control.cells()).to.have.length(1));
  };

  it('an LRP too big for any cell: the failed-auction counter goes up, desired and unclaimed count it', async () => {
    await oneCell({ memory_mb: 1024 });
    expect((await control.desireLrp(lrpJson('big', { instances: 2, memory_mb: 2048 }))).ok).to.equal(true);
    await eventually(async () => {
      const rows = await control.actualLrps({ process_guid: 'big' });
      expect(rows).to.have.length(2);
      for (const r of rows) expect(r.placement_error).to.match(/^insufficient resources: memory/);
    });
    const samples = await scrape();
    expect(sampleValue(samples, 'auctor_auctioneer_lrp_auctions_failed_total')).to.equal(2);
    expect(sampleValue(samples, 'auctor_auctioneer_lrp_auctions_started_total')).to.equal(0);
    expect(sampleValue(samples, 'auctor_lrps_desired')).to.equal(2);
    expect(sampleValue(samples, 'auctor_lrps_unclaimed')).to.equal(2);
    expect(sampleValue(samples, 'auctor_lrps_running')).to.equal(0);
    expect(sampleValue(samples, 'auctor_present_cells')).to.equal(1);
    expect(sampleValue(samples, 'auctor_auctioneer_fetch_states_duration_seconds_count')).to.be.at.least(1);
    expect(sampleValue(samples, 'auctor_control_up')).to.equal(1);
  });

  it('placed LRPs and tasks count as started, a refused task as failed; the gauges follow the rows', async () => {
    await oneCell();
    await control.desireLrp(lrpJson('web', { instances: 3 }));
    const cell = cells.get('cell-1');
    await eventually(() => expect(cell.lrps.size).to.equal(3));
    cell.refuse.set('refused', 'cell is drained');
    const task = (task_guid: string) => ({ task_guid, domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 64, action: { run: { path: '/bin/job', user: 'vcap' } } });
    expect((await control.desireTask(task('ok'))).ok).to.equal(true);
    expect((await control.desireTask(task('refused'))).ok).to.equal(true);
    await eventually(async () => {
      expect(await value('auctor_auctioneer_task_auctions_started_total')).to.equal(1);
      expect(await value('auctor_auctioneer_task_auctions_failed_total')).to.equal(1);
    });
    cell.startAll();
    cell.startTask('ok');
    await eventually(async () => {
      expect(await value('auctor_lrps_running')).to.equal(3);
      expect(await value('auctor_tasks_running')).to.equal(1);
    });
    const samples = await scrape();
    expect(sampleValue(samples, 'auctor_auctioneer_lrp_auctions_started_total')).to.equal(3);
    expect(sampleValue(samples, 'auctor_lrps_claimed')).to.equal(0);
    expect(sampleValue(samples, 'auctor_tasks_pending'), 'the refused task waits for its retry').to.equal(1);
    expect(sampleValue(samples, 'auctor_actors', { kind: 'actual-lrp' })).to.equal(3);
    expect(sampleValue(samples, 'auctor_actors', { kind: 'lrps' })).to.equal(1);
  });

  it('a convergence pass is timed and counted; an expired cell leaves present cells', async () => {
    await oneCell();
    expect(await value('auctor_convergence_lrp_runs_total')).to.equal(0);
    await control.converge();
    const samples = await scrape();
    expect(sampleValue(samples, 'auctor_convergence_lrp_runs_total')).to.equal(1);
    expect(sampleValue(samples, 'auctor_convergence_lrp_duration_seconds_count')).to.equal(1);
    expect(sampleValue(samples, 'auctor_convergence_lrp_duration_seconds_bucket', { le: '+Inf' })).to.equal(1);
    expect(sampleValue(samples, 'auctor_lrps_missing')).to.equal(0);
    // a pass on one cell and no LRP does not stall the loop for long
    expect(sampleValue(samples, 'auctor_convergence_lrp_max_event_loop_delay_seconds')).to.be.within(0, 0.5);
    await clock.advance(30_001);
    await eventually(async () => expect(await value('auctor_present_cells')).to.equal(0));
  });

  it('messages to a stopped actor count as dead letters', async () => {
    const before = (await value('auctor_actor_dead_letters_total'))!;
    system.stop(control.refs.domains);
    await eventually(() => expect(system.registry.list().map((a) => a.kind)).to.not.include('domains'));
    expect(system.dispatch(control.refs.domains, DomainsMsg.fresh(control.refs.domains as never))).to.equal(false);
    expect(await value('auctor_actor_dead_letters_total')).to.equal(before + 1);
    expect(await value('auctor_actors', { kind: 'domains' })).to.equal(undefined);
  });

  it('a control that does not answer does not hang the scrape: the gauges say so', async () => {
    const stuck = new NodeMetrics({ system, scrapeTimeoutMs: 50 });
    try {
      const never = () => new Promise<never>(() => {});
      // the quarantine listing reads the registry, not an actor: it answers even now
      const quarantined = () => [{ kind: 'task', key: 't1', error: 'boom', since: 0, actor: '/control/tasks/t1' }];
      stuck.watchControl({ lrps: never, actualLrps: never, tasks: never, quarantined } as unknown as Control);
      const started = Date.now();
      const samples = parseExposition(await stuck.scrape());
      expect(Date.now() - started).to.be.below(1_000);
      expect(sampleValue(samples, 'auctor_control_up')).to.equal(0);
      expect(sampleValue(samples, 'auctor_lrps_desired')).to.equal(0);
      expect(['desired_lrp', 'actual_lrp', 'task'].map((kind) => sampleValue(samples, 'auctor_quarantined_records', { kind }))).to.deep.equal([0, 0, 1]);
    } finally {
      stuck.close();
    }
  });
});
