/**
 * Chaos, scenario 1: kill -9 of a node that runs control and cell (`auctor start`, the `process`
 * backend, real LMDB, real containers) under write load, in a loop.
 *
 * Each cycle: three writers desire, scale (PATCH), delete LRPs and create and resolve tasks as
 * fast as the node answers; after a random delay (0.1-1.5 s, from the seeded PRNG) the node gets
 * SIGKILL, wherever it is: in an LMDB commit, writing a container's `process.json`, saving the
 * output offsets every process has (the LRPs print a line a second). Then it is started again on
 * the same data dir, and the cycle checks:
 * - `node-starts`: it starts (else the JSON files that no longer parse are the evidence);
 * - `acknowledged-write-kept`: every 2xx write reads back (write-load.ts);
 * - the placement invariants once things had SETTLE_MS to converge (observe.ts): no doubled row
 *   or process, no orphan process, no RUNNING row without its process, no row beyond
 *   `instances`, every desired instance RUNNING;
 * - `healthy-instance-kept`: the two instances of `steady`, an LRP nothing writes to, keep their
 *   instance guids: the restarted node adopts them, it does not restart them.
 *
 * `CHAOS_CYCLES` sets the number of cycles (default 4), `CHAOS_SEED` replays a run.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { killProcessesUnder } from '../support/cluster-nodes.js';
import { http, startNode, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';
import { ChaosRun, chaosCycles, chaosDelay, removeCgroupsOf } from './support/chaos-run.js';
import { CHAOS_FLAGS, chaosLrp, chaosTask, checkKept, EventTap, repair, SETTLE_MS, startAgain } from './support/cycle.js';
import { runningInstances, settle, type Where } from './support/observe.js';
import { WriteLoad } from './support/write-load.js';

const STEADY = 'steady';
const STEADY_INSTANCES = 2;

describe('chaos: kill -9 of a control+cell node under write load', function () {
  this.timeout(120_000 + chaosCycles(4) * 60_000);

  it('loses no acknowledged write, doubles and orphans nothing, keeps healthy instances, always starts again', async () => {
    const run = new ChaosRun('node-kill', 4);
    const root = tempDir('auctor-chaos-');
    const name = `chaos-node-${process.pid}`;
    const dataDir = join(root.path, name);
    const start = () => startNode(dataDir, ['--name', name, '--roles', 'control,cell', '--backend', 'process', ...CHAOS_FLAGS]);
    let node: NodeProcess | undefined;
    const tap = new EventTap();
    try {
      node = await start();
      await tap.open(node.url);
      const where = (): Where => ({ url: node!.url, control: name, root: root.path, fakeCells: [], logs: () => [{ node: name, lines: node!.logs }], events: () => tap.events() });
      const load = new WriteLoad({
        url: () => node!.url, prng: run.prng.fork(), run, writers: 3, lrpsPerWriter: 2, maxInstances: 2,
        lrpBody: chaosLrp, taskBody: chaosTask,
      });
      expect((await http(node.url, 'POST', '/v1/desired_lrps', chaosLrp(STEADY, STEADY_INSTANCES))).status).to.equal(201);
      const desired = () => new Map([...load.desired(), [STEADY, STEADY_INSTANCES]]);
      let steady = runningInstances((await settle(run, where(), desired(), SETTLE_MS)).obs, [STEADY]);

      for (run.cycle = 1; run.cycle <= run.cycles && run.goOn(); run.cycle++) {
        tap.newCycle();
        load.start();
        const after = run.prng.int(100, 1500);
        run.context = { kill_after_ms: after };
        await chaosDelay(after);
        await node.kill9();
        run.count('kills');
        await load.stop();

        node = await startAgain(run, dataDir, start);
        run.count('restarts');
        await tap.open(node.url);
        await load.check();
        const { obs, violations } = await settle(run, where(), desired(), SETTLE_MS);
        const kept = runningInstances(obs, [STEADY]);
        checkKept(run, 'a kill -9 and restart of the node', steady, kept, { rows: obs.rows.filter((r) => r.process_guid === STEADY), log: restartLog(node) });
        steady = kept;

        const broken = [...new Set(violations.map((v) => v.process_guid))];
        if (broken.length > 0) {
          await repair(run, where(), load, broken, broken.includes(STEADY) ? new Map([[STEADY, STEADY_INSTANCES]]) : undefined);
          steady = runningInstances((await settle(run, where(), desired(), SETTLE_MS)).obs, [STEADY]);
        }
        run.count('cycles');
      }
    } finally {
      run.report();
      await tap.close();
      await node?.kill9();
      killProcessesUnder(root.path);
      await removeCgroupsOf([name]);
      root.remove();
    }
    expect(run.failures.length, run.summary()).to.equal(0);
  });
});

/** The restarted node's log lines about adoption and crashes, for the evidence. */
function restartLog(node: NodeProcess): unknown[] {
  return node.logs.filter((l) => /adopt|crash|destroy|garden|stopp/.test(l.msg)).slice(0, 30);
}
