import { expect } from 'chai';
import type { Outcome } from '../../../src/runtime/kernel/introspection.js';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import { ClusterActorMsg, spawnClusterActor } from '../../../src/runtime/cluster/cluster-actor.js';
import type { MemberModel } from '../../../src/runtime/cluster/member.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { TestCluster } from './cluster-support.js';

describe('/cluster actor', () => {
  let cluster: TestCluster;
  let system: ActorSystem;
  beforeEach(() => {
    cluster = new TestCluster();
    system = ActorSystem.start({ name: 'node-a' });
  });
  afterEach(async () => {
    await system.shutdown();
    cluster.stopAll();
  });

  it('sits at /cluster in the tree, answers with the members and shows them in its summary', async () => {
    const a = cluster.start('a', { roles: ['control'] });
    cluster.start('b', { seeds: ['a:7777'] });
    await cluster.advance(3_000);
    const ref = spawnClusterActor(system, a.membership);
    system.dispatch(ref, { type: 'cluster/heartbeat' } as unknown as ClusterActorMsg);
    const members = await system.query<ClusterActorMsg, MemberModel[]>(ref, ClusterActorMsg.members, 1000);
    expect(members.map((m) => [m.name, m.status, m.self])).to.deep.equal([['a', 'up', true], ['b', 'up', false]]);
    const entry = system.registry.get('/cluster')!;
    expect(entry).to.include({ kind: 'cluster', parent: null });
    expect(entry.summary).to.deep.equal({ status: 'up', members: [{ name: 'a', incarnation: 1, status: 'up' }, { name: 'b', incarnation: 1, status: 'up' }] });
    expect(Object.keys(entry.protocol!.messages)).to.deep.equal(['cluster/members', 'cluster/tree', 'cluster/actor']);
    expect(system.lookup('/cluster')).to.not.equal(undefined);
  });

  it('answers cluster/tree, cluster/actor and cluster/deliver with outcomes, and refuses malformed fields with a 400', async () => {
    const a = cluster.start('a');
    const ref = spawnClusterActor(system, a.membership);
    const ask = (make: (replyTo: Ref<Outcome>) => ClusterActorMsg) => system.query<ClusterActorMsg, Outcome>(ref, make, 1000);
    const tree = await ask(ClusterActorMsg.tree(1));
    expect(tree.status).to.equal(200);
    expect((tree.body as { node: string; actors: Array<{ path: string }> }).actors.map((x) => x.path)).to.deep.equal(['/node-a/cluster']);
    const one = await ask(ClusterActorMsg.actor('/cluster', undefined));
    expect((one.body as { accepts: Array<{ type: string }> }).accepts.map((m) => m.type)).to.deep.equal(['cluster/members', 'cluster/tree', 'cluster/actor']);
    expect((await ask(ClusterActorMsg.actor('/nope', undefined))).status).to.equal(404);
    const members = await ask(ClusterActorMsg.deliver('/cluster', { type: 'cluster/members' }, true, 500));
    expect(members.status).to.equal(200);
    expect((members.body as { reply: Array<{ name: string }> }).reply.map((m) => m.name)).to.deep.equal(['a']);

    // what another node could send: every field is checked before use
    const malformed: Array<[unknown, string]> = [
      [{ type: 'cluster/tree', depth: 0 }, 'invalid field: depth: must be at least 1'],
      [{ type: 'cluster/tree', depth: 'all' }, 'invalid field: depth: must be at least 1'],
      [{ type: 'cluster/actor', path: 7 }, 'invalid field: path: an actor path inside the node, like /control/lrps'],
      [{ type: 'cluster/actor', path: 'cluster' }, 'invalid field: path: an actor path inside the node, like /control/lrps'],
      [{ type: 'cluster/deliver', path: '/cluster', message: {}, ask: 'yes', timeout_ms: 5 }, 'invalid field: ask'],
      [{ type: 'cluster/deliver', path: '/cluster', message: {}, ask: true, timeout_ms: 600_000 }, 'invalid field: timeout_ms: must be between 1 and 60000'],
    ];
    for (const [msg, message] of malformed) {
      const outcome = await ask((replyTo) => ({ ...(msg as object), replyTo }) as ClusterActorMsg);
      expect(outcome, JSON.stringify(msg)).to.deep.equal({ status: 400, body: { error: { type: 'InvalidRequest', message } } });
    }
    // no reply address: ignored, not a crash
    system.dispatch(ref, { type: 'cluster/tree' } as unknown as ClusterActorMsg);
    expect((await ask(ClusterActorMsg.tree(undefined))).status).to.equal(200);
    expect(system.registry.get('/cluster')!.restarts).to.equal(0);
  });

  it('refuses a tree larger than one answer carries, saying to ask for less', async () => {
    const a = cluster.start('a');
    const ref = spawnClusterActor(system, a.membership, { maxActorsPerAnswer: 2 });
    const parent = system.spawnStateless<never>(system.root, { kind: 'group', name: 'group', handle: () => {} });
    for (const name of ['x', 'y']) system.spawnStateless<never>(parent, { kind: 'leaf', name, handle: () => {} });
    const ask = (make: (replyTo: Ref<Outcome>) => ClusterActorMsg) => system.query<ClusterActorMsg, Outcome>(ref, make, 1000);
    expect(await ask(ClusterActorMsg.tree(undefined))).to.deep.equal({
      status: 400, body: { error: { type: 'InvalidRequest', message: '4 actors are more than one answer from node node-a carries (2): ask with a smaller depth, or for a subtree' } },
    });
    expect((await ask(ClusterActorMsg.tree(1))).status).to.equal(200);
    expect((await ask(ClusterActorMsg.actor('/group', undefined))).status).to.equal(400);
    expect((await ask(ClusterActorMsg.actor('/group/x', undefined))).status).to.equal(200);
  });
});
