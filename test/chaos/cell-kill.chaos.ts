/**
 * Chaos, scenario 2: kill -9 of cells in a cluster, in a loop. One control node (`--roles
 * control`) and three cell nodes on the `process` backend (real containers that outlive their
 * cell), each its own `auctor start` process on loopback, TTL 1.5 s.
 *
 * Each cycle: two writers scale and delete LRPs and create tasks on the control node the whole
 * time; after a random delay one cell (chosen by the seeded PRNG) gets SIGKILL; its containers keep
 * running. It is started again on its data dir (which adopts them), at one of three moments, also
 * chosen by the PRNG:
 * - `quick`: at once, usually before the control node has missed it;
 * - `missing`: as soon as the control node no longer lists it (its instances are being replaced:
 *   the copies it adopts race their replacements);
 * - `replaced`: once every `steady` instance runs again elsewhere (what it adopts is stale).
 * Then the cycle checks:
 * - `acknowledged-write-kept` (write-load.ts): the control node never died, so every 2xx holds;
 * - the placement invariants (observe.ts) within SETTLE_MS of the cell's return: in particular
 *   no `orphan` (a copy the rejoined cell adopted and no row accounts for is stopped) and no
 *   `doubled-process` (an instance running on the old cell and on its replacement's);
 * - `healthy-instance-kept`: the `steady` instances on the cells that were not killed keep their
 *   instance guids.
 *
 * `CHAOS_CYCLES` sets the number of cycles (default 4), `CHAOS_SEED` replays a run.
 */
import { expect } from 'chai';
import { ClusterNodes, closeClustersAfterEach } from '../support/cluster-nodes.js';
import { eventually } from '../support/eventually.js';
import { http, type LogLine } from '../support/gateway-node.js';
import { ChaosRun, chaosCycles, chaosDelay, removeCgroupsOf } from './support/chaos-run.js';
import { CHAOS_FLAGS, chaosLrp, chaosTask, checkKept, controlLog, EventTap, nodeLogs, repair, SETTLE_MS, startAgain } from './support/cycle.js';
import { observe, runningInstances, settle, type Where } from './support/observe.js';
import { WriteLoad } from './support/write-load.js';

const STEADY = 'steady';
const STEADY_INSTANCES = 4;
const MODES = ['quick', 'missing', 'replaced'] as const;

describe('chaos: kill -9 of cells in a cluster', function () {
  this.timeout(120_000 + chaosCycles(4) * 60_000);
  closeClustersAfterEach();

  it('doubles nothing, leaves no orphan once the cell is back, keeps the other cells\' instances', async () => {
    const run = new ChaosRun('cell-kill', 4);
    const names = [1, 2, 3].map((n) => `chaos-${process.pid}-cell-${n}`);
    const cluster = await ClusterNodes.start({
      cells: names.map((name, i) => ({ name, zone: `z${(i % 2) + 1}`, args: ['--backend', 'process'] })),
      common: CHAOS_FLAGS,
    });
    const tap = new EventTap();
    /** the log of the cell process this cycle killed */
    let killed: Array<{ node: string; lines: LogLine[] }> = [];
    try {
      await tap.open(cluster.control.url);
      const where = (): Where => ({
        url: cluster.control.url, control: 'control', root: cluster.root.path, fakeCells: [],
        logs: () => [...killed, ...nodeLogs(cluster)], events: () => tap.events(),
      });
      const load = new WriteLoad({
        url: () => cluster.control.url, prng: run.prng.fork(), run, writers: 2, lrpsPerWriter: 2, maxInstances: 2,
        lrpBody: chaosLrp, taskBody: chaosTask,
      });
      expect((await http(cluster.control.url, 'POST', '/v1/desired_lrps', chaosLrp(STEADY, STEADY_INSTANCES))).status).to.equal(201);
      const desired = () => new Map([...load.desired(), [STEADY, STEADY_INSTANCES]]);
      await settle(run, where(), desired(), SETTLE_MS);

      for (run.cycle = 1; run.cycle <= run.cycles && run.goOn(); run.cycle++) {
        tap.newCycle();
        load.start();
        await chaosDelay(run.prng.int(100, 1500));
        const victim = run.prng.pick(names);
        const mode = run.prng.pick(MODES);
        run.context = { victim, mode };
        const before = new Map([...runningInstances(await observe(where()), [STEADY])].filter(([, i]) => i.cell !== victim));
        killed = [{ node: `${victim} (killed)`, lines: cluster.cell(victim).logs }];
        await cluster.kill9(cluster.cell(victim));
        run.count('kills');
        run.count(`mode_${mode}`);
        if (mode !== 'quick') await untilMissing(cluster, victim);
        if (mode === 'replaced') await untilSteadyRunsWithout(where(), victim);
        await startAgain(run, cluster.dataDir(victim), () => cluster.startCell(victim));
        run.count('restarts');
        await cluster.waitForCells(names, 15_000);
        await load.stop();

        await load.check();
        const { obs, violations } = await settle(run, where(), desired(), SETTLE_MS);
        checkKept(run, `kill -9 of ${victim} (${mode})`, before, runningInstances(obs, [STEADY]), { victim, mode, log: controlLog(cluster) });
        const broken = [...new Set(violations.map((v) => v.process_guid))];
        if (broken.length > 0) await repair(run, where(), load, broken, broken.includes(STEADY) ? new Map([[STEADY, STEADY_INSTANCES]]) : undefined);
        run.count('cycles');
      }
    } finally {
      run.report();
      await tap.close();
      await cluster.close();
      await removeCgroupsOf(names);
    }
    expect(run.failures.length, run.summary()).to.equal(0);
  });
});

/** Until the control node no longer lists `cell` (its TTL ran out). */
async function untilMissing(cluster: ClusterNodes, cell: string): Promise<void> {
  await eventually(async () => {
    const cells = (await http(cluster.control.url, 'GET', '/v1/cells')).json as Array<{ cell_id: string }>;
    expect(cells.map((c) => c.cell_id)).to.not.include(cell);
  }, { timeout: 10_000, interval: 50 });
}

/** Until every `steady` instance runs on a cell other than `cell`. */
async function untilSteadyRunsWithout(where: Where, cell: string): Promise<void> {
  await eventually(async () => {
    const running = [...runningInstances(await observe(where), [STEADY]).values()];
    expect(running.filter((i) => i.cell !== cell)).to.have.length(STEADY_INSTANCES);
  }, { timeout: SETTLE_MS, interval: 100 });
}
