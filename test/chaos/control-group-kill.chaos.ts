/**
 * Chaos, scenario 4 (issue 16): kill -9 of the ACTIVE of a control group, in a loop, with cells.
 * A local etcd, three control nodes (`--roles control --etcd`, `--sync-standbys 1`, the default
 * TTL 3000) and two cells (one `fake` backend, one `process`), each its own `auctor start`.
 *
 * Each cycle: writers desire, scale and delete LRPs through the active (write-load.ts's ledger);
 * after a random delay the active gets SIGKILL. A probe writes to every survivor until one
 * acknowledges (its 2xx is the failover's end: `failover_ms` from the kill). The killed node is
 * started again on its data dir and remoting address and must rejoin as a caught-up standby of
 * the new active. The cells never stop. Once the new active lists both cells and its convergence
 * has made a pass, the cycle checks:
 * - `acknowledged-write-kept` (write-load.ts): every 2xx the old active gave is read back from
 *   the new one (`lost` in the figures);
 * - `healthy-instance-kept`: every `steady` instance RUNNING before the kill still runs with the
 *   same instance guid and, on the process cell, the same process (`instances_restarted`);
 * - the placement invariants (observe.ts).
 *
 * `CHAOS_CYCLES` sets the number of kills (default 3; the issue's long form is 100),
 * `CHAOS_SEED` replays the choices. Skipped without `etcd` on PATH.
 */
import { expect } from 'chai';
import { ETCD_INSTALL_HINT, etcdInstalled } from '../../src/cli/local-etcd.js';
import { eventually } from '../support/eventually.js';
import { http, type LogLine, type NodeProcess } from '../support/gateway-node.js';
import { ChaosRun, chaosCycles, chaosDelay, removeCgroupsOf } from './support/chaos-run.js';
import { ControlGroupCluster } from '../support/control-group-cluster.js';
import { CHAOS_FLAGS, chaosLrp, checkKept, repair, SETTLE_MS, startAgain } from './support/cycle.js';
import { liveProcesses, observe, runningInstances, settle, type Where } from './support/observe.js';
import { WriteLoad } from './support/write-load.js';

const STEADY = 'steady';
const STEADY_INSTANCES = 6;
const TTL_MS = 3000;
const CONTROLS = ['cg-1', 'cg-2', 'cg-3'];

