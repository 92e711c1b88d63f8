/**
 * The cluster across real processes (issue 6 "Done when"): a control node and cell nodes, each an
 * `auctor start` process on loopback, with small timings (heartbeat 200 ms, cell TTL 1.5 s).
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { http, webLrp } from '../../support/gateway-node.js';
import { actualRows, ClusterNodes, closeClustersAfterEach, countBy, routedLrp, startHammer } from '../../support/cluster-nodes.js';

describe('the cluster across processes: form, spread, lose a cell, drain', function () {
  this.timeout(90_000);
  let cluster: ClusterNodes | undefined;
  closeClustersAfterEach();

  it('forms: every cell is listed, and an LRP spreads over every cell and both zones', async () => {
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }, { name: 'cell-3', zone: 'z1' }] });
    const url = cluster.control.url;
    const cells = (await http(url, 'GET', '/v1/cells')).json as Array<{ cell_id: string; zone: string; reachable: boolean }>;
    expect(cells.map((c) => [c.cell_id, c.zone, c.reachable])).to.deep.equal([['cell-1', 'z1', true], ['cell-2', 'z2', true], ['cell-3', 'z1', true]]);

    expect((await http(url, 'POST', '/v1/desired_lrps', webLrp('web', 4))).status).to.equal(201);
    const rows = await eventually(async () => {
      const all = await actualRows(url, 'web');
      expect(all.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
      return all;
    }, { timeout: 20_000, interval: 100 });
    expect(Object.keys(countBy(rows, (r) => r.cell_id)).sort()).to.deep.equal(['cell-1', 'cell-2', 'cell-3']);
    // (ActualLRP rows do not carry availability_zone yet: the zone is the cell's)
    const zoneOf = new Map(cells.map((c) => [c.cell_id, c.zone]));
    expect(Object.keys(countBy(rows, (r) => zoneOf.get(r.cell_id))).sort()).to.deep.equal(['z1', 'z2']);
    // each answers on the port its cell gave it, as `<index> <instance guid>`
    for (const row of rows) {
      const answer = await http(`http://127.0.0.1:${row.ports[0]!.host_port}`, 'GET', '/');
      expect(answer.text).to.equal(`${row.index} ${row.instance_guid}`);
    }
  });

  it('kill -9 a cell: its instances run on the other cells, its running task fails', async () => {
    cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }, { name: 'cell-3', zone: 'z1' }] });
    const url = cluster.control.url;
    expect((await http(url, 'POST', '/v1/desired_lrps', webLrp('web', 6))).status).to.equal(201);
    expect((await http(url, 'POST', '/v1/tasks', { task_guid: 'long', domain: 'jobs', rootfs: 'preloaded:host', action: { run: { path: 'sleep', args: ['600'], user: 'vcap' } } })).status).to.equal(201);
    const task = await eventually(async () => {
      const t = (await http(url, 'GET', '/v1/tasks/long')).json;
      expect(t.state).to.equal('RUNNING');
      return t as { cell_id: string };
    }, { timeout: 20_000, interval: 100 });
    const before = await eventually(async () => {
      const all = await actualRows(url, 'web');
      expect(all.filter((r) => r.state === 'RUNNING')).to.have.length(6);
      return all;
    }, { timeout: 20_000, interval: 100 });
    const victim = task.cell_id;
    const lost = before.filter((r) => r.cell_id === victim);
    expect(lost.length, 'instances on the killed cell').to.be.above(0);

    await cluster.kill9(cluster.cell(victim));
    const after = await eventually(async () => {
      const all = await actualRows(url, 'web');
      expect(all, JSON.stringify(all.map((r) => [r.index, r.state, r.presence, r.cell_id]))).to.have.length(6);
      for (const r of all) expect([r.state, r.presence, r.cell_id === victim]).to.deep.equal(['RUNNING', 'ORDINARY', false]);
      return all;
    }, { timeout: 20_000, interval: 100 });
    // the instances that were elsewhere were not touched
    const kept = before.filter((r) => r.cell_id !== victim).map((r) => r.instance_guid).sort();
    expect(after.filter((r) => kept.includes(r.instance_guid))).to.have.length(kept.length);
    expect(after.filter((r) => lost.some((l) => l.index === r.index)).every((r) => !lost.some((l) => l.instance_guid === r.instance_guid))).to.equal(true);
    const failed = await eventually(async () => {
      const t = (await http(url, 'GET', '/v1/tasks/long')).json;
      expect(t.state).to.equal('COMPLETED');
      return t;
    }, { timeout: 10_000, interval: 100 });
    expect(failed).to.include({ failed: true, failure_reason: 'cell disappeared before completion' });
    const cells = (await http(url, 'GET', '/v1/cells')).json as Array<{ cell_id: string }>;
    expect(cells.map((c) => c.cell_id)).to.not.include(victim);
  });

  for (const how of ['POST /v1/cells/:id/evacuate', 'SIGTERM to the cell process'] as const) {
    it(`drain (${how}): the instance moves with no failed request through the router`, async () => {
      cluster = await ClusterNodes.start({ cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }] });
      const { url, router } = cluster.control;
      expect((await http(url, 'POST', '/v1/desired_lrps', routedLrp('web', 1, 'web.test'))).status).to.equal(201);
      const [first] = await eventually(async () => {
        const all = await actualRows(url, 'web');
        expect(all.map((r) => r.state)).to.deep.equal(['RUNNING']);
        return all;
      }, { timeout: 20_000, interval: 100 });
      const drained = first!.cell_id;
      const hammer = startHammer(router!, 'web.test');
      await eventually(() => expect(hammer.ok).to.be.above(20), { timeout: 10_000 });

      if (how === 'SIGTERM to the cell process') {
        expect(await cluster.cell(drained).stop()).to.equal(0);
        expect(cluster.cell(drained).logs.some((l) => l.msg === 'auctor.drained')).to.equal(true);
      } else {
        expect((await http(url, 'POST', `/v1/cells/${drained}/evacuate`)).status).to.equal(202);
      }
      const [moved] = await eventually(async () => {
        const all = await actualRows(url, 'web');
        expect(all.map((r) => [r.state, r.presence, r.cell_id === drained])).to.deep.equal([['RUNNING', 'ORDINARY', false]]);
        return all;
      }, { timeout: 20_000, interval: 100 });
      const okBefore = hammer.ok;
      // the router serves the new instance
      await eventually(() => expect(hammer.bodies.has(`0 ${moved!.instance_guid}`)).to.equal(true), { timeout: 5_000 });
      await eventually(() => expect(hammer.ok).to.be.above(okBefore + 20), { timeout: 5_000 });
      const result = await hammer.stop();
      expect(result.failures, result.failures.slice(0, 5).join('; ')).to.deep.equal([]);
      expect(result.bodies).to.include(`0 ${first!.instance_guid}`);
      expect(result.bodies).to.include(`0 ${moved!.instance_guid}`);
      // the old container is gone: its port no longer answers
      await eventually(async () => {
        const error = await http(`http://127.0.0.1:${first!.ports[0]!.host_port}`, 'GET', '/').then(() => undefined, (e: Error) => e);
        expect(error, 'the drained instance still answers').to.be.instanceOf(Error);
      }, { timeout: 10_000, interval: 100 });
    });
  }
});
