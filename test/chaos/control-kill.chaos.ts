/**
 * Chaos, scenario 3: kill -9 of the control node in a cluster, in a loop. One control node and
 * three cells, each its own `auctor start` process on loopback (TTL 1.5 s): two on the `fake`
 * backend (containers in memory; what they hold is read from their cell actor) and one on the
 * `process` backend.
 *
 * Each cycle: two writers desire, scale and delete LRPs; after a random delay the control node
 * gets SIGKILL; it stays down for a random 0-4 s (long enough, at the upper end, for the cells'
 * reconnect backoff to grow past the TTL) and is started again on its data dir and remoting
 * address. The cells never stop. Once it lists every cell again and its convergence has made a
 * pass (the first one is where a cell not heard from yet would be taken for lost), the cycle
 * checks:
 * - `node-starts`, `acknowledged-write-kept` (write-load.ts);
 * - `healthy-instance-kept`: every `steady` instance RUNNING before the kill still runs with the
 *   same instance guid: a control restart restarts nothing on a live cell;
 * - the placement invariants (observe.ts), over the fake cells' containers and the process
 *   cell's processes: nothing doubled, no orphan, no RUNNING row without its container.
 *
 * `CHAOS_CYCLES` sets the number of cycles (default 4), `CHAOS_SEED` replays a run.
 */
import { expect } from 'chai';
import { ClusterNodes, closeClustersAfterEach } from '../support/cluster-nodes.js';
import { eventually } from '../support/eventually.js';
import { http, type LogLine } from '../support/gateway-node.js';
import { ChaosRun, chaosCycles, chaosDelay, removeCgroupsOf } from './support/chaos-run.js';
import { CHAOS_FLAGS, chaosLrp, checkKept, controlLog, EventTap, nodeLogs, repair, SETTLE_MS, startAgain } from './support/cycle.js';
import { observe, runningInstances, settle, type Where } from './support/observe.js';
import { WriteLoad } from './support/write-load.js';

const STEADY = 'steady';
const STEADY_INSTANCES = 6;

describe('chaos: kill -9 of the control node in a cluster', function () {
  this.timeout(120_000 + chaosCycles(4) * 60_000);
  closeClustersAfterEach();

  it('restarts no healthy instance, loses no acknowledged write, doubles and orphans nothing', async () => {
    const run = new ChaosRun('control-kill', 4);
    const fake = [`chaos-${process.pid}-fake-1`, `chaos-${process.pid}-fake-2`];
    const proc = `chaos-${process.pid}-proc`;
    const names = [...fake, proc];
    const cluster = await ClusterNodes.start({
      cells: [
        ...fake.map((name, i) => ({ name, zone: `z${i + 1}`, args: ['--backend', 'fake'] })),
        { name: proc, zone: 'z1', args: ['--backend', 'process'] },
      ],
      common: CHAOS_FLAGS,
    });
    const tap = new EventTap();
    /** the log of the control process this cycle killed */
    let killed: Array<{ node: string; lines: LogLine[] }> = [];
    try {
      await tap.open(cluster.control.url);
      const where = (): Where => ({
        url: cluster.control.url, control: 'control', root: cluster.root.path, fakeCells: fake,
        logs: () => [...killed, ...nodeLogs(cluster)], events: () => tap.events(),
      });
      const load = new WriteLoad({ url: () => cluster.control.url, prng: run.prng.fork(), run, writers: 2, lrpsPerWriter: 2, maxInstances: 3, lrpBody: chaosLrp });
      expect((await http(cluster.control.url, 'POST', '/v1/desired_lrps', chaosLrp(STEADY, STEADY_INSTANCES))).status).to.equal(201);
      const desired = () => new Map([...load.desired(), [STEADY, STEADY_INSTANCES]]);
      await settle(run, where(), desired(), SETTLE_MS);

      for (run.cycle = 1; run.cycle <= run.cycles && run.goOn(); run.cycle++) {
        tap.newCycle();
        const before = runningInstances(await observe(where()), [STEADY]);
        load.start();
        await chaosDelay(run.prng.int(100, 1500));
        killed = [{ node: 'control (killed)', lines: cluster.control.logs }];
        await cluster.kill9(cluster.control);
        run.count('kills');
        await load.stop();
        const down = run.prng.int(0, 4000);
        run.context = { down_ms: down };
        await chaosDelay(down);

        await startAgain(run, cluster.dataDir('control'), () => cluster.startControl());
        run.count('restarts');
        await tap.open(cluster.control.url);
        await cluster.waitForCells(names, 15_000);
        await load.check();
        await untilConvergencePass(cluster);
        const { obs, violations } = await settle(run, where(), desired(), SETTLE_MS);
        checkKept(run, `a control kill -9 and restart (down ${down} ms)`, before, runningInstances(obs, [STEADY]), { down_ms: down, log: controlLog(cluster) });
        const broken = [...new Set(violations.map((v) => v.process_guid))];
        if (broken.length > 0) await repair(run, where(), load, broken, broken.includes(STEADY) ? new Map([[STEADY, STEADY_INSTANCES]]) : undefined);
        run.count('cycles');
      }
    } finally {
      run.report();
      await tap.close();
      await cluster.close();
      await removeCgroupsOf([proc]);
    }
    expect(run.failures.length, run.summary()).to.equal(0);
  });
});

/** Until the restarted control node's convergence has made its first pass. */
async function untilConvergencePass(cluster: ClusterNodes): Promise<void> {
  await eventually(async () => {
    const answer = await http(cluster.control.url, 'GET', '/v1/actors/control/control/convergence');
    expect(answer.json?.summary?.passes, answer.text).to.be.at.least(1);
  }, { timeout: 15_000, interval: 100 });
}
