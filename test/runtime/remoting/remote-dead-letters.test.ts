/**
 * A remote message for a path with no live actor (docs/051-remote-refs.md "Dead letters"): a
 * dead letter counted where it arrived, like a local one, and an ask waiting on it fails at once.
 */
import { expect } from 'chai';
import { ActorNotFoundError } from '../../../src/base/errors.js';
import { NodeMetrics } from '../../../src/metrics/node-metrics.js';
import { remoteRef, type Ref } from '../../../src/runtime/kernel/protocol.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';
import { parseExposition } from '../../support/prometheus.js';
import { spawnEcho, type EchoMsg } from './remote-echo.js';
import { startCluster, type TestCluster, type TestNode } from './remote-harness.js';

describe('remote refs: dead letters', () => {
  let cluster: TestCluster;
  let metrics: NodeMetrics | undefined;
  afterEach(async () => {
    metrics?.close();
    metrics = undefined;
    await cluster.close();
  });

  const deadLetters = async (m: NodeMetrics) => parseExposition(await m.scrape()).find((s) => s.name === 'auctor_actor_dead_letters_total')?.value;

  it('counts a tell to a missing path in the receiving node\'s dead-letter counter, logged with the sending node', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    metrics = new NodeMetrics({ system: b.system });
    expect(await deadLetters(metrics)).to.equal(0);
    expect(a.system.dispatch(remoteRef<EchoMsg>(b.name, '/nobody'), { type: 'echo/tell', text: 'lost' })).to.equal(true);
    await eventually(async () => expect(await deadLetters(metrics!)).to.equal(1));
    expect(b.logs.find((l) => l.msg === 'actor.dead-letter')).to.include({ to: '/nobody', type: 'echo/tell', reason: 'no-such-actor', from: a.name });
    expect(b.remote.stats().deadLetters).to.equal(1);
    expect(a.system.registry.deadLetters).to.equal(0);
  });

  it('fails an ask to a missing path at once with ActorNotFoundError, not at its timeout', async () => {
    // a fake clock that never moves: the ask's timeout cannot fire, only the failure can end it
    cluster = startCluster(['a', 'b'], { clock: new FakeClock() });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const error = await a.system
      .query<EchoMsg, string>(remoteRef(b.name, '/nobody'), (replyTo) => ({ type: 'echo/say', text: 'x', replyTo }), 60_000)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorNotFoundError);
    expect(error).to.include({ code: 'ResourceNotFound', message: `actor not found: /${b.name}/nobody` });
    expect(a.remote.stats().pendingQueries).to.equal(0);
    expect(b.system.registry.deadLetters).to.equal(1);
  });

  it('fails a local ask whose reply address was sent on to a missing path on another node', async () => {
    cluster = startCluster(['a', 'b'], { clock: new FakeClock() });
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const echo = spawnEcho(a.system);
    const via: Ref<EchoMsg> = remoteRef(b.name, '/nobody');
    const error = await a.system.query<EchoMsg, string>(echo.ref, (replyTo) => ({ type: 'echo/forward', text: 'x', via, replyTo }), 60_000).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorNotFoundError);
    expect((error as Error).message).to.equal(`actor not found: /${b.name}/nobody`);
  });

  it('a failure for an ask nobody waits for any more is a dead letter, not a reply', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const replyTo = remoteRef<string>(a.name, '/~reply/999');
    b.system.dispatch(remoteRef<EchoMsg>(b.name, '/nobody'), { type: 'echo/say', text: 'x', replyTo });
    await eventually(() => expect(a.logs.some((l) => l.msg === 'remoting.dead-letter' && l.to === '/~reply/999' && l.type === '~failed')).to.equal(true));
    expect(a.system.registry.deadLetters).to.equal(1);
  });
});
