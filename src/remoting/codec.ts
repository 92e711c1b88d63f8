/**
 * Hand-written protobuf encoding of the frames in proto/remoting.proto. No code generation and
 * no reflection: a batch is sized in one pass and written into one exact buffer in a second, and
 * decoding builds envelopes straight from the frame (bodies are views into it, not copies).
 * Decoding never trusts the input: anything out of shape throws `MalformedFrame`, and an
 * envelope that decodes but is unusable (empty target or type) is counted, not returned.
 */
import type { Envelope, NodeIdentity } from './types.js';

export class MalformedFrame extends Error {
  override name = 'MalformedFrame';
}

export type HandshakeFrame =
  | { kind: 'hello'; node: NodeIdentity; nonce: Buffer }
  | { kind: 'challenge'; node: NodeIdentity; nonce: Buffer; proof: Buffer }
  | { kind: 'proof'; proof: Buffer };

export type Frame = HandshakeFrame | { kind: 'batch'; envelopes: Envelope[]; invalid: number };

const FRAME_HELLO = 1;
const FRAME_CHALLENGE = 2;
const FRAME_PROOF = 3;
const FRAME_BATCH = 4;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Bytes of a length-delimited field (every field number here fits a one-byte key). */
const lenField = (size: number) => 1 + varintSize(size) + size;

// Reused between calls: encoding is synchronous and single-threaded.
const envelopeSizes: number[] = [];
const targetIndex = new Map<string, number>();
const typeIndex = new Map<string, number>();
const senderIndex = new Map<string, number>();
const targetCodes: number[] = [];
const typeCodes: number[] = [];
const senderCodes: number[] = [];

function intern(table: Map<string, number>, value: string): number {
  let index = table.get(value);
  if (index === undefined) {
    index = table.size;
    table.set(value, index);
  }
  return index;
}

function tableSize(table: Map<string, number>): number {
  let size = 0;
  for (const value of table.keys()) size += lenField(Buffer.byteLength(value));
  return size;
}

function writeTable(buf: Buffer, pos: number, table: Map<string, number>, field: number): number {
  for (const value of table.keys()) {
    buf[pos++] = (field << 3) | WIRE_LEN;
    pos = writeVarint(buf, pos, Buffer.byteLength(value));
    pos += buf.write(value, pos);
  }
  return pos;
}

/** Encodes `queue[start, start + count)` as one Frame{batch}. */
export function encodeBatch(queue: readonly Envelope[], start: number, count: number): Buffer {
  targetIndex.clear();
  typeIndex.clear();
  senderIndex.clear();
  let envelopesSize = 0;
  for (let i = 0; i < count; i++) {
    const e = queue[start + i]!;
    const target = intern(targetIndex, e.to);
    const type = intern(typeIndex, e.type);
    let size = 2 + varintSize(target) + varintSize(type) + lenField(e.body.length);
    let sender = -1;
    if (e.from !== undefined) {
      sender = intern(senderIndex, e.from);
      size += 1 + varintSize(sender);
    }
    if (e.correlation !== undefined) size += 1 + varintSize(e.correlation);
    targetCodes[i] = target;
    typeCodes[i] = type;
    senderCodes[i] = sender;
    envelopeSizes[i] = size;
    envelopesSize += lenField(size);
  }
  const batchSize = tableSize(targetIndex) + tableSize(typeIndex) + tableSize(senderIndex) + envelopesSize;
  const buf = Buffer.allocUnsafe(lenField(batchSize));
  let pos = 0;
  buf[pos++] = (FRAME_BATCH << 3) | WIRE_LEN;
  pos = writeVarint(buf, pos, batchSize);
  pos = writeTable(buf, pos, targetIndex, 1);
  pos = writeTable(buf, pos, typeIndex, 2);
  pos = writeTable(buf, pos, senderIndex, 3);
  for (let i = 0; i < count; i++) {
    const e = queue[start + i]!;
    buf[pos++] = (4 << 3) | WIRE_LEN;
    pos = writeVarint(buf, pos, envelopeSizes[i]!);
    buf[pos++] = (1 << 3) | WIRE_VARINT;
    pos = writeVarint(buf, pos, targetCodes[i]!);
    buf[pos++] = (2 << 3) | WIRE_VARINT;
    pos = writeVarint(buf, pos, typeCodes[i]!);
    if (senderCodes[i]! >= 0) {
      buf[pos++] = (3 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, senderCodes[i]!);
    }
    if (e.correlation !== undefined) {
      buf[pos++] = (4 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, e.correlation);
    }
    buf[pos++] = (5 << 3) | WIRE_LEN;
    pos = writeVarint(buf, pos, e.body.length);
    buf.set(e.body, pos);
    pos += e.body.length;
  }
  return buf;
}

