import { expect } from 'chai';
import { pack, Packr } from 'msgpackr';
import { remoteRef, RemoteActorRef, type AnyRef, type KernelRef } from '../../src/runtime/kernel/protocol.js';
import { decodeBody, encodeBody, encodedShape, useBodyCodec, type CodecContext } from '../../src/runtime/remoting/remote-codec.js';
import { msgpackrBodies, REF_EXTENSION } from '../../bench/support/remote-msgpackr.js';
import { benchMsg, startNode, type BenchNode } from '../fixtures/bench-remote-actors.js';
import { eventually } from '../support/eventually.js';
import { spawnEcho, type EchoMsg } from '../runtime/remoting/remote-echo.js';
import { startCluster, type TestCluster, type TestNode } from '../runtime/remoting/remote-harness.js';

// The codec bench/remoting.ts compares with the hand-written one: it must carry what that one
// carries, decode to the same values, and refuse the same bodies.

const root: KernelRef = { type: 'system', path: { parts: [] }, system: { name: 'here' } };
const echoHere: KernelRef = { type: 'actor', path: { parts: ['echo'] }, system: { name: 'here' } };
const ctx: CodecContext = { node: 'here', incarnation: 7, lookup: (path) => (path === '/echo' ? echoHere : undefined), root };

/** Encodes and decodes as two nodes would with `codec` on both ends (the shape travels beside the body). */
function roundTrip(codec: 'hand' | 'msgpackr', message: unknown, typed: boolean): unknown {
  useBodyCodec(codec === 'msgpackr' ? msgpackrBodies : undefined);
  try {
    const body = Uint8Array.from(encodeBody(message, ctx, typed));
    return decodeBody(body, ctx, typed ? (message as { type: string }).type : undefined, encodedShape());
  } finally {
    useBodyCodec(undefined);
  }
}

/** The body and shape the msgpackr codec writes for `message`. */
function written(message: unknown, typed = true): { body: Uint8Array; shape: readonly string[] | undefined } {
  useBodyCodec(msgpackrBodies);
  try {
    return { body: Uint8Array.from(encodeBody(message, ctx, typed)), shape: encodedShape() };
  } finally {
    useBodyCodec(undefined);
  }
}

const read = (body: Uint8Array, shape?: readonly string[], type?: string): unknown => {
  useBodyCodec(msgpackrBodies);
  try {
    return decodeBody(body, ctx, type, shape);
  } finally {
    useBodyCodec(undefined);
  }
};

function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const LEAVES: unknown[] = [0, 64, 127, -33, 2 ** 32, 2 ** 53 - 1, -(2 ** 53), 1.5, Number.NaN, 'k', 'x'.repeat(40), 'héllo', '😀 pair', null, true, false, undefined, 10n, 2n ** 63n - 1n];

function value(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 2 : 4));
  if (pick === 0) return LEAVES[Math.floor(next() * LEAVES.length)];
  if (pick === 1) return `s${Math.floor(next() * 1e6)}`;
  if (pick === 2) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const object: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) object[`f${Math.floor(next() * 20)}`] = value(next, depth + 1);
  return object;
}

