import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeFrame, encodeBatch, encodeHandshake, MalformedFrame, type Frame } from '../../../src/runtime/remoting/codec.js';
import { PROTOCOL_VERSION } from '../../../src/runtime/remoting/handshake.js';
import type { Envelope } from '../../../src/runtime/remoting/types.js';

// The .proto beside the sources (tsc does not copy it to dist): the codec must match it byte for byte.
const protoPath = fileURLToPath(new URL('../../../../src/runtime/remoting/proto/remoting.proto', import.meta.url));
const ProtoFrame = protobuf.loadSync(protoPath).lookupType('auctor.remoting.Frame');

const envelopes: Envelope[] = [
  { to: '/control/lrps', type: 'lrps/desire', body: Buffer.from([1, 2, 3]) },
  { to: '/cells/z1-01', from: '/control/auctioneer', correlation: 0, type: 'cell/state', body: Buffer.alloc(0) },
  { to: '/control/lrps', from: '/control/auctioneer', correlation: 2 ** 53 - 1, type: 'lrps/desire', body: Buffer.alloc(300, 7) },
  { to: '/ünïcödé/パス', type: 'tëst/☃', correlation: 128, body: Buffer.from('x') },
];

function batchOf(frame: Frame): Envelope[] {
  if (frame.kind !== 'batch') throw new Error(`expected a batch, got ${frame.kind}`);
  expect(frame.invalid).to.equal(0);
  return frame.envelopes.map((e) => ({ ...e, body: Buffer.from(e.body) }));
}

