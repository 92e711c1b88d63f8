/**
 * Hand-written protobuf encoding of the frames in proto/remoting.proto: no code generation, no
 * reflection. Batches are written by batch-writer.ts; this file holds the handshake frames and
 * the decoder, which builds envelopes straight from the frame (bodies are views into it, not
 * copies). Decoding never trusts the input: anything out of shape throws `MalformedFrame`, and
 * an envelope that decodes but is unusable (empty target or type) is counted, not returned.
 */
import { PROTOCOL_VERSION } from './handshake.js';
import type { Envelope, NodeIdentity } from './types.js';
import { FRAME_BATCH, FRAME_CHALLENGE, FRAME_HELLO, FRAME_PROOF, MalformedFrame, Reader, varintSize, WIRE_LEN, WIRE_VARINT, writeVarint } from './wire.js';

export { MalformedFrame } from './wire.js';
export { BatchWriter, encodeBatch } from './batch-writer.js';

/** `protocol`: the sender's protocol version; written as PROTOCOL_VERSION when not given, read as 0 when absent. */
export type HandshakeFrame =
  | { kind: 'hello'; node: NodeIdentity; nonce: Buffer; protocol?: number }
  | { kind: 'challenge'; node: NodeIdentity; nonce: Buffer; proof: Buffer; protocol?: number }
  | { kind: 'proof'; proof: Buffer };

export type Frame = HandshakeFrame | { kind: 'batch'; envelopes: Envelope[]; invalid: number };

/** Checks what the codec can carry; a caller handing anything else is a bug. */
export function assertEnvelope(e: Envelope): void {
  if (typeof e.to !== 'string' || e.to === '') throw new TypeError('envelope.to must be a non-empty string');
  if (typeof e.type !== 'string' || e.type === '') throw new TypeError('envelope.type must be a non-empty string');
  if (e.from !== undefined && typeof e.from !== 'string') throw new TypeError('envelope.from must be a string');
  if (e.correlation !== undefined && !(Number.isSafeInteger(e.correlation) && e.correlation >= 0)) {
    throw new TypeError('envelope.correlation must be a non-negative safe integer');
  }
  if (!(e.body instanceof Uint8Array)) throw new TypeError('envelope.body must be a Uint8Array');
  if (e.shape !== undefined && !Array.isArray(e.shape)) throw new TypeError('envelope.shape must be a list of keys');
}

// --- handshake frames: small, so built from parts ---

function varintBytes(n: number): Buffer {
  const buf = Buffer.allocUnsafe(varintSize(n));
  writeVarint(buf, 0, n);
  return buf;
}

function lenPart(field: number, bytes: Uint8Array): Buffer[] {
  return [Buffer.of((field << 3) | WIRE_LEN), varintBytes(bytes.length), Buffer.from(bytes)];
}

function identityBytes(node: NodeIdentity): Buffer {
  return Buffer.concat([
    ...lenPart(1, Buffer.from(node.name)),
    Buffer.of((2 << 3) | WIRE_VARINT),
    varintBytes(node.incarnation),
    ...lenPart(3, Buffer.from(node.address)),
  ]);
}

/** Field 4 of Hello and Challenge; nothing for 0 (proto3's default, what a version-1 node sends). */
function protocolPart(protocol = PROTOCOL_VERSION): Buffer[] {
  return protocol === 0 ? [] : [Buffer.of((4 << 3) | WIRE_VARINT), varintBytes(protocol)];
}

function frame(kind: number, parts: Buffer[]): Buffer {
  return Buffer.concat(lenPart(kind, Buffer.concat(parts)));
}

export function encodeHandshake(f: HandshakeFrame): Buffer {
  switch (f.kind) {
    case 'hello':
      return frame(FRAME_HELLO, [...lenPart(1, identityBytes(f.node)), ...lenPart(2, f.nonce), ...protocolPart(f.protocol)]);
    case 'challenge':
      return frame(FRAME_CHALLENGE, [...lenPart(1, identityBytes(f.node)), ...lenPart(2, f.nonce), ...lenPart(3, f.proof), ...protocolPart(f.protocol)]);
    case 'proof':
      return frame(FRAME_PROOF, lenPart(1, f.proof));
  }
}

