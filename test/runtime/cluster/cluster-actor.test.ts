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

  it('answers cluster/tree, cluster/actor and cluster/deliver with outcomes as data, and refuses malformed fields as InvalidRequest', async () => {
    const a = cluster.start('a');
    const ref = spawnClusterActor(system, a.membership);
    const ask = <V>(make: (replyTo: Ref<Outcome<V>>) => ClusterActorMsg) => system.query<ClusterActorMsg, Outcome<V>>(ref, make, 1000);
    const value = <V>(outcome: Outcome<V>): V => {
      if (!outcome.ok) expect.fail(`a failed outcome: ${JSON.stringify(outcome.error)}`);
      return outcome.value;
    };
    const tree = value(await ask(ClusterActorMsg.tree(1)));
    expect(tree.actors.map((x) => x.path)).to.deep.equal(['/node-a/cluster']);
    const one = value(await ask(ClusterActorMsg.actor('/cluster', undefined)));
    expect(one.accepts.map((m) => m.type)).to.deep.equal(['cluster/members', 'cluster/tree', 'cluster/actor']);
    expect(await ask(ClusterActorMsg.actor('/nope', undefined))).to.deep.equal({ ok: false, error: { type: 'ResourceNotFound', message: 'actor not found: /node-a/nope' } });
    const members = value(await ask(ClusterActorMsg.deliver('/cluster', { type: 'cluster/members' }, true, 500)));
    expect(members.outcome).to.equal('replied');
    expect((members as { reply: Array<{ name: string }> }).reply.map((m) => m.name)).to.deep.equal(['a']);

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
      expect(outcome, JSON.stringify(msg)).to.deep.equal({ ok: false, error: { type: 'InvalidRequest', message } });
    }
    // no reply address: ignored, not a crash
    system.dispatch(ref, { type: 'cluster/tree' } as unknown as ClusterActorMsg);
    expect((await ask(ClusterActorMsg.tree(undefined))).ok).to.equal(true);
    expect(system.registry.get('/cluster')!.restarts).to.equal(0);
  });

  it('refuses a tree larger than one answer carries, saying to ask for less', async () => {
    const a = cluster.start('a');
    const ref = spawnClusterActor(system, a.membership, { maxActorsPerAnswer: 2 });
    const parent = system.spawnStateless<never>(system.root, { kind: 'group', name: 'group', handle: () => {} });
    for (const name of ['x', 'y']) system.spawnStateless<never>(parent, { kind: 'leaf', name, handle: () => {} });
    const ask = <V>(make: (replyTo: Ref<Outcome<V>>) => ClusterActorMsg) => system.query<ClusterActorMsg, Outcome<V>>(ref, make, 1000);
    expect(await ask(ClusterActorMsg.tree(undefined))).to.deep.equal({
      ok: false, error: { type: 'InvalidRequest', message: '4 actors are more than one answer from node node-a carries (2): ask with a smaller depth, or for a subtree' },
    });
    expect((await ask(ClusterActorMsg.tree(1))).ok).to.equal(true);
    expect(await ask(ClusterActorMsg.actor('/group', undefined))).to.have.nested.property('error.type', 'InvalidRequest');
    expect((await ask(ClusterActorMsg.actor('/group/x', undefined))).ok).to.equal(true);
  });
});