describe('remoting codec', () => {
  it('round-trips a batch with every field, shared paths and non-ASCII text', () => {
    expect(batchOf(decodeFrame(encodeBatch(envelopes, 0, envelopes.length)))).to.deep.equal(envelopes);
    expect(batchOf(decodeFrame(encodeBatch(envelopes, 1, 2)))).to.deep.equal(envelopes.slice(1, 3));
  });

  it('writes what protobufjs reads from remoting.proto, tables and indexes included', () => {
    const decoded = ProtoFrame.toObject(ProtoFrame.decode(encodeBatch(envelopes, 0, envelopes.length)), { longs: Number, defaults: false }) as {
      batch: { targets: string[]; typeNames: string[]; senders: string[]; envelopes: { target?: number; typeName?: number; sender?: number; correlation?: number }[] };
    };
    expect(decoded.batch.targets).to.deep.equal(['/control/lrps', '/cells/z1-01', '/ünïcödé/パス']);
    expect(decoded.batch.typeNames).to.deep.equal(['lrps/desire', 'cell/state', 'tëst/☃']);
    expect(decoded.batch.senders).to.deep.equal(['/control/auctioneer']);
    expect(decoded.batch.envelopes.map((e) => [e.target ?? 0, e.typeName ?? 0, e.sender, e.correlation])).to.deep.equal([
      [0, 0, undefined, undefined],
      [1, 1, 0, 0],
      [0, 0, 0, 2 ** 53 - 1],
      [2, 2, undefined, 128],
    ]);
  });

  it('leaves out index 0, proto3\'s default: a batch of one target and type costs 4 bytes per envelope', () => {
    const same = Array.from({ length: 10 }, (_, i): Envelope => ({ to: '/sink', type: 'bench/msg', body: Buffer.alloc(90, i) }));
    const frame = encodeBatch(same, 0, same.length);
    // frame key + padded length, the two table entries, then per envelope: key, length, body key, body length, body
    expect(frame.length).to.equal(5 + (2 + '/sink'.length) + (2 + 'bench/msg'.length) + 10 * (4 + 90));
    expect(batchOf(decodeFrame(frame))).to.deep.equal(same);
  });

  it('writes each shape once per batch, which protobufjs reads, and hands the same key list back for it', () => {
    const keys = ['process_guid', 'index'];
    const other = ['a'];
    const shaped: Envelope[] = [
      { to: '/x', type: 't/a', body: Buffer.from([1]), shape: keys },
      { to: '/x', type: 't/a', body: Buffer.from([2]), shape: keys },
      { to: '/x', type: 't/b', body: Buffer.from([3]), shape: other },
      { to: '/x', type: 't/c', body: Buffer.from([4]) },
    ];
    const frame = encodeBatch(shaped, 0, shaped.length);
    const decoded = ProtoFrame.toObject(ProtoFrame.decode(frame), { longs: Number, defaults: false }) as {
      batch: { shapes: { keys: string[] }[]; envelopes: { shape?: number }[] };
    };
    expect(decoded.batch.shapes).to.deep.equal([{ keys }, { keys: other }]);
    expect(decoded.batch.envelopes.map((e) => e.shape ?? 0)).to.deep.equal([1, 1, 2, 0]);
    const [first, second, third, fourth] = batchOf(decodeFrame(frame));
    expect([first!.shape, third!.shape, fourth!.shape]).to.deep.equal([keys, other, undefined]);
    expect(second!.shape).to.equal(first!.shape);
    // the next batch with the same keys gets the very same list: receivers keep what they built for it
    expect(batchOf(decodeFrame(encodeBatch(shaped, 0, 1)))[0]!.shape).to.equal(first!.shape);
  });

  it('keeps key lists apart that only a naive join would confuse', () => {
    const one = ['a\u0000b', 'c'];
    const two = ['a', 'b\u0000c'];
    const frame = encodeBatch([{ to: '/x', type: 't', body: Buffer.from([1]), shape: one }, { to: '/x', type: 't', body: Buffer.from([2]), shape: two }]);
    expect(batchOf(decodeFrame(frame)).map((e) => e.shape)).to.deep.equal([one, two]);
  });

  it('counts an envelope whose shape index is past the shapes table as invalid', () => {
    const message = ProtoFrame.fromObject({
      batch: { targets: ['/a'], typeNames: ['t/x'], shapes: [{ keys: ['k'] }], envelopes: [{ body: Buffer.from('ok'), shape: 1 }, { body: Buffer.from('no'), shape: 2 }] },
    });
    const frame = decodeFrame(Buffer.from(ProtoFrame.encode(message).finish()));
    if (frame.kind !== 'batch') throw new Error('expected a batch');
    expect(frame.invalid).to.equal(1);
    expect(frame.envelopes.map((e) => [Buffer.from(e.body).toString(), e.shape])).to.deep.equal([['ok', ['k']]]);
  });

  it('reads what protobufjs writes, whatever the field order', () => {
    const message = ProtoFrame.fromObject({
      batch: {
        envelopes: [{ target: 1, typeName: 0, body: Buffer.from('hi'), correlation: 5 }, { sender: 0, body: Buffer.from('yo') }],
        targets: ['/a', '/b'],
        typeNames: ['t/x'],
        senders: ['/s'],
      },
    });
    expect(batchOf(decodeFrame(Buffer.from(ProtoFrame.encode(message).finish())))).to.deep.equal([
      { to: '/b', type: 't/x', correlation: 5, body: Buffer.from('hi') },
      { to: '/a', type: 't/x', from: '/s', body: Buffer.from('yo') },
    ]);
  });

  it('round-trips the handshake frames, which protobufjs reads too', () => {
    const node = { name: 'cell-1', incarnation: 1_767_000_000_123, address: '127.0.0.1:7001' };
    const nonce = Buffer.alloc(32, 1);
    const proof = Buffer.alloc(32, 2);
    // the protocol version goes out as this node's unless given, and reads as 0 where it is absent (a version-1 node)
    expect(decodeFrame(encodeHandshake({ kind: 'hello', node, nonce }))).to.deep.equal({ kind: 'hello', node, nonce, protocol: PROTOCOL_VERSION });
    expect(decodeFrame(encodeHandshake({ kind: 'hello', node, nonce, protocol: 0 }))).to.deep.equal({ kind: 'hello', node, nonce, protocol: 0 });
    expect(decodeFrame(encodeHandshake({ kind: 'challenge', node, nonce, proof, protocol: 7 }))).to.deep.equal({ kind: 'challenge', node, nonce, proof, protocol: 7 });
    expect(decodeFrame(encodeHandshake({ kind: 'proof', proof }))).to.deep.equal({ kind: 'proof', proof });
    const viaProto = ProtoFrame.toObject(ProtoFrame.decode(encodeHandshake({ kind: 'challenge', node, nonce, proof })), { longs: Number });
    expect(viaProto.challenge.node).to.deep.equal(node);
    expect(viaProto.challenge.protocol).to.equal(PROTOCOL_VERSION);
  });

  it('counts envelopes without a target or type, or with an index past its table, and keeps the rest', () => {
    const message = ProtoFrame.fromObject({
      batch: {
        targets: ['/a', ''],
        typeNames: ['t/x'],
        envelopes: [{ target: 0, body: Buffer.from('ok') }, { target: 1 }, { target: 9 }, { typeName: 3 }, { sender: 0 }],
      },
    });
    const frame = decodeFrame(Buffer.from(ProtoFrame.encode(message).finish()));
    expect(frame).to.deep.include({ kind: 'batch', invalid: 4 });
    expect(frame.kind === 'batch' && frame.envelopes.map((e) => e.to)).to.deep.equal(['/a']);
  });

  const broken: [string, Buffer][] = [
    ['an empty frame', Buffer.alloc(0)],
    ['a truncated varint', Buffer.from([0x22, 0x80])],
    ['a length past the end', Buffer.from([0x22, 0x05, 0x0a])],
    ['an unknown frame kind', Buffer.from([0x2a, 0x00])],
    ['a frame kind with the wrong wire type', Buffer.from([0x20, 0x01])],
    ['trailing bytes after the frame', Buffer.from([0x22, 0x00, 0x00])],
    ['a varint beyond 2^53', Buffer.from([0x22, 0x0b, 0x22, 0x09, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])],
    ['a hello without a nonce', Buffer.from(ProtoFrame.encode(ProtoFrame.fromObject({ hello: { node: { name: 'x', address: 'y' } } })).finish())],
    ['a hello from a node without a name', Buffer.from(ProtoFrame.encode(ProtoFrame.fromObject({ hello: { node: { address: 'y' }, nonce: Buffer.alloc(32) } })).finish())],
    ['a challenge without its proof', Buffer.from(ProtoFrame.encode(ProtoFrame.fromObject({ challenge: { node: { name: 'x' }, nonce: Buffer.alloc(32) } })).finish())],
    ['a table entry with the wrong wire type', Buffer.from([0x22, 0x02, 0x08, 0x01])],
  ];
  for (const [what, bytes] of broken) {
    it(`rejects ${what} as malformed`, () => {
      expect(() => decodeFrame(bytes)).to.throw(MalformedFrame);
    });
  }

  it('never throws anything but MalformedFrame on mangled frames (seeded fuzz)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const valid = encodeBatch(envelopes, 0, envelopes.length);
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const bytes = Buffer.from(valid.subarray(0, Math.floor(random() * (valid.length + 1))));
      for (let flips = Math.floor(random() * 4); flips >= 0 && bytes.length; flips--) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      try {
        decodeFrame(bytes);
        decoded++;
      } catch (error) {
        expect(error).to.be.instanceOf(MalformedFrame);
      }
    }
    expect(decoded).to.be.lessThan(20_000);
  });
});
