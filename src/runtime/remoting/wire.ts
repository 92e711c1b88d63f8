/** Protobuf wire primitives shared by the encoder (batch-writer.ts) and the decoder (codec.ts). */

export class MalformedFrame extends Error {
  override name = 'MalformedFrame';
}

export const FRAME_HELLO = 1;
export const FRAME_CHALLENGE = 2;
export const FRAME_PROOF = 3;
export const FRAME_BATCH = 4;
export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export function varintSize(n: number): number {
  if (n < 128) return 1;
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

export function writeVarint(buf: Buffer, pos: number, n: number): number {
  if (n < 128) {
    buf[pos] = n;
    return pos + 1;
  }
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** A cursor over `buf[pos, end)` that throws MalformedFrame instead of reading past the end. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    // one byte: every key and index here, most lengths
    if (this.pos < this.end && this.buf[this.pos]! < 128) return this.buf[this.pos++]!;
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