describe('remote bodies: the msgpackr codec (the bench compares it with the hand codec)', () => {
  afterEach(() => useBodyCodec(undefined));

  it('decodes every value to what the hand codec decodes it to, typed messages included', () => {
    const next = random(13);
    const messages: unknown[] = [
      { type: 'x/dates', at: new Date(0), set: new Set([1, 'two']), bytes: Uint8Array.of(1, 2, 3), map: new Map([['k', 1]]) },
      { type: 'x/gone', gone: undefined, nothing: null, list: [undefined, null] },
      { type: 'x/big', big: 10n, huge: -(2n ** 63n), text: 'a\u{1F600}b', mixed: 'ünï' },
      [1, 'two', { three: 3 }],
      'a reply',
    ];
    for (let i = 0; i < 1500; i++) {
      const rest = value(next);
      messages.push(rest !== null && typeof rest === 'object' && !Array.isArray(rest) ? { type: `t/${i % 40}`, ...rest } : rest);
    }
    for (const [i, message] of messages.entries()) {
      const typed = typeof (message as { type?: unknown } | null)?.type === 'string';
      expect(roundTrip('msgpackr', message, typed), `message ${i}`).to.deep.equal(roundTrip('hand', message, typed));
    }
    // what that set is: exact values, a Map arriving as an object (msgpackr's plain maps, both codecs)
    expect(roundTrip('msgpackr', messages[0], true)).to.deep.equal({ ...(messages[0] as object), map: { k: 1 } });
    for (const message of messages.slice(1, 3)) expect(roundTrip('msgpackr', message, true)).to.deep.equal(message);
    expect(Object.keys(roundTrip('msgpackr', messages[1], true) as object)).to.include('gone');
  });

  it('writes refs through its extension and reads them back as the hand codec does: local here, remote otherwise', () => {
    const message = {
      type: 'x/refs',
      local: remoteRef('here', '/echo', 7),
      stale: remoteRef('here', '/echo', 6),
      there: remoteRef('there', '/a', 3),
      unpinned: new RemoteActorRef('there', '/b'),
      deep: { list: [[{ ref: remoteRef('there', '/c') }]] },
      cloned: structuredClone(remoteRef('there', '/d', 1)),
      nact: echoHere,
      temp: { type: 'temp', id: 42, system: { name: 'here' }, path: { parts: [] } },
      root,
      nobody: { type: 'nobody', system: { name: undefined }, path: { parts: [] } },
    };
    const ours = roundTrip('msgpackr', message, true) as Record<string, unknown>;
    expect(ours).to.deep.equal(roundTrip('hand', message, true));
    expect(ours.local).to.equal(echoHere);
    expect(ours.root).to.equal(root);
    expect(ours.nobody).to.equal(null);
    expect(ours.stale).to.be.instanceOf(RemoteActorRef).and.include({ node: 'here', at: '/echo', incarnation: 6 });
    const { body } = written({ type: 'x/one', to: remoteRef('there', '/a', 3) });
    expect(Buffer.from(body).includes(Buffer.of(0xd4, REF_EXTENSION, 0))).to.equal(true);
  });

  it('sends a tagged message as a record of a shared structure whose keys travel beside it, one list per shape', () => {
    written({ type: 'x/rec', a: 0, b: 'one' }); // a shape that finds the table full starts it again
    const first = written({ type: 'x/rec', a: 1, b: 'two' });
    const second = written({ type: 'x/rec', a: 2, b: 'three' });
    expect(first.shape).to.deep.equal(['type', 'a', 'b']);
    expect(second.shape).to.equal(first.shape);
    expect(second.body[0]).to.be.within(0x40, 0x5f);
    expect(read(second.body, second.shape)).to.deep.equal({ type: 'x/rec', a: 2, b: 'three' });
    // untagged values (replies) go as plain msgpack, with no shape
    const reply = written({ a: 1 }, false);
    expect(reply.shape).to.equal(undefined);
    expect(new Packr({ useRecords: false }).unpack(reply.body)).to.deep.equal({ a: 1 });
  });

  it('reads each body with only its own shape: any order, a new list for the same keys, nothing kept between bodies', () => {
    const bodies = ['x/s1', 'x/s2', 'x/s3'].map((type, i) => {
      written({ type, [`k${i}`]: -1, n: 'v' });
      return { ...written({ type, [`k${i}`]: i, n: 'v' }), type, i };
    });
    // and the sender starting its table again changes nothing for bodies already written
    for (let i = 0; i < 40; i++) written({ type: 'x/fill', [`f${i}`]: i });
    for (const { body, shape, type, i } of [...bodies].reverse()) {
      // what a receiver has after its peer restarted, or after its interned lists were cleared
      expect(read(body, [...shape!])).to.deep.equal({ type, [`k${i}`]: i, n: 'v' });
    }
    // without its shape a record's id is a number followed by bytes no value owns
    expect(() => read(bodies[0]!.body)).to.throw(/end of buffer not reached/);
    // a hostile body's own record definition does not outlive it
    const defining = new Packr({ structures: [], maxSharedStructures: 0 }).pack({ a: 1 });
    expect(defining[0]).to.equal(0xd4);
    expect(read(defining)).to.deep.equal({ a: 1 });
    expect(read(Uint8Array.of(0x40))).to.equal(0x40);
  });

  it('refuses what the hand codec refuses, and malformed bodies, with an error and no harm to the next body', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    useBodyCodec(msgpackrBodies);
    expect(() => encodeBody({ type: 'x', $ref: 1 }, ctx, true)).to.throw(/\$ref/);
    expect(() => encodeBody({ type: 'x', deep }, ctx, true)).to.throw(/nested deeper than 64/);
    const cyclic: Record<string, unknown> = { type: 'x' };
    cyclic.self = cyclic;
    expect(() => encodeBody(cyclic, ctx, true)).to.throw(/nested deeper than 64/);
    useBodyCodec(undefined);
    const good = written({ type: 'x/ok', n: 1 });
    const refExt = (fields: unknown) => Buffer.concat([Buffer.of(0x81, 0xa1, 0x72, 0xd4, REF_EXTENSION, 0), pack(fields)]);
    const bad: Array<[Uint8Array, RegExp, (readonly string[])?]> = [
      [new Uint8Array(0), /empty body/],
      [pack({ type: 'x', r: { $ref: { node: 'here', path: '/echo' } } }), /\$ref/],
      [pack({ deep }), /nested deeper than 64/],
      [Uint8Array.of(0xc1), /0xc1/],
      [Uint8Array.of(0x91, 0xc1), /0xc1/],
      [good.body.subarray(0, good.body.length - 1), /./, good.shape],
      [Buffer.concat([good.body, Buffer.of(0)]), /end of buffer not reached/, good.shape],
      [good.body, /./, ['type']],
      [pack({ a: 1 }), /shape that is not a record/, ['a']],
      [refExt(['here']), /not \[node, path, incarnation\?\]/],
      [refExt([5, '/echo']), /not \[node, path, incarnation\?\]/],
      [refExt(['here', 'echo']), /not \[node, path, incarnation\?\]/],
      [refExt(['here', '/echo', 'seven']), /incarnation is not a number/],
      [refExt(['here', '/~temp/x', 7]), /bad temp ref/],
    ];
    for (const [i, [body, error, shape]] of bad.entries()) {
      expect(() => read(body, shape), `body ${i}`).to.throw(error);
      expect(read(good.body, good.shape), `after body ${i}`).to.deep.equal({ type: 'x/ok', n: 1 });
    }
    // the extension reads refs only inside a body this codec decodes
    expect(() => new Packr().unpack(refExt(['here', '/echo']))).to.throw(/outside a remote message body/);
  });
});

