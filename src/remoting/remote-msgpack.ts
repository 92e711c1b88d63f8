/**
 * The fast path of message bodies (remote-codec.ts): plain msgpack of the shapes actor messages
 * usually have (plain objects, arrays, ASCII strings, numbers, booleans, null), written and read
 * without msgpackr's per-call set-up, and without the ref walk when a message holds no refs.
 * Both directions give up (return {@link SLOW}) on anything else: a ref, a class instance, a
 * Date, a typed array, `undefined`, a non-ASCII string, an ext or bin value, a non-string key,
 * `$ref` or `__proto__` as a key, nesting past MAX_DEPTH, or bytes that are not one well-formed
 * value; the caller then runs the general path (ref walk and msgpackr) from the start, so errors
 * and edge cases behave exactly as before. What the fast writer emits is standard msgpack that
 * msgpackr reads to the same value, and the fast reader returns what msgpackr would.
 */

/** This path does not handle the value; use the general one. */
export const SLOW: unique symbol = Symbol('slow');
export type Slow = typeof SLOW;

const MAX_DEPTH = 64;
const SLAB_BYTES = 64 * 1024;

// --- writing ---

let slab = new Uint8Array(SLAB_BYTES);
let view = new DataView(slab.buffer);
let start = 0;
let pos = 0;

/** Makes room for `n` more bytes of the value being written; false when it cannot (huge value). */
function room(n: number): boolean {
  if (pos + n <= slab.length) return true;
  if (pos - start + n > SLAB_BYTES * 16) return false;
  // offsets stay as they are (a map's header is filled in after its entries)
  const next = new Uint8Array(Math.max(SLAB_BYTES, (pos + n) * 2));
  next.set(slab.subarray(start, pos), start);
  slab = next;
  view = new DataView(slab.buffer);
  return true;
}

/**
 * The msgpack bytes of `value`, or SLOW. The bytes are a view into a shared slab that is never
 * written again (each body gets its own range), so the caller may keep them.
 */
export function writeFast(value: unknown, isRef: (value: object) => boolean): Uint8Array | Slow {
  if (slab.length - pos < 1024) {
    slab = new Uint8Array(SLAB_BYTES);
    view = new DataView(slab.buffer);
    pos = 0;
  }
  start = pos;
  if (!write(value, isRef, 0)) {
    pos = start;
    return SLOW;
  }
  const body = new Uint8Array(slab.buffer, start, pos - start);
  start = pos;
  return body;
}

function write(value: unknown, isRef: (value: object) => boolean, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      if (!room(1)) return false;
      slab[pos++] = value ? 0xc3 : 0xc2;
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    if (!room(1)) return false;
    slab[pos++] = 0xc0;
    return true;
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    const n = value.length;
    if (!room(5)) return false;
    if (n < 16) slab[pos++] = 0x90 | n;
    else if (n < 0x10000) {
      slab[pos] = 0xdc;
      view.setUint16(pos + 1, n);
      pos += 3;
    } else {
      slab[pos] = 0xdd;
      view.setUint32(pos + 1, n);
      pos += 5;
    }
    for (let i = 0; i < n; i++) if (!write(value[i], isRef, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || isRef(value)) return false;
  if (!room(1)) return false;
  const header = pos++;
  let n = 0;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (key === '$ref' || key === '__proto__' || item === undefined) return false;
    if (!writeString(key) || !write(item, isRef, depth + 1)) return false;
    n++;
  }
  if (n < 16) slab[header] = 0x80 | n;
  else {
    // rare: widen the one-byte header to map16 or map32 and move the entries up
    const extra = n < 0x10000 ? 2 : 4;
    if (!room(extra)) return false;
    slab.copyWithin(header + 1 + extra, header + 1, pos);
    pos += extra;
    if (extra === 2) {
      slab[header] = 0xde;
      view.setUint16(header + 1, n);
    } else {
      slab[header] = 0xdf;
      view.setUint32(header + 1, n);
    }
  }
  return true;
}

function writeString(s: string): boolean {
  const n = s.length;
  if (!room(n + 5)) return false;
  let p = pos;
  if (n < 32) slab[p++] = 0xa0 | n;
  else if (n < 0x100) {
    slab[p++] = 0xd9;
    slab[p++] = n;
  } else if (n < 0x10000) {
    slab[p] = 0xda;
    view.setUint16(p + 1, n);
    p += 3;
  } else {
    slab[p] = 0xdb;
    view.setUint32(p + 1, n);
    p += 5;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    slab[p++] = c;
  }
  pos = p;
  return true;
}

function writeNumber(x: number): boolean {
  if (!room(9)) return false;
  if (Number.isInteger(x) && x >= -0x80000000 && x <= 0xffffffff) {
    if (x >= 0) {
      if (x < 0x80) slab[pos++] = x;
      else if (x < 0x100) {
        slab[pos++] = 0xcc;
        slab[pos++] = x;
      } else if (x < 0x10000) {
        slab[pos] = 0xcd;
        view.setUint16(pos + 1, x);
        pos += 3;
      } else {
        slab[pos] = 0xce;
        view.setUint32(pos + 1, x);
        pos += 5;
      }
    } else if (x >= -32) slab[pos++] = x & 0xff;
    else if (x >= -0x80) {
      slab[pos++] = 0xd0;
      slab[pos++] = x & 0xff;
    } else if (x >= -0x8000) {
      slab[pos] = 0xd1;
      view.setInt16(pos + 1, x);
      pos += 3;
    } else {
      slab[pos] = 0xd2;
      view.setInt32(pos + 1, x);
      pos += 5;
    }
    return true;
  }
  slab[pos] = 0xcb;
  view.setFloat64(pos + 1, x);
  pos += 9;
  return true;
}