describe('chaos: kill -9 of the active of a control group, with cells (real etcd)', function () {
  this.timeout(180_000 + chaosCycles(3) * 60_000);
  before(function () {
    if (!etcdInstalled()) {
      console.warn(`      skipped: no etcd on PATH (${ETCD_INSTALL_HINT})`);
      this.skip();
    }
  });

  it('loses no acknowledged write and restarts no healthy instance, each kill failing over to a standby', async () => {
    const run = new ChaosRun('control-group-kill', 3);
    const fake = `chaos-${process.pid}-fake`;
    const proc = `chaos-${process.pid}-proc`;
    const group = await ControlGroupCluster.start({
      controls: CONTROLS,
      cells: [{ name: fake, zone: 'z1', args: ['--backend', 'fake'] }, { name: proc, zone: 'z2', args: ['--backend', 'process'] }],
      common: CHAOS_FLAGS,
      leaderTtlMs: TTL_MS,
      syncStandbys: 1,
    });
    const failovers: number[] = [];
    try {
      let { node: active, leader } = await group.active();
      /** the log of the control process this cycle killed, for the evidence */
      let killed: Array<{ node: string; lines: LogLine[] }> = [];
      const where = (): Where => ({
        url: active.url, control: active.name, root: group.root.path, fakeCells: [fake],
        logs: () => [...killed, ...[...group.controls, ...group.cells].map(([node, n]) => ({ node, lines: n.logs }))],
      });
      const load = new WriteLoad({ url: () => active.url, prng: run.prng.fork(), run, writers: 4, lrpsPerWriter: 2, maxInstances: 2, lrpBody: chaosLrp });
      expect((await http(active.url, 'POST', '/v1/desired_lrps', chaosLrp(STEADY, STEADY_INSTANCES))).status).to.equal(201);
      const desired = () => new Map([...load.desired(), [STEADY, STEADY_INSTANCES]]);
      await settle(run, where(), desired(), 30_000);

      for (run.cycle = 1; run.cycle <= run.cycles && run.goOn(); run.cycle++) {
        const obsBefore = await observe(where());
        const before = runningInstances(obsBefore, [STEADY]);
        const pidsBefore = steadyPids(group.root.path);
        load.start();
        await chaosDelay(run.prng.int(300, 1500));
        const victim = active;
        killed = [{ node: `${victim.name} (killed)`, lines: victim.logs }];
        const killedAt = Date.now();
        await victim.kill9();
        run.count('kills');
        await load.stop();
        run.context = { killed: victim.name, term: leader.term };

        // the failover ends when a survivor acknowledges a write
        const survivors = group.liveControls();
        const next = await eventually(async () => {
          const answers = await Promise.all(survivors.map(async (n) => ({ n, answer: await http(n.url, 'PUT', '/v1/domains/failover-probe', { ttl: 0 }).catch(() => undefined) })));
          const acked = answers.find((a) => a.answer?.status === 204);
          if (!acked) throw new Error(`no survivor acknowledges: ${answers.map((a) => `${a.n.name} ${a.answer?.status ?? 'no answer'}`).join(', ')}`);
          return acked.n;
        }, { timeout: TTL_MS + 15_000, interval: 20 });
        failovers.push(Date.now() - killedAt);
        const now = await group.active(next);
        if (now.node !== next || now.leader.term <= leader.term) throw new Error(`${next.name} acknowledged, but names ${JSON.stringify(now.leader)} (the term before: ${leader.term})`);
        ({ node: active, leader } = now);

        // the killed node rejoins on its data, as a standby of the new active, and catches up
        const back = await startAgain(run, group.dataDir(victim.name), () => group.startControl(victim.name));
        run.count('restarts');
        await eventually(async () => expect((await group.leaderOf(back))?.name).to.equal(active.name), { timeout: 15_000, interval: 50 });
        await eventually(() => expect(back.logs.some((l) => l.msg === 'replication.caught-up' && l.primary === active.name), `${back.name} caught up with ${active.name}: ${replicationLines(back, active)}`).to.equal(true), { timeout: 30_000, interval: 50 });
        // an unacknowledged tail it wrote before the kill is replaced by a copy of the new active's store
        if (back.logs.some((l) => l.msg === 'replication.received-copy')) run.count('rejoined_by_copy');

        await group.waitForCells(active, [fake, proc]);
        await load.check();
        await untilConvergencePass(active);
        const { obs, violations } = await settle(run, where(), desired(), SETTLE_MS);
        const after = runningInstances(obs, [STEADY]);
        const pidsAfter = steadyPids(group.root.path);
        const replaced = [...before].filter(([slot, b]) => after.get(slot)?.instance_guid !== b.instance_guid).length;
        const respawned = [...pidsBefore].filter(([guid, pid]) => pidsAfter.has(guid) && pidsAfter.get(guid) !== pid);
        run.count('instances_restarted', replaced + respawned.length);
        checkKept(run, `a kill -9 of the active ${victim.name}`, before, after, { pids_before: [...pidsBefore], pids_after: [...pidsAfter] });
        if (respawned.length > 0) run.fail('healthy-instance-kept', `${respawned.length} steady process(es) on the process cell started again under the same instance guid`, { respawned, pids_after: [...pidsAfter] });
        // the next cycle is judged on its own: the LRPs concerned are deleted (the steady one desired again)
        const broken = [...new Set(violations.map((v) => v.process_guid))];
        if (broken.length > 0) await repair(run, where(), load, broken, broken.includes(STEADY) ? new Map([[STEADY, STEADY_INSTANCES]]) : undefined);
        run.count('cycles');
      }
    } finally {
      const sorted = [...failovers].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0; // nearest rank
      Object.assign(run.figures, {
        lost: run.failures.filter((f) => f.invariant === 'acknowledged-write-kept').length,
        failover_ms_median: at(0.5), failover_ms_p90: at(0.9), failover_ms_max: sorted[sorted.length - 1] ?? 0,
      });
      console.log(`      failover ms per kill: ${failovers.join(', ')}`);
      run.report();
      await group.close();
      await removeCgroupsOf([proc]);
    }
    expect(run.failures.length, run.summary()).to.equal(0);
  });
});

/** The process cell's `steady` processes: instance guid → pid. */
function steadyPids(root: string): Map<string, number> {
  return new Map(liveProcesses(root).filter((c) => c.process_guid === STEADY).map((c) => [c.instance_guid, c.pid!]));
}

/** Until the active's convergence has made its first pass (the new active's fair window for the cells is over). */
async function untilConvergencePass(active: NodeProcess): Promise<void> {
  await eventually(async () => {
    const answer = await http(active.url, 'GET', `/v1/actors/${active.name}/control/convergence`);
    expect(answer.json?.summary?.passes, answer.text).to.be.at.least(1);
  }, { timeout: 15_000, interval: 100 });
}

/** The replication and control-group log lines of `nodes`, for the evidence. */
function replicationLines(...nodes: NodeProcess[]): string {
  return nodes.map((n) => `\n${n.name}:\n${n.logs.filter((l) => /^(replication|control-group)\./.test(l.msg)).slice(-30).map((l) => JSON.stringify(l)).join('\n')}`).join('');
}
