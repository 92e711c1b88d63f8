import { expect } from 'chai';
import { encodeClusterMessage, ClusterMessage } from '../../../src/runtime/cluster/protocol.js';
import { eventsAbout, statusOf, TestCluster, type TestNode } from './cluster-support.js';

const ALL_UP = ['a', 'b', 'c'];

function expectAllUp(nodes: TestNode[]): void {
  for (const node of nodes) {
    expect(node.membership.status, `${node.name} itself`).to.equal('up');
    for (const other of ALL_UP.filter((n) => n !== node.name)) expect(statusOf(node, other), `${other} in ${node.name}'s view`).to.equal('up');
  }
}

describe('membership (fake network, default timings: 1 s heartbeats, 5 s TTL)', () => {
  let cluster: TestCluster;
  beforeEach(() => (cluster = new TestCluster()));
  afterEach(() => cluster.stopAll());

  /** a, then b joining through a, then c joining through b; steady for 10 s. */
  async function threeNodes(): Promise<TestNode[]> {
    const a = cluster.start('a', { roles: ['control'] });
    const b = cluster.start('b', { seeds: ['a:7777'] });
    const c = cluster.start('c', { seeds: ['b:7777'] });
    await cluster.advance(10_000);
    return [a, b, c];
  }

  it('three nodes joining through different seeds all see each other up, each announced once', async () => {
    const nodes = await threeNodes();
    expectAllUp(nodes);
    for (const node of nodes) {
      for (const other of ALL_UP.filter((n) => n !== node.name)) expect(eventsAbout(node, other), `${node.name} about ${other}`).to.deep.equal(['member-up@1']);
    }
    expect(nodes[0]!.membership.member('c')?.roles).to.deep.equal(['cell']);
    expect(nodes[2]!.membership.member('a')?.roles).to.deep.equal(['control']);
  });

  it('joins through a seed that is itself still joining (each names the other)', async () => {
    const a = cluster.start('a', { seeds: ['b:7777'] });
    const b = cluster.start('b', { seeds: ['a:7777'] });
    await cluster.advance(3_000);
    expect([a.membership.status, b.membership.status]).to.deep.equal(['up', 'up']);
    expect([statusOf(a, 'b'), statusOf(b, 'a')]).to.deep.equal(['up', 'up']);
  });

  it('a partitioned node goes suspect, then down within 3.2 s of the cut, reported once; others keep it up', async () => {
    const [a, b, c] = await threeNodes();
    const cutAt = cluster.clock.now() + 300;
    await cluster.advance(300);
    cluster.hub.partition('a', 'c');
    await cluster.advance(8_000);
    expect(eventsAbout(a, 'c')).to.deep.equal(['member-up@1', 'member-suspect@1', 'member-down@1:unreachable']);
    expect(eventsAbout(c, 'a')).to.deep.equal(['member-up@1', 'member-suspect@1', 'member-down@1:unreachable']);
    const downAt = a.events.find((e) => e.type === 'member-down')!.at;
    expect(downAt - cutAt).to.be.within(2_000, 3_200);
    expect(eventsAbout(b, 'c')).to.deep.equal(['member-up@1']);
    expect(eventsAbout(b, 'a')).to.deep.equal(['member-up@1']);
    expect(a.membership.stats()).to.include({ downs: 1, suspicions: 1 });
  });

  it('once the partition heals, heartbeats re-admit the member (up again)', async () => {
    const [a, , c] = await threeNodes();
    cluster.hub.partition('a', 'c');
    await cluster.advance(6_000);
    expect(statusOf(a, 'c')).to.equal('down');
    cluster.hub.heal('a', 'c');
    await cluster.advance(2_000);
    expect(statusOf(a, 'c')).to.equal('up');
    expect(statusOf(c, 'a')).to.equal('up');
    expect(eventsAbout(a, 'c').filter((e) => !e.startsWith('member-suspect'))).to.deep.equal(['member-up@1', 'member-down@1:unreachable', 'member-up@1']);
  });

  it('after its own event loop stalled, a node judges nobody for a heartbeat: a heartbeat read late behind the backlog still counts', async () => {
    const a = cluster.start('a');
    cluster.start('b', { seeds: ['a:7777'] });
    await cluster.advance(10_000);
    // a 3.5 s stall of the observer; what b sent meanwhile is read 600 ms after it resumes
    cluster.clock.stall(3_500);
    cluster.hub.delay('b', 'a', 600);
    await cluster.advance(3_000);
    expect(eventsAbout(a, 'b')).to.deep.equal(['member-up@1']);
    expect(a.membership.stats().localPauses).to.equal(1);
  });

  it('a partition healed within the bound changes nothing', async () => {
    const nodes = await threeNodes();
    cluster.hub.partition('a', 'c');
    await cluster.advance(1_500);
    cluster.hub.heal('a', 'c');
    await cluster.advance(5_000);
    expectAllUp(nodes);
    for (const node of nodes) expect(node.events.filter((e) => e.type !== 'member-up'), node.name).to.deep.equal([]);
  });

  it('a restarted node (same name, higher incarnation) replaces the old member everywhere', async () => {
    const [a, b, c] = await threeNodes();
    cluster.crash(c!);
    await cluster.advance(500);
    const c2 = cluster.start('c', { incarnation: 2, seeds: ['a:7777'] });
    await cluster.advance(5_000);
    for (const node of [a!, b!]) {
      expect(eventsAbout(node, 'c'), node.name).to.deep.equal(['member-up@1', 'member-down@1:replaced', 'member-up@2']);
      expect(node.membership.member('c')).to.include({ incarnation: 2, status: 'up' });
    }
    expect([statusOf(c2, 'a'), statusOf(c2, 'b')]).to.deep.equal(['up', 'up']);
  });

  it('a node just started judges nobody for a TTL: heartbeats read late while it starts cost no verdict; a member that dies meanwhile is down once it ends', async () => {
    const [a, b] = await threeNodes();
    cluster.crash(a!);
    await cluster.advance(500);
    const a2 = cluster.start('a', { incarnation: 2, roles: ['control'], seeds: ['b:7777'] });
    await cluster.advance(1_200);
    expect(statusOf(a2, 'c')).to.equal('up');
    // c's heartbeats reach the new node 3.5 s late for a while (past φ's 3.1 s, within the TTL)
    cluster.hub.delay('c', 'a', 3_500);
    await cluster.advance(3_000);
    cluster.hub.delay('c', 'a', 0);
    await cluster.advance(5_000);
    expect(eventsAbout(a2, 'c')).to.deep.equal(['member-up@1']);
    // started again, it still finds a member that dies meanwhile, once the TTL is over
    cluster.crash(a2);
    await cluster.advance(500);
    const a3 = cluster.start('a', { incarnation: 3, roles: ['control'], seeds: ['c:7777'] });
    const restartedAt = cluster.clock.now();
    await cluster.advance(1_200);
    expect(statusOf(a3, 'b')).to.equal('up');
    cluster.crash(b!);
    await cluster.advance(8_000);
    const down = a3.events.find((e) => e.type === 'member-down' && e.member.name === 'b');
    expect(down, 'b is judged down once the quiet start is over').to.not.equal(undefined);
    expect(down!.at - restartedAt).to.be.within(4_000, 5_600);
  });

  it('holdVerdicts: a node recovering longer than the start window judges nobody until it is done, then for a TTL more; a dead member is down after that', async () => {
    const [a, b] = await threeNodes();
    cluster.crash(a!);
    await cluster.advance(500);
    const a2 = cluster.start('a', { incarnation: 2, roles: ['control'], seeds: ['b:7777'] });
    const release = a2.membership.holdVerdicts(60_000);
    await cluster.advance(1_200);
    expect([statusOf(a2, 'b'), statusOf(a2, 'c')]).to.deep.equal(['up', 'up']);
    // still recovering past the start window, a2 hears nothing from c for 5 s (read late)
    await cluster.advance(4_000);
    cluster.hub.partition('a', 'c');
    await cluster.advance(5_000);
    cluster.hub.heal('a', 'c');
    await cluster.advance(500);
    release();
    const releasedAt = cluster.clock.now();
    cluster.crash(b!);
    await cluster.advance(8_000);
    expect(eventsAbout(a2, 'c')).to.deep.equal(['member-up@1']);
    const down = a2.events.find((e) => e.type === 'member-down' && e.member.name === 'b');
    expect(down, 'b is judged down once the hold and the TTL after it are over').to.not.equal(undefined);
    expect(down!.at - releasedAt).to.be.within(5_000, 6_200);
    expect(statusOf(a2, 'c')).to.equal('up');
  });

  it('holdVerdicts lapses after its bound: a hold never released does not blind the node for ever', async () => {
    const [a, b] = await threeNodes();
    const heldAt = cluster.clock.now();
    a!.membership.holdVerdicts(10_000);
    cluster.crash(b!);
    await cluster.advance(14_000);
    const down = a!.events.find((e) => e.type === 'member-down' && e.member.name === 'b');
    expect(down, 'b is judged once the bound has passed').to.not.equal(undefined);
    expect(down!.at - heldAt).to.be.within(10_000, 10_300);
  });

  it('a graceful leave is reported once as left, never as down, and the member is forgotten later', async () => {
    const [a, b, c] = await threeNodes();
    c!.membership.stop();
    await cluster.advance(10_000);
    for (const node of [a!, b!]) {
      expect(eventsAbout(node, 'c'), node.name).to.deep.equal(['member-up@1', 'member-left@1']);
      expect(statusOf(node, 'c')).to.equal('left');
    }
    await cluster.advance(25_000);
    expect(a!.membership.members().map((m) => m.name)).to.deep.equal(['a', 'b']);
  });

  it('unreachable seeds: keeps retrying with growing waits (250 ms up to 5 s), then joins when one appears', async () => {
    const x = cluster.start('x', { seeds: ['seed:1'] });
    await cluster.advance(30_000);
    const times = cluster.hub.sendTimes('x', 'seed:1', 'cluster/join');
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps.slice(0, 5)).to.deep.equal([250, 500, 1000, 2000, 4000]);
    expect(Math.max(...gaps)).to.equal(5000);
    expect(x.membership.status).to.equal('joining');
    const seed = cluster.start('seed', { address: 'seed:1' });
    await cluster.advance(6_000);
    expect(x.membership.status).to.equal('up');
    expect([statusOf(x, 'seed'), statusOf(seed, 'x')]).to.deep.equal(['up', 'up']);
    const joinsAfter = cluster.hub.sendTimes('x', 'seed:1', 'cluster/join').length;
    await cluster.advance(20_000);
    expect(cluster.hub.sendTimes('x', 'seed:1', 'cluster/join').length, 'no joins once the seed is a member').to.equal(joinsAfter);
  });

  it('a node cut off from every member finds its way back through its seed', async () => {
    const a = cluster.start('a');
    const b = cluster.start('b', { seeds: ['a:7777'] });
    await cluster.advance(3_000);
    cluster.hub.partition('a', 'b');
    await cluster.advance(60_000);
    expect(a.membership.members().map((m) => m.name), 'b forgotten').to.deep.equal(['a']);
    cluster.hub.heal('a', 'b');
    await cluster.advance(6_000);
    expect([statusOf(a, 'b'), statusOf(b, 'a')]).to.deep.equal(['up', 'up']);
  });

  it('members(): itself first, then the others, as GET /v1/members shows them', async () => {
    const [a] = await threeNodes();
    const models = a!.membership.models();
    expect(models.map((m) => [m.name, m.self, m.status])).to.deep.equal([['a', true, 'up'], ['b', false, 'up'], ['c', false, 'up']]);
    expect(models[1]).to.include({ incarnation: 1, address: 'b:7777' }).and.to.have.keys('name', 'incarnation', 'roles', 'address', 'status', 'last_heartbeat', 'up_since', 'self');
    expect(models[1]!.last_heartbeat).to.be.within(cluster.clock.now() - 1000, cluster.clock.now());
  });

  it('a malformed envelope is counted and dropped; nothing changes', async () => {
    const [a] = await threeNodes();
    const c = { name: 'c', incarnation: 1, address: 'c:7777' };
    const before = a!.membership.models();
    const heartbeatAsB = encodeClusterMessage(ClusterMessage.heartbeat({ name: 'b', incarnation: 9, address: 'b:7777', roles: [] }, 0));
    cluster.hub.inject(c, 'a:7777', { to: '/cluster', type: 'cluster/heartbeat', body: new Uint8Array([0xc1, 0xff]) });
    cluster.hub.inject(c, 'a:7777', { to: '/cluster', type: 'cluster/bogus', body: encodeClusterMessage(ClusterMessage.leave('c', 1)).body });
    cluster.hub.inject(c, 'a:7777', heartbeatAsB);
    cluster.hub.inject(c, 'a:7777', encodeClusterMessage(ClusterMessage.leave('b', 1)));
    cluster.hub.inject(c, 'a:7777', encodeClusterMessage(ClusterMessage.welcome([])));
    cluster.hub.inject(c, 'a:7777', { to: '/cluster', type: 'cluster/gossip', body: encodeClusterMessage(ClusterMessage.gossip([{ name: '', incarnation: -1, address: 'x', roles: [] }])).body });
    await cluster.advance(100);
    expect(a!.membership.stats().malformed).to.equal(6);
    expect(a!.membership.models().map((m) => [m.name, m.incarnation, m.status])).to.deep.equal(before.map((m) => [m.name, m.incarnation, m.status]));
    expect(a!.events.filter((e) => e.type !== 'member-up')).to.deep.equal([]);
  });

  it('stop() lets go of its timers and its subscription', async () => {
    const [a, b, c] = await threeNodes();
    for (const node of [a!, b!, c!]) node.membership.stop();
    await cluster.advance(100);
    expect(cluster.clock.waiting).to.equal(0);
    expect([a!, b!, c!].map((n) => n.endpoint.listeners)).to.deep.equal([0, 0, 0]);
  });
});
