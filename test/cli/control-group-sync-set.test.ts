/**
 * Two failures and the synchronous set (issue 16: "only the last active or a standby known to
 * hold every acknowledged write may win"; real etcd, real processes). Three control nodes,
 * `--sync-standbys 1`. c is killed; the active acknowledges through b alone and names only b in
 * the set. Then b and the active are killed, and c, which lacks those writes, is started again:
 * it is the only node up and its log is the longest there, yet it must not lead. Once b is back,
 * a node holding every acknowledged write leads, and it lists every desire ever answered 201.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { consistently, eventually } from '../support/eventually.js';
import { withEtcd } from '../support/etcd.js';
import { controlGroupNodes } from '../support/control-group-nodes.js';
import { http, webLrp, type NodeProcess } from '../support/gateway-node.js';

const TTL_MS = 2000;

describe('control group: the synchronous set decides who may win after two failures (real etcd)', function () {
  this.timeout(120_000);
  const etcd = withEtcd(this);
  const { start, leaderOf, forget } = controlGroupNodes(etcd, { syncStandbys: 1, ttlMs: TTL_MS });

  const syncSet = async () => {
    const client = new Etcd3({ hosts: etcd.current().endpoint });
    try {
      return JSON.parse((await client.get('/auctor/control/sync').string()) ?? 'null') as { leader: string; members: string[] } | null;
    } finally {
      client.close();
    }
  };
  const desire = async (node: NodeProcess, guids: string[]) => {
    for (const guid of guids) expect((await http(node.url, 'POST', '/v1/desired_lrps', webLrp(guid, 1))).status, guid).to.equal(201);
  };
  const caughtUp = (node: NodeProcess) => node.logs.some((l) => l.msg === 'replication.caught-up');

  it('c, started alone without what b acknowledged, does not lead; with b back, nothing acknowledged is lost', async () => {
    const a = await start('sg-a');
    await eventually(async () => expect((await leaderOf(a)).name).to.equal('sg-a'), { timeout: 10_000, interval: 50 });
    const b = await start('sg-b', a);
    let c = await start('sg-c', a);
    for (const node of [b, c]) await eventually(() => expect(caughtUp(node)).to.equal(true), { timeout: 10_000, interval: 50 });
    await eventually(async () => expect((await syncSet())?.members.sort()).to.deep.equal(['sg-b', 'sg-c']), { timeout: 10_000, interval: 50 });
    await desire(a, ['both-1', 'both-2']);

    // c down: the active counts b alone, and says so in etcd before it forgets c
    await c.kill9();
    forget(c);
    await eventually(async () => expect(await syncSet()).to.deep.include({ leader: 'sg-a', members: ['sg-b'] }), { timeout: 10_000, interval: 50 });
    await desire(a, ['b-only-1', 'b-only-2', 'b-only-3']);

    // b and then the active down; c back on its data, alone
    await b.kill9();
    forget(b);
    await a.kill9();
    forget(a);
    c = await start('sg-c');
    // (b's record may outlive the active's key by a keepalive: c first yields to its longer log)
    const unseen = () => c.logs.find((l) => l.msg === 'election.may-not-win' && l.reason === 'witnesses-unseen');
    await eventually(() => expect(unseen()).to.not.equal(undefined), { timeout: 3 * TTL_MS + 5000, interval: 50 });
    expect(unseen()).to.deep.include({ leader: 'sg-a', members: ['sg-b'], seen: [] });
    await consistently(async () => expect((await http(c.url, 'GET', '/v1/leader')).status).to.equal(503), { duration: 2 * TTL_MS, interval: 100 });

    // b back: it holds every acknowledged write, and a node that has what b has leads
    const b2 = await start('sg-b', c);
    const leader = await eventually(async () => leaderOf(b2), { timeout: 3 * TTL_MS + 5000, interval: 50 });
    const next = leader.name === 'sg-b' ? b2 : c;
    await eventually(async () => expect((await http(next.url, 'POST', '/v1/desired_lrps', webLrp('after', 1))).status).to.equal(201), { timeout: 15_000, interval: 50 });
    const listed = await http(next.url, 'GET', '/v1/desired_lrps');
    const held = (listed.json as Array<{ process_guid: string }>).map((lrp) => lrp.process_guid);
    expect(held).to.include.members(['both-1', 'both-2', 'b-only-1', 'b-only-2', 'b-only-3', 'after']);
  });
});