// --- decoding ---


function readIdentity(r: Reader): NodeIdentity {
  const end = r.lengthEnd();
  const node: NodeIdentity = { name: '', incarnation: 0, address: '' };
  const inner = new Reader(r.buf, r.pos, end);
  while (!inner.done) {
    const field = inner.key();
    if (field === 1 && inner.wire === WIRE_LEN) node.name = inner.string();
    else if (field === 2 && inner.wire === WIRE_VARINT) node.incarnation = inner.varint();
    else if (field === 3 && inner.wire === WIRE_LEN) node.address = inner.string();
    else inner.skip(inner.wire);
  }
  r.pos = end;
  if (node.name === '') throw new MalformedFrame('node identity without a name');
  return node;
}

function readHandshake(kind: number, r: Reader): HandshakeFrame {
  let node: NodeIdentity | undefined;
  let nonce: Buffer | undefined;
  let proof: Buffer | undefined;
  let protocol = 0;
  while (!r.done) {
    const field = r.key();
    if (kind === FRAME_PROOF) {
      if (field === 1 && r.wire === WIRE_LEN) proof = r.bytes();
      else r.skip(r.wire);
      continue;
    }
    if (field === 1 && r.wire === WIRE_LEN) node = readIdentity(r);
    else if (field === 2 && r.wire === WIRE_LEN) nonce = r.bytes();
    else if (field === 3 && r.wire === WIRE_LEN && kind === FRAME_CHALLENGE) proof = r.bytes();
    else if (field === 4 && r.wire === WIRE_VARINT) protocol = r.varint();
    else r.skip(r.wire);
  }
  if (kind === FRAME_PROOF) {
    if (!proof) throw new MalformedFrame('proof without its HMAC');
    return { kind: 'proof', proof };
  }
  if (!node || !nonce) throw new MalformedFrame('handshake frame without node or nonce');
  if (kind === FRAME_HELLO) return { kind: 'hello', node, nonce, protocol };
  if (!proof) throw new MalformedFrame('challenge without its HMAC');
  return { kind: 'challenge', node, nonce, proof, protocol };
}

function slowVarint(r: Reader, pos: number, end: number): [number, number] {
  r.pos = pos;
  r.end = end;
  const value = r.varint();
  return [value, r.pos];
}

// Offsets of the envelopes in the batch being decoded (tables may follow them on the wire).
const envelopeStarts: number[] = [];
const envelopeEnds: number[] = [];

// Shapes arrive once per batch; the same key list is handed out as the same array every time, so
// the body reader can keep what it compiled for it. Bounded: a peer inventing shapes costs a clear.
const MAX_INTERNED_SHAPES = 4096;
const interned = new Map<string, readonly string[]>();

function readShape(r: Reader): readonly string[] {
  const end = r.lengthEnd();
  const inner = new Reader(r.buf, r.pos, end);
  const keys: string[] = [];
  while (!inner.done) {
    const field = inner.key();
    if (field === 1) {
      inner.expect(WIRE_LEN);
      keys.push(inner.string());
    } else inner.skip(inner.wire);
  }
  r.pos = end;
  const id = JSON.stringify(keys); // unambiguous whatever the keys hold (a join could make two lists one)
  const known = interned.get(id);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED_SHAPES) interned.clear();
  interned.set(id, keys);
  return keys;
}

