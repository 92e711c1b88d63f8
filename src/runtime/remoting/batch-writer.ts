/**
 * Encodes envelopes into a Frame{batch} as they are queued, so a queue holds bytes rather than
 * envelope objects (which would outlive young-generation GC while they wait for the stream).
 *
 * Wire layout, valid protobuf for proto/remoting.proto: the frame's key, then the batch length as
 * a 4-byte varint (padded with continuation bits, so it can be filled in last), then for each
 * envelope the table entries it introduces (`targets`, `type_names`, `senders`, `shapes`:
 * repeated fields may interleave with others) followed by the envelope itself, referring to them
 * by index.
 */
import type { Envelope } from './types.js';
import { FRAME_BATCH, varintSize, WIRE_LEN, WIRE_VARINT, writeVarint } from './wire.js';

/** Bytes before the first field of the batch: the frame key and the padded length. */
export const BATCH_HEADER_BYTES = 5;
const HEADER = BATCH_HEADER_BYTES;
const MIN_CAPACITY = 4096;

/**
 * A batch's table of distinct strings (or key lists, by identity); neighbours usually repeat, so
 * the last hit is kept.
 */
class Table<T extends string | readonly string[] = string> {
  private readonly index = new Map<T, number>();
  private last: T | undefined;
  private lastIndex = 0;

  /** The value's index, or -1 when it is not in the table yet. */
  find(value: T): number {
    if (value === this.last) return this.lastIndex;
    const index = this.index.get(value);
    if (index === undefined) return -1;
    this.last = value;
    this.lastIndex = index;
    return index;
  }

  add(value: T): number {
    const index = this.index.size;
    this.index.set(value, index);
    this.last = value;
    this.lastIndex = index;
    return index;
  }
}

function writeEntry(buf: Buffer, pos: number, field: number, value: string, bytes: number): number {
  buf[pos++] = (field << 3) | WIRE_LEN;
  pos = writeVarint(buf, pos, bytes);
  return pos + buf.write(value, pos);
}

const entrySize = (bytes: number) => 1 + varintSize(bytes) + bytes;

/** Bytes of a Shape message's fields: each key as a `keys` entry. */
function shapeFieldsSize(keys: readonly string[]): number {
  let size = 0;
  for (const key of keys) size += entrySize(Buffer.byteLength(key));
  return size;
}

function writeShape(buf: Buffer, pos: number, keys: readonly string[], fieldsSize: number): number {
  buf[pos++] = (5 << 3) | WIRE_LEN;
  pos = writeVarint(buf, pos, fieldsSize);
  for (const key of keys) pos = writeEntry(buf, pos, 1, key, Buffer.byteLength(key));
  return pos;
}

export class BatchWriter {
  private buf: Buffer;
  private pos = HEADER;
  /** envelopes written */
  count = 0;
  private readonly targets = new Table();
  private readonly types = new Table();
  private readonly senders = new Table();
  /** key lists of shaped bodies, by the identity of the list the body writer handed out */
  private readonly shapes = new Table<readonly string[]>();

  /** `capacity`: a guess at the batch's final size in bytes (it grows as needed). */
  constructor(capacity = MIN_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, MIN_CAPACITY));
  }

  /** Bytes the batch holds so far. */
  get size(): number {
    return this.pos;
  }

  /** Appends `e` (already checked by assertEnvelope); returns the bytes it took. */
  add(e: Envelope): number {
    const start = this.pos;
    const from = e.from;
    let target = this.targets.find(e.to);
    let type = this.types.find(e.type);
    let sender = from === undefined ? -1 : this.senders.find(from);
    const newTarget = target < 0;
    const newType = type < 0;
    const newSender = from !== undefined && sender < 0;
    const toBytes = newTarget ? Buffer.byteLength(e.to) : 0;
    const typeBytes = newType ? Buffer.byteLength(e.type) : 0;
    const fromBytes = newSender ? Buffer.byteLength(from) : 0;
    if (newTarget) target = this.targets.add(e.to);
    if (newType) type = this.types.add(e.type);
    if (newSender) sender = this.senders.add(from);

    const keys = e.shape;
    let shape = keys === undefined ? -1 : this.shapes.find(keys);
    const newShape = keys !== undefined && shape < 0;
    const shapeBytes = newShape ? shapeFieldsSize(keys) : 0;
    if (newShape) shape = this.shapes.add(keys);

    const bodyLength = e.body.length;
    // proto3 leaves out a field at its default: index 0 (a batch's first target and type) costs nothing
    let size = 1 + varintSize(bodyLength) + bodyLength;
    if (target !== 0) size += 1 + varintSize(target);
    if (type !== 0) size += 1 + varintSize(type);
    if (sender >= 0) size += 1 + varintSize(sender);
    if (e.correlation !== undefined) size += 1 + varintSize(e.correlation);
    if (shape >= 0) size += 1 + varintSize(shape + 1);
    let total = 1 + varintSize(size) + size;
    if (newShape) total += entrySize(shapeBytes);
    if (newTarget) total += entrySize(toBytes);
    if (newType) total += entrySize(typeBytes);
    if (newSender) total += entrySize(fromBytes);
    this.reserve(total);

    const buf = this.buf;
    let pos = start;
    if (newTarget) pos = writeEntry(buf, pos, 1, e.to, toBytes);
    if (newType) pos = writeEntry(buf, pos, 2, e.type, typeBytes);
    if (newSender) pos = writeEntry(buf, pos, 3, from, fromBytes);
    if (newShape) pos = writeShape(buf, pos, keys, shapeBytes);
    buf[pos++] = (4 << 3) | WIRE_LEN;
    pos = writeVarint(buf, pos, size);
    if (target !== 0) {
      buf[pos++] = (1 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, target);
    }
    if (type !== 0) {
      buf[pos++] = (2 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, type);
    }
    if (sender >= 0) {
      buf[pos++] = (3 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, sender);
    }
    if (e.correlation !== undefined) {
      buf[pos++] = (4 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, e.correlation);
    }
    buf[pos++] = (5 << 3) | WIRE_LEN;
    pos = writeVarint(buf, pos, bodyLength);
    buf.set(e.body, pos);
    pos += bodyLength;
    if (shape >= 0) {
      buf[pos++] = (6 << 3) | WIRE_VARINT;
      pos = writeVarint(buf, pos, shape + 1);
    }
    this.pos = pos;
    this.count++;
    return pos - start;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** The finished frame; the writer is not used after. */
  finish(): Buffer {
    const length = this.pos - HEADER;
    if (length >= 2 ** 28) throw new RangeError('a batch must stay under 256 MiB');
    const buf = this.buf;
    buf[0] = (FRAME_BATCH << 3) | WIRE_LEN;
    buf[1] = (length & 127) | 128;
    buf[2] = ((length >>> 7) & 127) | 128;
    buf[3] = ((length >>> 14) & 127) | 128;
    buf[4] = length >>> 21;
    return buf.subarray(0, this.pos);
  }
}

/** Encodes `envelopes[start, start + count)` as one Frame{batch}. */
export function encodeBatch(envelopes: readonly Envelope[], start = 0, count = envelopes.length - start): Buffer {
  const writer = new BatchWriter();
  for (let i = start; i < start + count; i++) writer.add(envelopes[i]!);
  return writer.finish();
}
