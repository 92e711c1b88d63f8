import { expect } from 'chai';
import { pack } from 'msgpackr';
import { remoteRef, type Ref } from '../../../src/runtime/kernel/protocol.js';
import type { WatchedNodeDown, NodeDown } from '../../../src/runtime/remoting/remote-node.js';
import type { Envelope } from '../../../src/runtime/remoting/types.js';
import { eventually } from '../../support/eventually.js';
import { spawnEcho, type EchoMsg } from './remote-echo.js';
import { startCluster, type TestCluster, type TestNode } from './remote-harness.js';

describe('remote refs: faults', () => {
  let cluster: TestCluster;
  afterEach(() => cluster.close());

  const say = (from: TestNode, to: Ref<EchoMsg>, text: string, timeoutMs = 5000) =>
    from.system.query<EchoMsg, string>(to, (replyTo) => ({ type: 'echo/say', text, replyTo }), timeoutMs);

  it('drops, counts and logs malformed envelopes; the receiving actor and node carry on', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const echo = spawnEcho(b.system);
    const raw = (envelope: Envelope) => expect(a.remoting.sendTo(b.remoting.self.address, envelope)).to.equal(true);
    raw({ to: '/echo', type: 'echo/tell', body: Uint8Array.from([0xc1, 0xff, 0x00, 0x13]) }); // not msgpack
    raw({ to: '/echo', type: 'echo/tell', body: pack({ type: 'echo/say', text: 'x' }) }); // type mismatch
    raw({ to: '/echo', type: '~value', body: pack(42) }); // not an object, to an actor
    raw({ to: '/echo', type: '~value', body: pack(['echo/tell', 'x']) }); // not an object either
    raw({ to: '/echo', type: 'echo/tell', body: pack({ type: 'echo/tell', text: { $ref: { node: 5 } } }) }); // a forged ref
    raw({ to: '/echo', type: 'echo/tell', body: new Uint8Array(0) }); // empty
    raw({ to: '/echo', type: 'echo/tell', body: pack({ type: 'echo/tell', text: 'fine' }) });
    await eventually(() => expect(echo.seen).to.deep.equal([{ type: 'echo/tell', text: 'fine' }]));
    expect(b.remote.stats().malformed).to.equal(6);
    expect(b.logs.filter((l) => l.msg === 'remoting.malformed-envelope')).to.have.length(6);
    expect(b.logs.find((l) => l.msg === 'remoting.malformed-envelope' && l.type === 'echo/tell')).to.include({ from: a.name, to: '/echo' });
    expect(cluster.hub.handlerErrors).to.deep.equal([]);
    expect(b.system.registry.get('/echo')).to.include({ status: 'running', restarts: 0, lastFailure: null });
    expect(await say(a, remoteRef(b.name, '/echo'), 'after')).to.equal('AFTER');
  });

  it('makes a message to a partitioned node a dead letter without throwing, and fails a query to it at once', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const echo = spawnEcho(b.system);
    const target = remoteRef<EchoMsg>(b.name, '/echo');
    cluster.hub.partition(a.name, b.name);
    expect(a.system.dispatch(target, { type: 'echo/tell', text: 'cut' })).to.equal(false);
    expect(a.system.registry.deadLetters).to.equal(1);
    const started = Date.now();
    const error = await say(a, target, 'cut', 60_000).catch((e: unknown) => e);
    expect(Date.now() - started).to.be.below(1000);
    expect(error).to.have.property('code', 'Unavailable');
    expect((error as Error).message).to.equal(`no reply from /${b.name}/echo: dropped by the transport`);
    expect(a.remote.stats()).to.include({ pendingQueries: 0, deadLetters: 2 });

    cluster.hub.heal(a.name, b.name);
    expect(await say(a, target, 'healed')).to.equal('HEALED');
    expect(echo.seen.map((m) => m.type)).to.deep.equal(['echo/say']);
  });

  it('on node down, fails the queries waiting on that node at once and tells each watcher once', async () => {
    cluster = startCluster(['a', 'b', 'c']);
    const [a, b, c] = cluster.nodes as [TestNode, TestNode, TestNode];
    const atB = spawnEcho(b.system);
    spawnEcho(c.system);
    const toB = remoteRef<EchoMsg>(b.name, '/echo');
    const waiting = [1, 2, 3].map(() =>
      a.system.query<EchoMsg, string>(toB, (replyTo) => ({ type: 'echo/ignore', replyTo }), 60_000).catch((e: unknown) => e),
    );
    await eventually(() => expect(atB.seen).to.have.length(3));

    const told: WatchedNodeDown[] = [];
    const watcher = a.system.spawnStateless<WatchedNodeDown>(a.system.root, { kind: 'watcher', name: 'watcher', handle: (msg) => void told.push(msg) });
    a.remote.watch(toB, watcher);
    a.remote.watch(remoteRef(c.name, '/echo'), watcher);
    const callbacks: NodeDown[] = [];
    a.remote.watchNode(b.name, (down) => callbacks.push(down));
    cluster.hub.delay(c.name, a.name, 50); // C's reply is still on its way when B goes down
    const fromC = say(a, remoteRef(c.name, '/echo'), 'c lives');

    b.remoting.kill();
    const started = Date.now();
    a.remote.nodeDown(b.name, b.remoting.self.incarnation, 'killed');
    a.remote.nodeDown(b.name, b.remoting.self.incarnation, 'killed'); // membership may say it twice
    const errors = await Promise.all(waiting);
    expect(Date.now() - started).to.be.below(1000);
    for (const error of errors) {
      expect(error).to.have.property('code', 'Unavailable');
      expect((error as Error).message).to.equal(`no reply from /${b.name}: node ${b.name} (incarnation ${b.remoting.self.incarnation}) is down: killed`);
    }
    expect(await fromC).to.equal('C LIVES');
    await eventually(() => expect(told).to.have.length(1));
    expect(told[0]).to.deep.include({ type: 'remote/node-down', node: b.name, incarnation: b.remoting.self.incarnation, reason: 'killed' });
    expect(told[0]!.ref).to.equal(toB);
    expect(callbacks).to.deep.equal([{ node: b.name, incarnation: b.remoting.self.incarnation, reason: 'killed' }]);
    // the directory still lists b, but its incarnation is known down
    expect(a.system.dispatch(toB, { type: 'echo/tell', text: 'gone' })).to.equal(false);
    expect(a.logs.some((l) => l.msg === 'remoting.dead-letter' && l.reason === `node ${b.name} is down`)).to.equal(true);
  });

  it('keeps a restarted node (a new incarnation) apart from news of the old one', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const old = b.remoting.self.incarnation;
    cluster.directory.set({ ...b.remoting.self, incarnation: old + 1 });
    const onNew: NodeDown[] = [];
    a.remote.watchNode(b.name, (down) => onNew.push(down));
    a.remote.nodeDown(b.name, old, 'old life ended');
    await new Promise((resolve) => setImmediate(resolve));
    expect(onNew).to.deep.equal([]);
    // watching the incarnation already known down fires at once
    const onOld: NodeDown[] = [];
    a.remote.watchNode(b.name, (down) => onOld.push(down), old);
    await eventually(() => expect(onOld).to.deep.equal([{ node: b.name, incarnation: old, reason: 'old life ended' }]));
    a.remote.nodeDown(b.name, old + 1, 'new life ended');
    expect(onNew).to.deep.equal([{ node: b.name, incarnation: old + 1, reason: 'new life ended' }]);
  });

  it('stops delivering after detach: remote sends are dead letters, waiting queries fail', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    spawnEcho(b.system);
    const waiting = a.system
      .query<EchoMsg, string>(remoteRef(b.name, '/echo'), (replyTo) => ({ type: 'echo/ignore', replyTo }), 60_000)
      .catch((e: unknown) => e);
    a.remote.detach();
    expect(await waiting).to.have.property('code', 'Unavailable');
    expect(a.system.dispatch(remoteRef<EchoMsg>(b.name, '/echo'), { type: 'echo/tell', text: 'x' })).to.equal(false);
    expect(a.system.registry.deadLetters).to.equal(1);
  });
});
