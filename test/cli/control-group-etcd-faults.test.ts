/**
 * etcd faults across processes (issue 16's chaos cases, short form; real etcd): the active cut
 * off from etcd alone turns read-only before the standby wins, and steps down once it sees the
 * new active; etcd restarted within the TTL changes nothing (the same active, the same term,
 * writes go on). etcd down past the TTL: control-group-etcd-down.test.ts.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { http, type NodeProcess } from '../support/gateway-node.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { nodeProcesses } from '../support/node-processes.js';

const TTL_MS = 2000;

describe('control group and etcd faults (real etcd)', function () {
  this.timeout(60_000);
  const etcd = withEtcd(this);
  const nodes = nodeProcesses();
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  const member = async (name: string, etcdAddress = etcd.current().endpoint, ttlMs = TTL_MS) => {
    const seed = nodes.first ? ['--join', nodes.first.listen] : [];
    // two nodes: with --sync-standbys 1 the first active (no standby yet) and the survivor of a
    // failover acknowledge nothing until a standby is back (docs/054); one synchronous standby
    // is control-group-shipping.test.ts's
    return nodes.start(['--roles', 'control', '--name', name, '--router', 'off', '--log-format', 'json', '--sync-standbys', '0', '--leader-ttl-ms', String(ttlMs), '--etcd', etcdAddress, ...seed]);
  };
  const write = (node: NodeProcess) => http(node.url, 'PUT', '/v1/domains/apps', { ttl: 0 }).catch(() => undefined);
  const leaderOf = async (node: NodeProcess) => {
    const answer = await http(node.url, 'GET', '/v1/leader');
    expect(answer.status, answer.text).to.equal(200);
    return answer.json as { name: string; term: number };
  };

  it('the active cut off from etcd alone turns read-only before the standby is elected, then steps down (exit 3)', async () => {
    const proxy = await startTcpProxy(etcd.current().endpoint);
    proxies.push(proxy);
    const a = await member('cg-a', proxy.address);
    await eventually(async () => expect((await write(a))?.status).to.equal(204), { timeout: 10_000, interval: 50 });
    const b = await member('cg-b');
    const exited = new Promise<number | null>((resolve) => a.child.once('exit', (code) => resolve(code)));
    proxy.cut();
    await eventually(async () => expect((await write(b))?.status).to.equal(204), { timeout: TTL_MS + 3000, interval: 20 });
    expect(await exited).to.equal(3);
    // when it stopped holding (the fence itself), not when the line was written a turn or more later
    const readOnly = Number((await a.waitForLog('control-group.read-only')).since);
    const elected = Number((await b.waitForLog('control-group.elected')).time);
    // one machine, one clock: the old active stopped acknowledging before the new one was elected
    expect(readOnly).to.be.below(elected);
    // and it saw the new active (in the membership: etcd is still out of its reach)
    await a.waitForLog('control-group.another-active');
  });

  it('etcd restarted within the TTL: the same active in the same term, and writes go on', async () => {
    // the default TTL: room for etcd's restart (about 0.5 s here) within it
    const a = await member('cg-a', etcd.current().endpoint, 3000);
    await eventually(async () => expect((await write(a))?.status).to.equal(204), { timeout: 10_000, interval: 50 });
    const b = await member('cg-b', etcd.current().endpoint, 3000);
    const before = await eventually(() => leaderOf(b), { timeout: 5000, interval: 50 });
    await etcd.restart();
    // within the TTL (a full run saw one request fail outright as etcd came back, no answer at all)
    await eventually(async () => expect((await write(a))?.status).to.equal(204), { timeout: 3000, interval: 50 });
    await eventually(async () => expect(await leaderOf(b)).to.deep.equal(before), { timeout: 5000, interval: 50 });
    expect(await leaderOf(a)).to.deep.equal(before);
    expect(a.child.exitCode).to.equal(null);
    expect(a.output()).to.not.contain('control-group.stepped-down');
  });
});