describe('remote bodies: the msgpackr codec between nodes', () => {
  let cluster: TestCluster | undefined;
  const nodes: BenchNode[] = [];
  afterEach(async () => {
    useBodyCodec(undefined);
    await cluster?.close();
    cluster = undefined;
    for (const node of nodes.splice(0)) await node.close();
  });

  it('carries queries, refs inside messages and replies, and counts a forged ref as malformed', async () => {
    useBodyCodec(msgpackrBodies);
    cluster = startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [TestNode, TestNode];
    const atA = spawnEcho(a.system, 'home');
    const atB = spawnEcho(b.system);
    const toB = remoteRef<EchoMsg>(b.name, '/echo');
    expect(await a.system.query<EchoMsg, string>(toB, (replyTo) => ({ type: 'echo/say', text: 'hi', replyTo }), 5000)).to.equal('HI');
    const kept = await a.system.query<EchoMsg, { type: 'echo/kept'; one: AnyRef; list: AnyRef[] }>(
      toB,
      (replyTo) => ({ type: 'echo/keep', refs: { one: atA.ref, list: [toB] }, replyTo }),
      5000,
    );
    expect(kept.one).to.equal(atA.ref);
    expect(kept.list[0]).to.include({ type: 'remote', node: b.name, at: '/echo' });
    expect((atB.seen[1] as Extract<EchoMsg, { type: 'echo/keep' }>).refs.list[0]).to.equal(b.system.lookup('/echo'));
    a.remoting.sendTo(b.remoting.self.address, { to: '/echo', type: 'echo/tell', body: pack({ type: 'echo/tell', text: { $ref: { node: 5 } } }) });
    await eventually(() => expect(b.remote.stats().malformed).to.equal(1));
    expect(atB.seen).to.have.length(2);
  });

  it('delivers messages of several shapes over real gRPC streams, their keys once per batch', async () => {
    useBodyCodec(msgpackrBodies);
    const [sender, receiver] = [await startNode(`msgpackr-a-${process.pid}`, 's3cret'), await startNode(`msgpackr-b-${process.pid}`, 's3cret')];
    nodes.push(sender, receiver);
    sender.directory.set(receiver.remoting.self);
    receiver.directory.set(sender.remoting.self);
    const seen: unknown[] = [];
    const sink = receiver.system.spawnStateless<unknown>(receiver.system.root, { kind: 'sink', name: 'sink', handle: (msg) => void seen.push(msg) });
    const to = remoteRef<unknown>(receiver.remoting.self.name, '/sink', receiver.remoting.self.incarnation);
    const sent = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? benchMsg(i) : i % 3 === 1 ? { type: 'x/other', i, at: new Date(i) } : { type: 'x/ref', i, back: sink }));
    for (const message of sent) expect(sender.system.dispatch(to, message)).to.equal(true);
    await eventually(() => expect(seen).to.have.length(sent.length), { timeout: 10_000 });
    expect(seen.map((m) => (m as { type: string }).type)).to.deep.equal(sent.map((m) => m.type));
    expect(seen[0]).to.deep.equal(sent[0]);
    expect(seen[1]).to.deep.equal(sent[1]);
    expect((seen[2] as { back: unknown }).back).to.equal(sink);
    expect(receiver.remote.stats().malformed).to.equal(0);
  });
});