// --- reading ---

let src: Uint8Array = new Uint8Array(0);
let srcView: DataView | undefined;
let at = 0;
let end = 0;
/** set when a map key `$ref` was read: the caller must run the ref rewrite */
let sawRef = false;
const EMPTY = new Uint8Array(0);

/**
 * The value in `body`, or SLOW. `refs` is true when the value holds a `$ref` key somewhere
 * (then the caller rewrites refs, which also checks them).
 */
export function readFast(body: Uint8Array): { value: unknown; refs: boolean } | Slow {
  src = body;
  srcView = undefined;
  at = 0;
  end = body.length;
  sawRef = false;
  const value = read(0);
  const done = at === end;
  src = EMPTY; // do not keep the frame alive
  srcView = undefined;
  if (value === SLOW || !done) return SLOW;
  return { value, refs: sawRef };
}

const u16 = (p: number) => (src[p]! << 8) | src[p + 1]!;
const u32 = (p: number) => src[p]! * 0x1000000 + ((src[p + 1]! << 16) | (src[p + 2]! << 8) | src[p + 3]!);

function float64(): number {
  srcView ??= new DataView(src.buffer, src.byteOffset, src.byteLength);
  at += 8;
  return srcView.getFloat64(at - 8);
}

function read(depth: number): unknown {
  if (at >= end) return SLOW;
  const b = src[at++]!;
  if (b < 0x80) return b;
  if (b < 0x90) return readMap(b & 0x0f, depth);
  if (b < 0xa0) return readArray(b & 0x0f, depth);
  if (b < 0xc0) return readString(b & 0x1f);
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcb:
      return at + 8 <= end ? float64() : SLOW;
    case 0xcc:
      return at + 1 <= end ? src[at++]! : SLOW;
    case 0xcd:
      return at + 2 <= end ? ((at += 2), u16(at - 2)) : SLOW;
    case 0xce:
      return at + 4 <= end ? ((at += 4), u32(at - 4)) : SLOW;
    case 0xd0:
      return at + 1 <= end ? (src[at++]! << 24) >> 24 : SLOW;
    case 0xd1:
      return at + 2 <= end ? ((at += 2), (u16(at - 2) << 16) >> 16) : SLOW;
    case 0xd2:
      return at + 4 <= end ? ((at += 4), u32(at - 4) | 0) : SLOW;
    case 0xd9:
      return at + 1 <= end ? readString(src[at++]!) : SLOW;
    case 0xda:
      return at + 2 <= end ? ((at += 2), readString(u16(at - 2))) : SLOW;
    case 0xdc:
      return at + 2 <= end ? ((at += 2), readArray(u16(at - 2), depth)) : SLOW;
    case 0xdb:
      return at + 4 <= end ? ((at += 4), readString(u32(at - 4))) : SLOW;
    case 0xdd:
      return at + 4 <= end ? ((at += 4), readArray(u32(at - 4), depth)) : SLOW;
    case 0xde:
      return at + 2 <= end ? ((at += 2), readMap(u16(at - 2), depth)) : SLOW;
    case 0xdf:
      return at + 4 <= end ? ((at += 4), readMap(u32(at - 4), depth)) : SLOW;
    default:
      return SLOW; // float32 (msgpackr may round it), 64-bit integers, bin, ext, 0xc1
  }
}

// Buffer's native latin1 decoding, on any Uint8Array; ASCII is checked first, so it is UTF-8 too
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

function isAscii(from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (src[i]! >= 0x80) return false;
  return true;
}

const fromCharCode = String.fromCharCode;

function readString(n: number): string | Slow {
  const p = at;
  if (p + n > end) return SLOW;
  const b = src;
  // short strings are cheaper built in JS than through a native call
  if (n <= 8) {
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = b[p + i]!;
      if (c >= 0x80) return SLOW;
      s += fromCharCode(c);
    }
    at = p + n;
    return s;
  }
  if (n <= 32) {
    const key = readKey(n);
    if (key !== SLOW) return key;
  }
  if (!isAscii(p, p + n)) return SLOW;
  at = p + n;
  return latin1Slice.call(b, p, p + n);
}

// Keys repeat from message to message: a direct-mapped cache hands back the same string (no
// garbage, and V8 finds the property faster), checked byte for byte on every hit.
const KEY_CACHE_SIZE = 1024;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

function readKey(n: number): string | Slow {
  if (at + n > end) return SLOW;
  const slot = n === 0 ? 0 : (n * 31 + src[at]! * 7 + src[at + (n >> 1)]! * 3 + src[at + n - 1]!) & (KEY_CACHE_SIZE - 1);
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cached.charCodeAt(i) !== src[at + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      at += n;
      return cached;
    }
  }
  if (!isAscii(at, at + n)) return SLOW;
  const key = latin1Slice.call(src, at, (at += n));
  keyCache[slot] = key;
  return key;
}

function readArray(n: number, depth: number): unknown[] | Slow {
  if (depth >= MAX_DEPTH || n > end - at) return SLOW;
  const array = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const item = read(depth + 1);
    if (item === SLOW) return SLOW;
    array[i] = item;
  }
  return array;
}

function readMap(n: number, depth: number): Record<string, unknown> | Slow {
  if (depth >= MAX_DEPTH || n * 2 > end - at) return SLOW;
  const object: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    const b = at < end ? src[at]! : 0;
    if (b < 0xa0 || b >= 0xc0) return SLOW; // keys: fixstr only here
    at++;
    const key = readKey(b & 0x1f);
    if (key === SLOW || key === '__proto__') return SLOW;
    if (key === '$ref') sawRef = true;
    const item = read(depth + 1);
    if (item === SLOW) return SLOW;
    object[key] = item;
  }
  return object;
}
