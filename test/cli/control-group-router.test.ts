/**
 * The router of every control node in a group (issue 16, docs/054): a standby's router reads the
 * active's routes, so a load balancer in front of every control node's `--router` reaches the
 * apps through any of them, and keeps reaching them through a failover. Real etcd (skipped
 * without `etcd` on PATH), two control processes and a cell process running a real app.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { FAST_FLAGS, http, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { nodeProcesses } from '../support/node-processes.js';

describe('a control group: the router of every control node (real etcd)', function () {
  this.timeout(90_000);
  const etcd = withEtcd(this);
  const nodes = nodeProcesses();
  const start = (args: string[]) => nodes.start([...args, '--log-format', 'json', ...FAST_FLAGS]);
  const control = (name: string, join?: NodeProcess) =>
    start(['--roles', 'control', '--name', name, '--etcd', etcd.current().endpoint, '--leader-ttl-ms', '2000', '--sync-standbys', '0', ...(join ? ['--join', join.listen] : [])]);
  const leaderOf = async (node: NodeProcess) => ((await http(node.url, 'GET', '/v1/leader')).json as { name?: string }).name;
  const via = (node: NodeProcess) => http(node.router!, 'GET', '/', undefined, { host: 'web.example' });

  it("a standby's router routes by the active's routes, and goes on routing when the active is killed", async () => {
    const a = await control('cg-a');
    await eventually(async () => expect(await leaderOf(a)).to.equal('cg-a'), { timeout: 10_000, interval: 50 });
    const b = await control('cg-b', a);
    expect(b.router, 'a standby runs a router too').to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    await start(['--roles', 'cell', '--name', 'cell-1', '--join', a.listen]);
    await eventually(async () => expect((await http(a.url, 'GET', '/v1/cells')).json).to.have.length(1), { timeout: 10_000 });

    const created = await http(a.url, 'POST', '/v1/desired_lrps', { ...webLrp('web', 1), routes: { 'cf-router': [{ hostnames: ['web.example'], port: 8080 }] } });
    expect(created.status, created.text).to.equal(201);
    const guid = await eventually(async () => {
      const rows = (await http(a.url, 'GET', '/v1/actual_lrps/web')).json as Array<{ state: string; instance_guid: string }>;
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING']);
      return rows[0]!.instance_guid;
    }, { timeout: 20_000 });

    // through either router: the standby's learned the route from the active's event stream
    await eventually(async () => expect((await via(b)).text).to.equal(`0 ${guid}`), { timeout: 10_000 });
    expect((await via(a)).text).to.equal(`0 ${guid}`);

    // the active dies: the standby's router keeps routing by the routes it has, then by its own once it leads
    await a.kill9();
    nodes.forget(a);
    const during = await via(b);
    expect([during.status, during.text]).to.deep.equal([200, `0 ${guid}`]);
    await eventually(async () => expect(await leaderOf(b)).to.equal('cg-b'), { timeout: 10_000, interval: 100 });
    await eventually(() => expect(b.output()).to.contain('control-group.active'), { timeout: 10_000 });
    // its own control side now: a scale-up is routed by the new active's router
    await eventually(async () => expect((await http(b.url, 'PATCH', '/v1/desired_lrps/web', { instances: 2 })).status).to.equal(200), { timeout: 15_000 });
    await eventually(async () => {
      const answers = new Set<string>();
      for (let i = 0; i < 4; i++) answers.add((await via(b)).text.split(' ')[0]!);
      expect([...answers].sort()).to.deep.equal(['0', '1']);
    }, { timeout: 20_000 });
    // the instance that ran before the failover was never restarted
    const rows = (await http(b.url, 'GET', '/v1/actual_lrps/web')).json as Array<{ index: number; instance_guid: string }>;
    expect(rows.find((r) => r.index === 0)?.instance_guid).to.equal(guid);
  });
});
