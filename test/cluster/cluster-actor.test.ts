import { expect } from 'chai';
import { ClusterActorMsg, spawnClusterActor } from '../../src/cluster/cluster-actor.js';
import type { MemberModel } from '../../src/cluster/member.js';
import { ActorSystem } from '../../src/actors/kernel/system.js';
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
    expect(Object.keys(entry.protocol!.messages)).to.deep.equal(['cluster/members']);
    expect(system.lookup('/cluster')).to.not.equal(undefined);
  });
});
