import { expect } from 'chai';
import { DeathWatch, type NodeTerminated } from '../../../src/runtime/cluster/death-watch.js';
import { TestCluster, type TestNode } from './cluster-support.js';

describe('remote death-watch (node level)', () => {
  let cluster: TestCluster;
  let a: TestNode;
  let b: TestNode;
  let watch: DeathWatch;
  beforeEach(async () => {
    cluster = new TestCluster();
    a = cluster.start('a', { roles: ['control'] });
    b = cluster.start('b', { seeds: ['a:7777'] });
    await cluster.advance(5_000);
    watch = new DeathWatch(a.membership);
  });
  afterEach(() => {
    watch.dispose();
    cluster.stopAll();
  });

  it('a watcher learns once when the watched node is down', async () => {
    const told: NodeTerminated[] = [];
    watch.watch('b', 1, (t) => told.push(t));
    cluster.crash(b);
    await cluster.advance(10_000);
    expect(told).to.deep.equal([{ node: 'b', incarnation: 1, reason: 'down' }]);
    expect(watch.size).to.equal(0);
  });

  it('a restart (newer incarnation) terminates watches of the old one, not of the new', async () => {
    const old: NodeTerminated[] = [];
    watch.watch('b', undefined, (t) => old.push(t));
    cluster.crash(b);
    const b2 = cluster.start('b', { incarnation: 2, seeds: ['a:7777'] });
    await cluster.advance(1_000);
    expect(old).to.deep.equal([{ node: 'b', incarnation: 1, reason: 'replaced' }]);
    const fresh: NodeTerminated[] = [];
    watch.watch('b', 2, (t) => fresh.push(t));
    await cluster.advance(5_000);
    expect(fresh).to.deep.equal([]);
    b2.membership.stop();
    await cluster.advance(100);
    expect(fresh).to.deep.equal([{ node: 'b', incarnation: 2, reason: 'left' }]);
  });

  it('watching a node that is unknown, gone or older than the member tells at once', async () => {
    const told: NodeTerminated[] = [];
    watch.watch('nobody', undefined, (t) => told.push(t));
    watch.watch('b', 0, (t) => told.push(t));
    await Promise.resolve();
    expect(told.map((t) => t.reason)).to.deep.equal(['unknown', 'replaced']);
    expect(watch.size).to.equal(0);
  });

  it('an unwatched watcher hears nothing; a watcher that throws does not stop the others', async () => {
    const told: string[] = [];
    const unwatch = watch.watch('b', 1, () => told.push('first'));
    watch.watch('b', 1, () => {
      throw new Error('buggy watcher');
    });
    watch.watch('b', 1, () => told.push('third'));
    unwatch();
    cluster.crash(b);
    await cluster.advance(10_000);
    expect(told).to.deep.equal(['third']);
  });
});
