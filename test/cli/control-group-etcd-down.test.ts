/**
 * etcd down longer than the TTL (issue 16's chaos case; real etcd, real node processes): no
 * failover; the active turns read-only at its deadline (writes 503 with Retry-After, nothing
 * applied; reads served from its own state); the cell's instances are untouched; when etcd is
 * back the same active carries on and acknowledges again.
 */
import { expect } from 'chai';
import { consistently, eventually } from '../support/eventually.js';
import { Etcd3 } from 'etcd3';
import { withEtcd } from '../support/etcd.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { FAST_FLAGS, http, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { nodeProcesses } from '../support/node-processes.js';

const TTL_MS = 2000;

interface Actual {
  index: number;
  instance_guid: string;
  state: string;
}

describe('control group with etcd down longer than the TTL (real etcd)', function () {
  this.timeout(90_000);
  const etcd = withEtcd(this);
  const nodes = nodeProcesses();
  const node = (args: string[]) => nodes.start([...args, '--router', 'off', '--log-format', 'json', ...FAST_FLAGS]);
  const control = (name: string, join?: NodeProcess, { endpoint = etcd.current().endpoint, syncStandbys = 0 } = {}) =>
    node(['--roles', 'control', '--name', name, '--sync-standbys', String(syncStandbys), '--leader-ttl-ms', String(TTL_MS), '--etcd', endpoint, ...(join ? ['--join', join.listen] : [])]);
  const desireWeb = async (on: NodeProcess) => {
    expect((await http(on.url, 'POST', '/v1/desired_lrps', { ...webLrp('web', 2), check_definition: undefined })).status).to.equal(201);
    return eventually(async () => {
      const now = await instances(on);
      expect(now.map((i) => i.state)).to.deep.equal(['RUNNING', 'RUNNING']);
      return now;
    }, { timeout: 15_000, interval: 100 });
  };
  const instances = async (on: NodeProcess) => {
    const answer = await http(on.url, 'GET', '/v1/actual_lrps/web');
    expect(answer.status, answer.text).to.equal(200);
    return (answer.json as Actual[]).map(({ index, instance_guid, state }) => ({ index, instance_guid, state })).sort((x, y) => x.index - y.index);
  };
  const domains = async (on: NodeProcess) => (await http(on.url, 'GET', '/v1/domains')).json as string[];

  it('the active turns read-only (writes 503 + Retry-After, reads served), the cell is untouched, and it carries on when etcd returns (one synchronous standby)', async () => {
    const a = await control('cg-a', undefined, { syncStandbys: 1 });
    await eventually(async () => expect((await http(a.url, 'GET', '/v1/leader')).status).to.equal(200), { timeout: 10_000, interval: 50 });
    const b = await control('cg-b', a, { syncStandbys: 1 });
    // acknowledged once the standby is caught up
    await eventually(async () => expect((await http(a.url, 'PUT', '/v1/domains/apps', { ttl: 0 })).status).to.equal(204), { timeout: 15_000, interval: 50 });
    await node(['--roles', 'cell', '--name', 'cell-1', '--backend', 'fake', '--join', a.listen]);
    const running = await desireWeb(a);
    const { term } = (await http(a.url, 'GET', '/v1/leader')).json as { term: number };

    await etcd.current().stop();
    // (a write under way at the deadline gets a 503 without Retry-After: its outcome is unknown)
    await eventually(async () => {
      const answer = await http(a.url, 'PUT', '/v1/domains/probe', { ttl: 0 });
      expect([answer.status, answer.headers['retry-after']]).to.deep.equal([503, '1']);
      expect(answer.json.error.message).to.contain('read-only');
    }, { timeout: TTL_MS + 1000, interval: 20 });
    await a.waitForLog('control-group.read-only');
    // past the TTL and more: no failover, writes refused before anything is applied, reads served from the active's state
    await consistently(async () => {
      const refused = await http(a.url, 'PUT', '/v1/domains/while-down', { ttl: 0 });
      expect([refused.status, refused.headers['retry-after']]).to.deep.equal([503, '1']);
      expect((await http(a.url, 'POST', '/v1/desired_lrps', webLrp('while-down', 1))).status).to.equal(503);
      expect(await instances(a)).to.deep.equal(running);
      expect(a.child.exitCode).to.equal(null);
      expect(b.output()).to.not.contain('control-group.elected');
    }, { duration: 2 * TTL_MS, interval: 200 });

    await etcd.restart();
    await eventually(async () => expect((await http(a.url, 'PUT', '/v1/domains/after', { ttl: 0 })).status).to.equal(204), { timeout: 10_000, interval: 50 });
    const leader = (await http(a.url, 'GET', '/v1/leader')).json as { name: string; term: number };
    expect(leader.name).to.equal('cg-a');
    expect(leader.term).to.be.at.least(term);
    await eventually(async () => expect(((await http(b.url, 'GET', '/v1/leader')).json as { name: string }).name).to.equal('cg-a'), { timeout: 5000, interval: 50 });
    expect(a.child.exitCode).to.equal(null);
    expect(a.output()).to.not.contain('control-group.stepped-down');
    // nothing refused was applied; the instances never restarted
    expect(await domains(a)).to.include.members(['apps', 'after']).and.not.include('while-down');
    expect((await http(a.url, 'GET', '/v1/desired_lrps/while-down')).status).to.equal(404);
    expect(await instances(a)).to.deep.equal(running);
  });

  it('an active whose lease etcd expired meanwhile (etcd up, the active cut off, no standby) wins a new term when it reaches etcd again; the cell takes its commands', async () => {
    const proxy = await startTcpProxy(etcd.current().endpoint);
    const client = new Etcd3({ hosts: `http://${etcd.current().endpoint}` });
    try {
      const a = await control('cg-a', undefined, { endpoint: proxy.address });
      await eventually(async () => expect((await http(a.url, 'PUT', '/v1/domains/apps', { ttl: 0 })).status).to.equal(204), { timeout: 10_000, interval: 50 });
      await node(['--roles', 'cell', '--name', 'cell-1', '--backend', 'fake', '--join', a.listen]);
      const running = await desireWeb(a);
      const { term } = (await http(a.url, 'GET', '/v1/leader')).json as { term: number };

      proxy.cut();
      await a.waitForLog('control-group.read-only', TTL_MS + 2000);
      // etcd expired the lease, and the leader key with it
      await eventually(async () => expect(await client.get('/auctor/control/leader').string()).to.equal(null), { timeout: 5000, interval: 50 });
      expect(await instances(a)).to.deep.equal(running);
      proxy.restore();

      await eventually(async () => expect((await http(a.url, 'PUT', '/v1/domains/after', { ttl: 0 })).status).to.equal(204), { timeout: 15_000, interval: 50 });
      const leader = (await http(a.url, 'GET', '/v1/leader')).json as { name: string; term: number };
      expect(leader.name).to.equal('cg-a');
      expect(leader.term).to.be.above(term);
      expect(a.child.exitCode).to.equal(null);
      // the cell accepts the higher term: a third instance starts, the first two never restarted
      expect((await http(a.url, 'PATCH', '/v1/desired_lrps/web', { instances: 3 })).status).to.be.within(200, 299);
      await eventually(async () => {
        const now = await instances(a);
        expect(now.map((i) => i.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']);
        expect(now.slice(0, 2)).to.deep.equal(running);
      }, { timeout: 15_000, interval: 100 });
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
