import { expect } from 'chai';
import { refNode, refPath, remoteRef, type AnyRef, type Ref } from '../../../src/runtime/kernel/protocol.js';
import { AskTimeoutError } from '../../../src/base/errors.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';
import { spawnEcho, type EchoMsg } from './remote-echo.js';
import { startCluster, type TestCluster } from './remote-harness.js';

describe('remote refs: dispatch and query across nodes', () => {
  let cluster: TestCluster;
  afterEach(() => cluster.close());

  const say = (from: TestCluster['nodes'][number], to: Ref<EchoMsg>, text: string, timeoutMs = 5000) =>
    from.system.query<EchoMsg, string>(to, (replyTo) => ({ type: 'echo/say', text, replyTo }), timeoutMs);

  it('tells an actor on another node', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const echo = spawnEcho(b!.system);
    expect(a!.system.dispatch(remoteRef<EchoMsg>(b!.name, '/echo'), { type: 'echo/tell', text: 'hi' })).to.equal(true);
    await eventually(() => expect(echo.seen).to.deep.equal([{ type: 'echo/tell', text: 'hi' }]));
    expect(a!.system.registry.deadLetters + b!.system.registry.deadLetters).to.equal(0);
  });

  it('queries an actor on another node and gets its reply', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    spawnEcho(b!.system);
    expect(await say(a!, remoteRef(b!.name, '/echo'), 'hello')).to.equal('HELLO');
    expect(a!.remote.stats().pendingQueries).to.equal(0);
  });

  it('answers 10 000 concurrent queries, each exactly once', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const echo = spawnEcho(b!.system);
    const target = remoteRef<EchoMsg>(b!.name, '/echo');
    const texts = Array.from({ length: 10_000 }, (_, i) => `q${i}`);
    const replies = await Promise.all(texts.map((text) => say(a!, target, text, 15_000)));
    expect(replies).to.deep.equal(texts.map((t) => t.toUpperCase()));
    expect(echo.seen).to.have.length(10_000);
    // a second reply to any of them would be a dead letter: no query waits for it any more
    expect(a!.system.registry.deadLetters).to.equal(0);
    expect(a!.remote.stats()).to.include({ pendingQueries: 0, deadLetters: 0 });
  });

  it('fails a query with AskTimeoutError when no reply comes in time, and drops the late reply', async () => {
    const clock = new FakeClock();
    cluster = startCluster(['a', 'b'], { clock });
    const [a, b] = cluster.nodes;
    const echo = spawnEcho(b!.system);
    const asked = a!.system.query<EchoMsg, string>(remoteRef(b!.name, '/echo'), (replyTo) => ({ type: 'echo/ignore', replyTo }), 1000);
    const outcome = asked.then(() => 'replied', (error: unknown) => error);
    await eventually(() => expect(echo.seen).to.have.length(1));
    await clock.advance(999);
    expect(a!.remote.stats().pendingQueries).to.equal(1);
    await clock.advance(1);
    const error = await outcome;
    expect(error).to.be.instanceOf(AskTimeoutError);
    expect((error as AskTimeoutError).message).to.equal(`no reply from /${b!.name}/echo within 1000ms`);
    expect(a!.remote.stats().pendingQueries).to.equal(0);

    const late = echo.seen[0] as Extract<EchoMsg, { type: 'echo/ignore' }>;
    b!.system.dispatch(late.replyTo, 'too late');
    await eventually(() => expect(a!.system.registry.deadLetters).to.equal(1));
    expect(a!.logs.some((l) => l.msg === 'remoting.dead-letter' && l.reason === 'no query waits for this reply')).to.equal(true);
  });

  it('lets a reply address travel on: A asks B, B forwards to C, C replies straight to A', async () => {
    cluster = startCluster(['a', 'b', 'c']);
    const [a, b, c] = cluster.nodes;
    spawnEcho(b!.system);
    const atC = spawnEcho(c!.system);
    const hops: string[] = [];
    cluster.hub.dropWhere((envelope, from, to) => {
      hops.push(`${from.name}>${to.name} ${envelope.to}`);
      return false;
    });
    const reply = await a!.system.query<EchoMsg, string>(
      remoteRef(b!.name, '/echo'),
      (replyTo) => ({ type: 'echo/forward', text: 'via b', via: remoteRef(c!.name, '/echo'), replyTo }),
      5000,
    );
    expect(reply).to.equal('VIA B');
    expect(atC.seen.map((m) => m.type)).to.deep.equal(['echo/say']);
    expect(hops).to.have.length(3);
    expect(hops[0]).to.equal(`${a!.name}>${b!.name} /echo`);
    expect(hops[1]).to.equal(`${b!.name}>${c!.name} /echo`);
    expect(hops[2]).to.match(new RegExp(`^${c!.name}>${a!.name} /~reply/\\d+$`));
  });

  it('lets the reply address of a local query travel to another node and back', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const forwarder = spawnEcho(a!.system, 'forwarder');
    spawnEcho(b!.system);
    const reply = await a!.system.query<EchoMsg, string>(
      forwarder.ref,
      (replyTo) => ({ type: 'echo/forward', text: 'round trip', via: remoteRef(b!.name, '/echo'), replyTo }),
      5000,
    );
    expect(reply).to.equal('ROUND TRIP');
    expect(a!.system.registry.deadLetters + b!.system.registry.deadLetters).to.equal(0);
  });

  it('carries refs inside messages: local on arrival when they name the receiving node, remote otherwise', async () => {
    cluster = startCluster(['a', 'b', 'c']);
    const [a, b, c] = cluster.nodes;
    const atA = spawnEcho(a!.system, 'home');
    const atB = spawnEcho(b!.system);
    const kept = await a!.system.query<EchoMsg, { type: 'echo/kept'; one: AnyRef; list: AnyRef[] }>(
      remoteRef(b!.name, '/echo'),
      (replyTo) => ({ type: 'echo/keep', refs: { one: atA.ref, list: [remoteRef(c!.name, '/echo'), remoteRef(b!.name, '/echo')] }, replyTo }),
      5000,
    );
    // at B, A's actor was a remote ref pinned to A's incarnation
    const keptAtB = atB.seen[0] as Extract<EchoMsg, { type: 'echo/keep' }>;
    expect(keptAtB.refs.one).to.include({ type: 'remote', node: a!.name, at: '/home', incarnation: a!.remoting.self.incarnation });
    expect(keptAtB.refs.list[1]).to.include({ type: 'actor' });
    expect(refNode(keptAtB.refs.list[1]!)).to.equal(b!.name);
    // back at A: its own actor is the local ref again, C's and B's are remote
    expect(kept.one).to.equal(atA.ref);
    expect(kept.list.map((r) => [r.type, refNode(r), refPath(r)])).to.deep.equal([
      ['remote', c!.name, '/echo'],
      ['remote', b!.name, '/echo'],
    ]);
    expect(a!.system.dispatch(kept.one as Ref<EchoMsg>, { type: 'echo/tell', text: 'local again' })).to.equal(true);
    b!.system.dispatch(keptAtB.refs.one as Ref<EchoMsg>, { type: 'echo/tell', text: 'from b' });
    await eventually(() => expect(atA.seen.map((m) => (m.type === 'echo/tell' ? m.text : m.type))).to.have.members(['local again', 'from b']));
  });

  it('still routes refs that lost their class on the way (persisted or cloned as plain data)', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const atA = spawnEcho(a!.system, 'home');
    const atB = spawnEcho(b!.system);
    const toB = JSON.parse(JSON.stringify(remoteRef<EchoMsg>(b!.name, '/echo'))) as Ref<EchoMsg>;
    expect(toB).to.deep.equal({ type: 'remote', node: b!.name, at: '/echo' });
    const kept = await a!.system.query<EchoMsg, { type: 'echo/kept'; one: AnyRef; list: AnyRef[] }>(
      toB,
      (replyTo) => ({ type: 'echo/keep', refs: { one: structuredClone(atA.ref), list: [structuredClone(remoteRef(b!.name, '/echo'))] }, replyTo }),
      5000,
    );
    expect(kept.one).to.equal(atA.ref);
    const keptAtB = atB.seen[0] as Extract<EchoMsg, { type: 'echo/keep' }>;
    expect(keptAtB.refs.one).to.include({ type: 'remote', node: a!.name, at: '/home' });
    expect(keptAtB.refs.list[0]).to.equal(b!.system.lookup('/echo'));
  });

  it('counts a message to an actor that does not exist as a dead letter on the receiving node; the sender is unaffected', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    spawnEcho(b!.system);
    expect(a!.system.dispatch(remoteRef<EchoMsg>(b!.name, '/nobody'), { type: 'echo/tell', text: 'lost' })).to.equal(true);
    await eventually(() => expect(b!.system.registry.deadLetters).to.equal(1));
    expect(b!.logs.some((l) => l.msg === 'actor.dead-letter' && l.to === '/nobody')).to.equal(true);
    expect(a!.system.registry.deadLetters).to.equal(0);
    expect(await say(a!, remoteRef(b!.name, '/echo'), 'still here')).to.equal('STILL HERE');
  });

  it('reaches the new actor at a path after the old one stopped, with a dead letter in between', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const first = spawnEcho(b!.system);
    const target = remoteRef<EchoMsg>(b!.name, '/echo');
    a!.system.dispatch(target, { type: 'echo/tell', text: 'one' });
    await eventually(() => expect(first.seen).to.have.length(1));
    b!.system.stop(first.ref);
    await eventually(() => expect(b!.system.lookup('/echo')).to.equal(undefined));
    a!.system.dispatch(target, { type: 'echo/tell', text: 'lost' });
    await eventually(() => expect(b!.system.registry.deadLetters).to.equal(1));
    const second = spawnEcho(b!.system);
    a!.system.dispatch(target, { type: 'echo/tell', text: 'two' });
    await eventually(() => expect(second.seen).to.deep.equal([{ type: 'echo/tell', text: 'two' }]));
    expect(first.seen).to.deep.equal([{ type: 'echo/tell', text: 'one' }]);
  });

  it('makes a message to a node the directory does not know, or to a stale incarnation, a dead letter without throwing', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    const echo = spawnEcho(b!.system);
    const stale = remoteRef<EchoMsg>(b!.name, '/echo', b!.remoting.self.incarnation - 1);
    expect(a!.system.dispatch(remoteRef<EchoMsg>('nowhere', '/echo'), { type: 'echo/tell', text: 'x' })).to.equal(false);
    expect(a!.system.dispatch(stale, { type: 'echo/tell', text: 'x' })).to.equal(false);
    expect(a!.system.registry.deadLetters).to.equal(2);
    const error = await say(a!, remoteRef('nowhere', '/echo'), 'x', 60_000).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'Unavailable');
    expect((error as Error).message).to.equal('no reply from /nowhere/echo: node nowhere is not a member');
    await new Promise((resolve) => setImmediate(resolve));
    expect(echo.seen).to.deep.equal([]);
  });

  it('makes a message that cannot be encoded a dead letter, not a throw', async () => {
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes;
    spawnEcho(b!.system);
    const cyclic: Record<string, unknown> = { type: 'echo/tell' };
    cyclic.self = cyclic;
    expect(a!.system.dispatch(remoteRef<unknown>(b!.name, '/echo'), cyclic)).to.equal(false);
    expect(a!.system.dispatch(remoteRef<unknown>(b!.name, '/echo'), { type: 'echo/tell', text: { $ref: 'forged' } })).to.equal(false);
    expect(a!.system.registry.deadLetters).to.equal(2);
    expect(a!.logs.filter((l) => l.msg === 'remoting.dead-letter').map((l) => String(l.reason))).to.satisfy((reasons: string[]) =>
      reasons.every((r) => r.startsWith('message cannot be encoded')),
    );
  });
});