/** Checks what the codec can carry; a caller handing anything else is a bug. */
export function assertEnvelope(e: Envelope): void {
  if (typeof e.to !== 'string' || e.to === '') throw new TypeError('envelope.to must be a non-empty string');
  if (typeof e.type !== 'string' || e.type === '') throw new TypeError('envelope.type must be a non-empty string');
  if (e.from !== undefined && typeof e.from !== 'string') throw new TypeError('envelope.from must be a string');
  if (e.correlation !== undefined && !(Number.isSafeInteger(e.correlation) && e.correlation >= 0)) {
    throw new TypeError('envelope.correlation must be a non-negative safe integer');
  }
  if (!(e.body instanceof Uint8Array)) throw new TypeError('envelope.body must be a Uint8Array');
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

function frame(kind: number, parts: Buffer[]): Buffer {
  return Buffer.concat(lenPart(kind, Buffer.concat(parts)));
}

export function encodeHandshake(f: HandshakeFrame): Buffer {
  switch (f.kind) {
    case 'hello':
      return frame(FRAME_HELLO, [...lenPart(1, identityBytes(f.node)), ...lenPart(2, f.nonce)]);
    case 'challenge':
      return frame(FRAME_CHALLENGE, [...lenPart(1, identityBytes(f.node)), ...lenPart(2, f.nonce), ...lenPart(3, f.proof)]);
    case 'proof':
      return frame(FRAME_PROOF, lenPart(1, f.proof));
  }
}

// --- decoding ---

/** A cursor over `buf[pos, end)` that throws MalformedFrame instead of reading past the end. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new MalformedFrame('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 127) * scale;
      if (byte < 128) break;
      scale *= 128;
      if (scale > 2 ** 49) throw new MalformedFrame('varint beyond 2^53');
    }
    if (result > Number.MAX_SAFE_INTEGER) throw new MalformedFrame('varint beyond 2^53');
    return result;
  }

  /** Reads a length prefix and returns the end of the field it bounds. */
  lengthEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new MalformedFrame('length past the end of the frame');
    return end;
  }

  bytes(): Buffer {
    const end = this.lengthEnd();
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }

  string(): string {
    const end = this.lengthEnd();
    const value = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return value;
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_LEN) this.pos = this.lengthEnd();
    else if (wire === WIRE_I64 || wire === WIRE_I32) {
      this.pos += wire === WIRE_I64 ? 8 : 4;
      if (this.pos > this.end) throw new MalformedFrame('truncated fixed field');
    } else throw new MalformedFrame(`unsupported wire type ${wire}`);
  }

  /** Reads a field key; returns its number and leaves the wire type in `wire`. */
  key(): number {
    const key = this.varint();
    this.wire = key & 7;
    return Math.floor(key / 8);
  }
  wire = 0;

  expect(wire: number): void {
    if (this.wire !== wire) throw new MalformedFrame(`wire type ${this.wire}, expected ${wire}`);
  }
}

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
    else r.skip(r.wire);
  }
  if (kind === FRAME_PROOF) {
    if (!proof) throw new MalformedFrame('proof without its HMAC');
    return { kind: 'proof', proof };
  }
  if (!node || !nonce) throw new MalformedFrame('handshake frame without node or nonce');
  if (kind === FRAME_HELLO) return { kind: 'hello', node, nonce };
  if (!proof) throw new MalformedFrame('challenge without its HMAC');
  return { kind: 'challenge', node, nonce, proof };
}

// Offsets of the envelopes in the batch being decoded (tables may follow them on the wire).
const envelopeStarts: number[] = [];
const envelopeEnds: number[] = [];

function readBatch(r: Reader): Frame {
  const targets: string[] = [];
  const types: string[] = [];
  const senders: string[] = [];
  let count = 0;
  while (!r.done) {
    const field = r.key();
    if (field >= 1 && field <= 4) r.expect(WIRE_LEN);
    if (field === 1) targets.push(r.string());
    else if (field === 2) types.push(r.string());
    else if (field === 3) senders.push(r.string());
    else if (field === 4) {
      const end = r.lengthEnd();
      envelopeStarts[count] = r.pos;
      envelopeEnds[count++] = end;
      r.pos = end;
    } else r.skip(r.wire);
  }
  const envelopes: Envelope[] = [];
  let invalid = 0;
  const e = new Reader(r.buf, 0, 0);
  for (let i = 0; i < count; i++) {
    e.pos = envelopeStarts[i]!;
    e.end = envelopeEnds[i]!;
    let target = 0;
    let type = 0;
    let sender = -1;
    let correlation = -1;
    let body: Buffer | undefined;
    while (!e.done) {
      const field = e.key();
      if (field === 5) {
        e.expect(WIRE_LEN);
        body = e.bytes();
      } else if (field >= 1 && field <= 4) {
        e.expect(WIRE_VARINT);
        const v = e.varint();
        if (field === 1) target = v;
        else if (field === 2) type = v;
        else if (field === 3) sender = v;
        else correlation = v;
      } else e.skip(e.wire);
    }
    const to = targets[target];
    const typeName = types[type];
    const from = sender >= 0 ? senders[sender] : undefined;
    if (!to || !typeName || (sender >= 0 && from === undefined)) {
      invalid++;
      continue;
    }
    const envelope: Envelope = { to, type: typeName, body: body ?? Buffer.alloc(0) };
    if (from !== undefined) envelope.from = from;
    if (correlation >= 0) envelope.correlation = correlation;
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
