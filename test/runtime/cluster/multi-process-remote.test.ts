/**
 * Remote query and death-watch across real processes, driven through the control node's gateway:
 * an ask to an actor on a cell node is answered across the process boundary; an ask waiting on a
 * node that dies fails as soon as membership declares the node down, not at its own timeout.
 */
import { expect } from 'chai';
import { ClusterNodes, closeClustersAfterEach } from '../../support/cluster-nodes.js';
import { eventually } from '../../support/eventually.js';
import { http } from '../../support/gateway-node.js';

describe('remote query and death-watch across processes', function () {
  this.timeout(60_000);
  let cluster: ClusterNodes | undefined;
  closeClustersAfterEach();

  it('asks a cell actor in another process; a pending ask fails fast when that node dies', async () => {
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }] });
    const ask = (timeoutMs: number) =>
      http(cluster!.control.url, 'POST', `/v1/actors/cell-1/cell-cell-1/messages?ask=true&timeout_ms=${timeoutMs}`, { type: 'cell/state' });

    const answered = await ask(5_000);
    expect(answered.status, answered.text).to.equal(200);
    expect(answered.json.reply).to.include({ cell_id: 'cell-1', zone: 'z1' });
    expect(answered.json.reply.total_resources.containers).to.be.a('number');

    // a paused node answers nothing: the ask waits; killing it lets membership declare it down
    const cell = cluster.cell('cell-1');
    cell.child.kill('SIGSTOP');
    const started = Date.now();
    const pending = ask(30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    cell.child.kill('SIGKILL');
    const failed = await pending;
    const elapsed = Date.now() - started;
    expect(failed.status, failed.text).to.equal(503);
    expect(failed.json.error.type).to.equal('Unavailable');
    // far sooner than the ask's own 30 s: the node was declared down (heartbeats of 200 ms here)
    expect(elapsed).to.be.below(10_000);
    await eventually(async () => {
      const members = (await http(cluster!.control.url, 'GET', '/v1/members')).json as Array<{ name: string; status: string }>;
      expect(members.find((m) => m.name === 'cell-1')?.status).to.equal('down');
    }, { timeout: 10_000 });
  });
});