function readBatch(r: Reader): Frame {
  const targets: string[] = [];
  const types: string[] = [];
  const senders: string[] = [];
  const shapes: (readonly string[])[] = [];
  let count = 0;
  while (!r.done) {
    const field = r.key();
    if (field >= 1 && field <= 5) r.expect(WIRE_LEN);
    if (field === 1) targets.push(r.string());
    else if (field === 2) types.push(r.string());
    else if (field === 3) senders.push(r.string());
    else if (field === 5) shapes.push(readShape(r));
    else if (field === 4) {
      const end = r.lengthEnd();
      envelopeStarts[count] = r.pos;
      envelopeEnds[count++] = end;
      r.pos = end;
    } else r.skip(r.wire);
  }
  const envelopes: Envelope[] = [];
  let invalid = 0;
  const buf = r.buf;
  const e = new Reader(buf, 0, 0); // for the rare multi-byte varint and unknown fields
  // bodies are views into the frame: a Uint8Array on its memory costs half a Buffer.subarray
  const memory = buf.buffer;
  const offset = buf.byteOffset;
  for (let i = 0; i < count; i++) {
    let pos = envelopeStarts[i]!;
    const end = envelopeEnds[i]!;
    let target = 0;
    let type = 0;
    let sender = -1;
    let correlation = -1;
    let shapeRef = 0;
    let body: Uint8Array | undefined;
    while (pos < end) {
      // fast path: one-byte keys and varints (every key here, indexes, most lengths)
      let key = buf[pos]!;
      if (key < 128) pos++;
      else {
        [key, pos] = slowVarint(e, pos, end);
      }
      const field = Math.floor(key / 8);
      const wire = key % 8;
      if (wire === WIRE_VARINT || wire === WIRE_LEN) {
        let value = pos < end ? buf[pos]! : 128;
        if (value < 128) pos++;
        else [value, pos] = slowVarint(e, pos, end);
        if (wire === WIRE_LEN) {
          if (pos + value > end) throw new MalformedFrame('length past the end of the envelope');
          if (field === 5) body = new Uint8Array(memory, offset + pos, value);
          else if ((field >= 1 && field <= 4) || field === 6) throw new MalformedFrame(`envelope field ${field} is not length-delimited`);
          pos += value;
        } else if (field === 1) target = value;
        else if (field === 2) type = value;
        else if (field === 3) sender = value;
        else if (field === 4) correlation = value;
        else if (field === 6) shapeRef = value;
        else if (field === 5) throw new MalformedFrame('envelope body is not length-delimited');
      } else {
        if (field >= 1 && field <= 6) throw new MalformedFrame(`envelope field ${field} with wire type ${wire}`);
        e.pos = pos;
        e.end = end;
        e.skip(wire);
        pos = e.pos;
      }
    }
    const to = targets[target];
    const typeName = types[type];
    const from = sender >= 0 ? senders[sender] : undefined;
    const shape = shapeRef > 0 ? shapes[shapeRef - 1] : undefined;
    if (!to || !typeName || (sender >= 0 && from === undefined) || (shapeRef > 0 && shape === undefined)) {
      invalid++;
      continue;
    }
    body ??= new Uint8Array(0);
    // one literal per combination of the usual fields keeps each envelope's shape fixed from birth
    let envelope: Envelope;
    if (from === undefined) {
      if (correlation < 0) envelope = shape === undefined ? { to, type: typeName, body } : { to, type: typeName, body, shape };
      else envelope = { to, correlation, type: typeName, body };
    } else {
      envelope = correlation < 0 ? { to, from, type: typeName, body } : { to, from, correlation, type: typeName, body };
    }
    if (shape !== undefined && envelope.shape === undefined) envelope.shape = shape;
    envelopes.push(envelope);
  }
  return { kind: 'batch', envelopes, invalid };
}

/** Decodes one Frame; throws MalformedFrame when it is not one. */
export function decodeFrame(buf: Buffer): Frame {
  const r = new Reader(buf, 0, buf.length);
  if (r.done) throw new MalformedFrame('empty frame');
  const kind = r.key();
  r.expect(WIRE_LEN);
  const end = r.lengthEnd();
  if (end !== buf.length) throw new MalformedFrame('a frame holds exactly one message');
  const inner = new Reader(buf, r.pos, end);
  if (kind === FRAME_BATCH) return readBatch(inner);
  if (kind === FRAME_HELLO || kind === FRAME_CHALLENGE || kind === FRAME_PROOF) return readHandshake(kind, inner);
  throw new MalformedFrame(`unknown frame kind ${kind}`);
}
