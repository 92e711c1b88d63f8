/**
 * Faults across real processes: the control node killed and restarted, a node with the wrong
 * cluster secret, and a cell cut off shorter and longer than the cell TTL (1.5 s here).
 *
 * The cut is SIGSTOP/SIGCONT of the cell's node process: every node dials its peers at the
 * address they advertise (their bound `--listen`), so a proxy on the `--join` path carries only
 * the first join, and a one-sided cut between one cell and the control node cannot be staged
 * with a proxy without also cutting the other cells. A stopped process neither sends nor reads,
 * as behind a cut link; its containers (separate processes) keep running.
 */
import { expect } from 'chai';
import { actualRows, ClusterNodes, closeClustersAfterEach, type ActualRow } from '../../support/cluster-nodes.js';
import { consistently, eventually } from '../../support/eventually.js';
import { http, webLrp } from '../../support/gateway-node.js';

const summary = (rows: ActualRow[]) => JSON.stringify(rows.map((r) => [r.index, r.state, r.presence, r.cell_id, r.instance_guid.slice(0, 8)]));
const answers = async (row: ActualRow) => (await http(`http://127.0.0.1:${row.ports[0]!.host_port}`, 'GET', '/')).text;

async function allRunning(url: string, guid: string, n: number): Promise<ActualRow[]> {
  return eventually(async () => {
    const rows = await actualRows(url, guid);
    expect(rows.map((r) => [r.state, r.presence]), summary(rows)).to.deep.equal(Array.from({ length: n }, () => ['RUNNING', 'ORDINARY']));
    return rows;
  }, { timeout: 20_000, interval: 100 });
}

describe('the cluster across processes: control restart, secrets, cut links', function () {
  this.timeout(90_000);
  let cluster: ClusterNodes | undefined;
  closeClustersAfterEach();

  it('kill -9 control: instances keep serving; restarted with the same data, it adopts every one unchanged', async () => {
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }] });
    expect((await http(cluster.control.url, 'POST', '/v1/desired_lrps', webLrp('web', 4))).status).to.equal(201);
    const before = await allRunning(cluster.control.url, 'web', 4);

    await cluster.kill9(cluster.control);
    // longer than the TTL: the cells have long noticed the control node is gone
    for (let i = 0; i < 3; i++) {
      for (const row of before) expect(await answers(row)).to.equal(`${row.index} ${row.instance_guid}`);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }

    const control = await cluster.startControl();
    await cluster.waitForCells(['cell-1', 'cell-2']);
    const after = await allRunning(control.url, 'web', 4);
    const identity = (rows: ActualRow[]) => rows.map((r) => [r.index, r.instance_guid, r.cell_id, r.ports[0]!.host_port, r.crash_count]);
    expect(identity(after)).to.deep.equal(identity(before).map(([index, guid, cell, port]) => [index, guid, cell, port, 0]));
    // and it stays so past a convergence pass and a TTL
    await consistently(async () => expect(identity(await actualRows(control.url, 'web'))).to.deep.equal(identity(after)), { duration: 2_000, interval: 200 });
    for (const row of after) expect(await answers(row)).to.equal(`${row.index} ${row.instance_guid}`);
  });

  it('a node with a wrong --cluster-secret is refused: never a cell, its log shows the refusal', async () => {
    const secret = ['--cluster-secret', 'right-secret'];
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', args: secret }], controlArgs: secret });
    const attempt = cluster.startCell({ name: 'intruder', args: ['--cluster-secret', 'wrong-secret'] }, { timeoutMs: 4_000 }).then(
      () => 'started',
      (error: Error) => error.message,
    );
    await consistently(async () => {
      const cells = (await http(cluster!.control.url, 'GET', '/v1/cells')).json as Array<{ cell_id: string }>;
      expect(cells.map((c) => c.cell_id)).to.deep.equal(['cell-1']);
    }, { duration: 3_500, interval: 200 });
    const outcome = await attempt;
    expect(outcome).to.contain('no auctor.started within');
    expect(outcome).to.contain('"msg":"remoting.handshake-refused"');
    expect(cluster.control.output()).to.contain('"msg":"remoting.handshake-refused"');
    expect(cluster.control.output()).to.not.contain('"member":"intruder"');
  });

  it('a cut shorter than the TTL changes nothing; a longer one replaces the cut cell\'s instances, and after healing exactly the desired number runs', async () => {
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }] });
    const { url } = cluster.control;
    expect((await http(url, 'POST', '/v1/desired_lrps', webLrp('web', 4))).status).to.equal(201);
    const before = await allRunning(url, 'web', 4);
    const cut = before.filter((r) => r.cell_id === 'cell-1');
    expect(cut.length, summary(before)).to.be.above(0);
    const cell1 = cluster.cell('cell-1');

    // short: 0.6 TTL, watched the whole time and a while after
    cell1.child.kill('SIGSTOP');
    const unchanged = async () => expect(summary(await actualRows(url, 'web'))).to.equal(summary(before));
    await consistently(unchanged, { duration: 900, interval: 50 });
    cell1.child.kill('SIGCONT');
    await consistently(unchanged, { duration: 2_000, interval: 100 });
    // and the control node reaches the cell again (its membership may have taken it for down)
    const reachable = async () => ((await http(url, 'GET', '/v1/cells')).json as Array<{ cell_id: string; reachable: boolean }>).map((c) => [c.cell_id, c.reachable]);
    await eventually(async () => expect(await reachable()).to.deep.equal([['cell-1', true], ['cell-2', true]]), { timeout: 3_000, interval: 100 });

    // long: 3 TTLs; the cut cell's instances go SUSPECT, replacements run on cell-2
    const cutAt = Date.now();
    cell1.child.kill('SIGSTOP');
    await eventually(async () => {
      const rows = await actualRows(url, 'web');
      expect(rows.filter((r) => r.presence === 'SUSPECT').map((r) => r.instance_guid).sort(), summary(rows)).to.deep.equal(cut.map((r) => r.instance_guid).sort());
    }, { timeout: 5_000, interval: 50 });
    const replaced = await eventually(async () => {
      const rows = await actualRows(url, 'web');
      const ordinary = rows.filter((r) => r.presence === 'ORDINARY');
      expect(ordinary.map((r) => [r.state, r.cell_id]), summary(rows)).to.deep.equal(Array.from({ length: 4 }, () => ['RUNNING', 'cell-2']));
      return ordinary;
    }, { timeout: 10_000, interval: 100 });
    // the suspects were kept until their replacements ran, then dropped
    await eventually(async () => expect((await actualRows(url, 'web')).filter((r) => r.presence === 'SUSPECT')).to.deep.equal([]), { timeout: 5_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_500 - (Date.now() - cutAt))));
    cell1.child.kill('SIGCONT');

    // healed: cell-1 is back, the four replacements stay, and cell-1 stops its stale copies
    await cluster.waitForCells(['cell-1', 'cell-2']);
    await consistently(async () => expect(summary(await actualRows(url, 'web'))).to.equal(summary(replaced)), { duration: 3_000, interval: 100 });
    await eventually(async () => {
      for (const row of cut) {
        const error = await answers(row).then(() => undefined, (e: Error) => e);
        expect(error, `stale ${row.instance_guid} still answers`).to.be.instanceOf(Error);
      }
    }, { timeout: 10_000, interval: 200 });
    const cells = (await http(url, 'GET', '/v1/cells')).json as Array<{ cell_id: string; lrp_count: number }>;
    expect(cells.map((c) => [c.cell_id, c.lrp_count])).to.deep.equal([['cell-1', 0], ['cell-2', 4]]);
  });
});
