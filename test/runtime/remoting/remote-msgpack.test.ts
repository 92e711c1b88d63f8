import { expect } from 'chai';
import { pack, Packr } from 'msgpackr';
import { RemoteActorRef } from '../../../src/runtime/kernel/protocol.js';
import { decodeBody, encodeBody, encodedShape, type CodecContext } from '../../../src/runtime/remoting/remote-codec.js';
import { SLOW } from '../../../src/runtime/remoting/remote-msgpack.js';
import { readFast } from '../../../src/runtime/remoting/remote-msgpack-reader.js';
import { writeFast } from '../../../src/runtime/remoting/remote-msgpack-writer.js';

const msgpackr = new Packr({ useRecords: false, moreTypes: true });
const noRefs = () => false;
const ctx: CodecContext = {
  node: 'here',
  incarnation: 7,
  lookup: () => undefined,
  root: { type: 'system', path: { parts: [] }, system: { name: 'here' } },
};

/** A seeded generator, so a failure replays. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const INTS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53)];
const STRINGS = [0, 1, 8, 9, 16, 31, 32, 33, 255, 256, 70_000].map((n) => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n));

function plainValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 4 ? 5 : 8));
  switch (pick) {
    case 0:
      return INTS[Math.floor(next() * INTS.length)];
    case 1:
      return (next() - 0.5) * 1e6;
    case 2:
      return STRINGS[Math.floor(next() * 9)];
    case 3:
      return next() < 0.5 ? null : next() < 0.5;
    case 4:
      return `k${Math.floor(next() * 50)}`;
    case 5:
    case 6: {
      const object: Record<string, unknown> = {};
      const keys = next() < 0.1 ? 20 : Math.floor(next() * 6);
      for (let i = 0; i < keys; i++) object[`f${Math.floor(next() * 40)}`] = plainValue(next, depth + 1);
      return object;
    }
    default:
      return Array.from({ length: next() < 0.1 ? 17 : Math.floor(next() * 5) }, () => plainValue(next, depth + 1));
  }
}

describe('remote bodies: the fast msgpack path', () => {
  it('writes standard msgpack that msgpackr reads back to the same value, and reads what msgpackr writes', () => {
    const values: unknown[] = [
      ...INTS,
      1.5,
      -0.25,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      ...STRINGS,
      { type: 'bench/msg', process_guid: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', index: 7, payload: 'x'.repeat(16) },
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, i])), // map16
      Array.from({ length: 70_000 }, (_, i) => i % 300), // array32
      { nested: [[{ deep: [null, true, false] }]], '': 'empty key' },
    ];
    const next = random(6);
    for (let i = 0; i < 2000; i++) values.push(plainValue(next));
    for (const value of values) {
      const bytes = writeFast(value, noRefs);
      expect(bytes).to.not.equal(SLOW);
      const copy = Uint8Array.from(bytes as Uint8Array); // the fast bytes are a view into a shared slab
      expect(msgpackr.unpack(copy)).to.deep.equal(value);
      const read = readFast(copy);
      expect(read === SLOW ? SLOW : read.value).to.deep.equal(value);
      const theirs = readFast(msgpackr.pack(value));
      if (theirs !== SLOW) expect(theirs.value).to.deep.equal(value);
    }
  });

  it('leaves refs, class instances, dates, undefined, non-ASCII text, `$ref` keys and deep nesting to the general path', () => {
    const isRef = (v: object) => (v as { type?: unknown }).type === 'remote';
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    const slow = [
      { to: { type: 'remote', node: 'n', at: '/a' } },
      { to: new RemoteActorRef('n', '/a') },
      { at: new Date(0) },
      { gone: undefined },
      [1, , 3], // a hole
      'héllo',
      { héllo: 1 },
      { $ref: 1 },
      { __proto__: null, ok: { ['__proto__']: 1 } },
      new Uint8Array(3),
      10n,
      deep,
    ];
    slow.forEach((value, i) => expect(writeFast(value, isRef), `value ${i}`).to.equal(SLOW));
  });

  it('gives up on bytes that are not exactly one value it knows, and the general path still decides', () => {
    const good = pack({ type: 'x/y', list: [1, 2, 3], text: 'abc' });
    expect(readFast(good.subarray(0, good.length - 1))).to.equal(SLOW);
    expect(readFast(Buffer.concat([good, Buffer.of(0)]))).to.equal(SLOW);
    expect(readFast(Buffer.of(0xc1))).to.equal(SLOW);
    expect(readFast(Buffer.of(0xdd, 0xff, 0xff, 0xff, 0xff))).to.equal(SLOW);
    expect(() => decodeBody(good.subarray(0, good.length - 1), ctx)).to.throw();
    // mutated bodies: the fast reader either gives up or agrees with msgpackr
    const next = random(51);
    const base = Uint8Array.from(writeFast({ type: 'a/b', n: 300, s: 'hello world', list: [1, -5, 'x', null, { k: 2.5 }] }, noRefs) as Uint8Array);
    for (let i = 0; i < 5000; i++) {
      const bytes = base.slice();
      for (let m = 0; m < 3; m++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      const fast = readFast(bytes);
      if (fast === SLOW) continue;
      expect(fast.value).to.deep.equal(msgpackr.unpack(bytes));
    }
  });

  it('writes and reads a shape seen often through its compiled encoder and constructor, exactly as before', () => {
    // keys that need escaping in generated code, numeric keys (their own order), an empty key, nesting
    const shapes = [
      (i: number) => ({ type: 'shape/a', 'quo"te': i, 'back\\slash': `v${i}`, '': null }),
      (i: number) => ({ 2: 'two', type: 'shape/b', 1: i, inner: { type: 'shape/a', 'quo"te': -i - 1, 'back\\slash': 'x', '': [i, { deep: true }] } }),
      (i: number) => ({ type: 'shape/c', 'line\nbreak': i, "it's": 'ok', '${x}': i * 0.5 }),
    ];
    const written = (value: unknown) => Buffer.from(writeFast(value, noRefs) as Uint8Array);
    const before = shapes.map((make) => written(make(0))); // by the general loop: each shape is new
    for (let i = 0; i < 100; i++) {
      for (const make of shapes) {
        const value = make(i);
        const bytes = writeFast(value, noRefs);
        expect(bytes).to.not.equal(SLOW);
        const copy = Uint8Array.from(bytes as Uint8Array);
        expect(msgpackr.unpack(copy)).to.deep.equal(value);
        const read = readFast(copy);
        expect(read === SLOW ? SLOW : read.value).to.deep.equal(value);
        expect(Object.keys(read === SLOW ? {} : (read.value as object))).to.deep.equal(Object.keys(value));
      }
    }
    shapes.forEach((make, i) => expect(written(make(0)).equals(before[i]!), `shape ${i} compiled`).to.equal(true));
    // a known shape with a value it cannot write still gives up, and an undefined still does
    for (let i = 0; i < 20; i++) expect(writeFast({ type: 'shape/c', 'line\nbreak': i, "it's": 'ok', '${x}': i }, noRefs)).to.not.equal(SLOW);
    expect(writeFast({ type: 'shape/c', 'line\nbreak': 1, "it's": 'ök', '${x}': 1 }, noRefs)).to.equal(SLOW);
    expect(writeFast({ type: 'shape/c', 'line\nbreak': 1, "it's": undefined, '${x}': 1 }, noRefs)).to.equal(SLOW);
    // a body that breaks off inside a known shape's nested map is refused, and the next one reads
    const good = msgpackr.pack(shapes[1]!(3));
    expect(readFast(good.subarray(0, good.length - 3))).to.equal(SLOW);
    expect((readFast(good) as { value: unknown }).value).to.deep.equal(shapes[1]!(3));
  });

  it('keeps keys apart that share a cache slot', () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `k${i.toString(36)}${'z'.repeat(i % 20)}`);
    for (let i = 0; i < keys.length; i += 2) {
      const value = { [keys[i]!]: i, [keys[i + 1]!]: i + 1 };
      const read = readFast(pack(value));
      expect(read === SLOW ? SLOW : read.value).to.deep.equal(value);
    }
  });

  it('reads short values right whether they recur or not, and whatever the key cache holds', () => {
    const values = Array.from({ length: 5000 }, (_, i) => `v${i.toString(36)}`.slice(0, 2 + (i % 7)));
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < values.length; i++) {
        const value = { state: i % 3 ? 'RUNNING' : 'CRASHED', id: values[i], [values[(i * 7) % values.length]!]: values[i] };
        const read = readFast(pack(value));
        expect(read === SLOW ? SLOW : read.value, `round ${round}, value ${i}`).to.deep.equal(value);
      }
    }
    expect(readFast(pack({ s: 'caf\u00e9' }))).to.equal(SLOW); // non-ASCII still goes the general way
  });

  it('still rewrites a ref deep inside a message that otherwise takes the fast path', () => {
    const message = { type: 'deep/ref', a: { b: [{ c: [new RemoteActorRef('there', '/x/y', 3)] }] }, plain: 'text' };
    const decoded = decodeBody(encodeBody(message, ctx), ctx) as { a: { b: Array<{ c: RemoteActorRef[] }> }; plain: string };
    const ref = decoded.a.b[0]!.c[0]!;
    expect(ref).to.be.instanceOf(RemoteActorRef);
    expect([ref.node, ref.at, ref.incarnation]).to.deep.equal(['there', '/x/y', 3]);
    expect(decoded.plain).to.equal('text');
    // and a ref-free message with a `$ref`-looking body from a peer is checked, not trusted
    expect(() => decodeBody(pack({ type: 'x', r: { $ref: { node: 5 } } }), ctx)).to.throw(/\$ref/);
  });
});

describe('remote bodies: typed bodies (the type travels in the envelope)', () => {
  const typed = (message: { type: string } & Record<string, unknown>) => encodeBody(message, ctx, true);
  /** encodes typed and decodes as a receiver would, with the envelope's type and shape */
  const roundTrip = (message: { type: string } & Record<string, unknown>) => {
    const body = Uint8Array.from(typed(message));
    const shape = encodedShape();
    return { body, shape, decoded: decodeBody(body, ctx, message.type, shape) as Record<string, unknown> };
  };

  it('leaves the type out of the body and puts it back first, for every shape and through compiled code', () => {
    const next = random(11);
    for (let i = 0; i < 2000; i++) {
      const rest = plainValue(next);
      const message = { ...(rest !== null && typeof rest === 'object' && !Array.isArray(rest) ? rest : { value: rest }), type: `t/${i % 7}` };
      const whole = encodeBody(message, ctx);
      const { body, decoded } = roundTrip(message);
      if (body[0] === 0xc1) expect(body.length, `message ${i}`).to.be.below(whole.length);
      expect(decoded, `message ${i}`).to.deep.equal(message);
      expect(Object.keys(decoded)[0]).to.equal('type');
    }
    // a recurring shape: a typed map until its shape is compiled, then shaped (the values alone,
    // their keys in the envelope); whole bodies of the same shape stay plain msgpack
    const keys = ['guid_t', 'index_t', 'payload_t']; // a key sequence no other test uses
    const kinds: string[] = [];
    for (let i = 0; i < 50; i++) {
      const message = { type: 'bench/msg', guid_t: 'guid', index_t: i, payload_t: 'x'.repeat(16) };
      const { body, shape, decoded } = roundTrip(message);
      if (body[1] === 0x83) {
        kinds.push('map');
        expect(shape, `typed ${i}`).to.equal(undefined);
      } else {
        kinds.push('shaped');
        expect([body[0], body[1], shape], `shaped ${i}`).to.deep.equal([0xc1, 0xc1, keys]);
        expect(body.length).to.equal(2 + 5 + 1 + 17);
      }
      expect(decoded).to.deep.equal(message);
      expect(Object.keys(decoded)).to.deep.equal(['type', ...keys]);
      expect(msgpackr.unpack(Uint8Array.from(encodeBody(message, ctx)))).to.deep.equal(message);
    }
    const compiledAt = kinds.indexOf('shaped');
    expect(compiledAt).to.be.within(1, 16); // once the shape is seen often (whole and typed writes both count)
    expect(kinds.slice(compiledAt).every((k) => k === 'shaped')).to.equal(true);
    // one key list for the shape's lifetime: the batch keys its table by it
    const first = roundTrip({ type: 'bench/msg', guid_t: 'g', index_t: 1, payload_t: 'p' }).shape;
    expect(roundTrip({ type: 'other/type', guid_t: 'g', index_t: 2, payload_t: 'p' }).shape).to.equal(first);
    expect(Array.from(typed({ type: 'only' }))).to.deep.equal([0xc1, 0x80]);
  });

  it('reads a shaped body only with its shape, and refuses one whose values and keys do not agree', () => {
    let shaped = roundTrip({ type: 's/x', a: 1, b: 'two' });
    for (let i = 0; i < 20; i++) shaped = roundTrip({ type: 's/x', a: i, b: 'two' });
    expect(shaped.shape).to.deep.equal(['a', 'b']);
    expect(() => decodeBody(shaped.body, ctx, 's/x')).to.throw(/shaped body without its shape/);
    expect(() => decodeBody(shaped.body, ctx, 's/x', ['a'])).to.throw(/2 values for 1 keys/);
    expect(() => decodeBody(shaped.body, ctx, 's/x', ['a', 'b', 'c'])).to.throw(/2 values for 3 keys/);
    for (const bad of [['a', 'type'], ['__proto__', 'b'], ['a', 'a']]) expect(() => decodeBody(shaped.body, ctx, 's/x', bad)).to.throw(/reserved or repeated key/);
    // values the fast reader leaves to msgpackr (a float32) are still read
    const float32 = Buffer.concat([Buffer.of(0xc1, 0xc1, 0xca), Buffer.from(new Float32Array([1.5]).buffer).reverse(), Buffer.of(0xa1, 0x78)]);
    expect(decodeBody(float32, ctx, 's/f', ['f', 'g'])).to.deep.equal({ type: 's/f', f: 1.5, g: 'x' });
  });

  it('writes whole what the fast path cannot, and reads typed bodies the fast reader leaves to msgpackr', () => {
    const dated = { type: 'x/dated', at: new Date(0), ref: new RemoteActorRef('there', '/a', 2) };
    const body = typed(dated);
    expect(body[0]).to.not.equal(0xc1);
    const decoded = decodeBody(body, ctx, 'x/dated') as typeof dated;
    expect(decoded.at.getTime()).to.equal(0);
    expect(decoded.ref).to.be.instanceOf(RemoteActorRef);
    // a typed body whose map the fast reader gives up on (a float32) still decodes
    const float32 = Buffer.concat([Buffer.of(0xc1, 0x81, 0xa1, 0x66, 0xca), Buffer.from(new Float32Array([1.5]).buffer).reverse()]);
    expect(decodeBody(float32, ctx, 'x/f')).to.deep.equal({ type: 'x/f', f: 1.5 });
  });

  it('refuses a typed body with no envelope type, one that is not a map, and one that brings its own type', () => {
    const body = Uint8Array.from(typed({ type: 'x/y', a: 1 }));
    expect(() => decodeBody(body, ctx)).to.throw(/typed body without an envelope type/);
    expect(() => decodeBody(Buffer.of(0xc1, 0x93, 1, 2, 3), ctx, 'x/y')).to.throw(/not a map/);
    const ownType = Buffer.concat([Buffer.of(0xc1), pack({ type: 'other', a: 1 })]);
    expect(() => decodeBody(ownType, ctx, 'x/y')).to.throw(/type of its own/);
    expect(readFast(body)).to.equal(SLOW);
  });
});
