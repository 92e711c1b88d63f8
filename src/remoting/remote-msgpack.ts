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

/** The writer's state: an object rather than module variables, so compiled shape encoders can use it. */
interface WriterState {
  slab: Uint8Array;
  view: DataView;
  /** where the value being written starts */
  start: number;
  pos: number;
}
const ws: WriterState = { slab: new Uint8Array(SLAB_BYTES), view: new DataView(new ArrayBuffer(0)), start: 0, pos: 0 };
ws.view = new DataView(ws.slab.buffer);

/** Makes room for `n` more bytes of the value being written; false when it cannot (huge value). */
function room(n: number): boolean {
  if (ws.pos + n <= ws.slab.length) return true;
  if (ws.pos - ws.start + n > SLAB_BYTES * 16) return false;
  // offsets stay as they are (a map's header is filled in after its entries)
  const next = new Uint8Array(Math.max(SLAB_BYTES, (ws.pos + n) * 2));
  next.set(ws.slab.subarray(ws.start, ws.pos), ws.start);
  ws.slab = next;
  ws.view = new DataView(ws.slab.buffer);
  return true;
}

/**
 * The msgpack bytes of `value`, or SLOW. The bytes are a view into a shared slab that is never
 * written again (each body gets its own range), so the caller may keep them.
 */
export function writeFast(value: unknown, isRef: (value: object) => boolean): Uint8Array | Slow {
  if (ws.slab.length - ws.pos < 1024) {
    ws.slab = new Uint8Array(SLAB_BYTES);
    ws.view = new DataView(ws.slab.buffer);
    ws.pos = 0;
  }
  ws.start = ws.pos;
  if (!write(value, isRef, 0)) {
    ws.pos = ws.start;
    return SLOW;
  }
  const body = new Uint8Array(ws.slab.buffer, ws.start, ws.pos - ws.start);
  ws.start = ws.pos;
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
      ws.slab[ws.pos++] = value ? 0xc3 : 0xc2;
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) {
    if (!room(1)) return false;
    ws.slab[ws.pos++] = 0xc0;
    return true;
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    const n = value.length;
    if (!room(5)) return false;
    if (n < 16) ws.slab[ws.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      ws.slab[ws.pos] = 0xdc;
      ws.view.setUint16(ws.pos + 1, n);
      ws.pos += 3;
    } else {
      ws.slab[ws.pos] = 0xdd;
      ws.view.setUint32(ws.pos + 1, n);
      ws.pos += 5;
    }
    for (let i = 0; i < n; i++) if (!write(value[i], isRef, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || isRef(value)) return false;
  const shaped = writeShaped(value, isRef, depth);
  if (shaped !== undefined) return shaped;
  if (!room(1)) return false;
  const header = ws.pos++;
  let n = 0;
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (key === '$ref' || key === '__proto__' || item === undefined) return false;
    if (!writeString(key) || !write(item, isRef, depth + 1)) return false;
    n++;
  }
  if (n < 16) ws.slab[header] = 0x80 | n;
  else {
    // rare: widen the one-byte header to map16 or map32 and move the entries up
    const extra = n < 0x10000 ? 2 : 4;
    if (!room(extra)) return false;
    ws.slab.copyWithin(header + 1 + extra, header + 1, ws.pos);
    ws.pos += extra;
    if (extra === 2) {
      ws.slab[header] = 0xde;
      ws.view.setUint16(header + 1, n);
    } else {
      ws.slab[header] = 0xdf;
      ws.view.setUint32(header + 1, n);
    }
  }
  return true;
}

// Objects by shape, on the way out. Writing keys char by char and looping over them costs about
// a quarter of a small message's encoding; a key sequence seen COMPILE_AFTER times gets an
// encoder that stores its keys' bytes as constants and reads the values by name. A shape is
// found by a hash over its keys and checked key by key (for-in hands out the same key strings,
// so each check is one comparison); the encoder then writes exactly what the loop below would.
// Keys must be ASCII and at most 31 chars (a fixstr), at most 15 of them (a fixmap).
type ShapeEncoder = (value: object, isRef: (value: object) => boolean, depth: number) => boolean;
interface WriteShape {
  keys: string[];
  seen: number;
  /** null: this shape cannot be compiled (or the budget is spent) */
  encode: ShapeEncoder | null | undefined;
}
const WRITE_SHAPES = 512;
const writeShapes: (WriteShape | undefined)[] = new Array(WRITE_SHAPES);
let compiledEncoders = 0;

/** true or false when a shape's encoder wrote `value` (or failed), undefined when the general loop must. */
function writeShaped(value: object, isRef: (value: object) => boolean, depth: number): boolean | undefined {
  let hash = 0;
  let n = 0;
  for (const key in value) {
    const k = key.length;
    hash = (hash * 31 + k * 7 + (k === 0 ? 0 : key.charCodeAt(0) + key.charCodeAt(k - 1) * 3)) & (WRITE_SHAPES - 1);
    n++;
  }
  if (n === 0 || n > 15) return undefined;
  let shape = writeShapes[hash];
  if (shape !== undefined && shape.keys.length === n) {
    const keys = shape.keys;
    let i = 0;
    for (const key in value) {
      if (keys[i] !== key) break;
      i++;
    }
    if (i === n) {
      if (shape.encode) return shape.encode(value, isRef, depth);
      if (shape.encode === undefined && ++shape.seen >= COMPILE_AFTER) {
        shape.encode = compileEncoder(keys);
        if (shape.encode) return shape.encode(value, isRef, depth);
      }
      return undefined;
    }
  }
  const keys: string[] = [];
  for (const key in value) keys.push(key);
  shape = { keys, seen: 1, encode: undefined };
  writeShapes[hash] = shape;
  return undefined;
}

function compileEncoder(keys: string[]): ShapeEncoder | null {
  if (compiledEncoders >= MAX_COMPILED) return null;
  const lines: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.length > 31 || key === '$ref' || key === '__proto__' || !/^[\x00-\x7f]*$/.test(key)) return null;
    const bytes = [0xa0 | key.length, ...Array.from(key, (c) => c.charCodeAt(0))];
    if (i === 0) bytes.unshift(0x80 | keys.length);
    lines.push(
      `if (!room(${bytes.length})) return false;`,
      `b = ws.slab; p = ws.pos;`,
      ...bytes.map((byte, j) => `b[p + ${j}] = ${byte};`),
      `ws.pos = p + ${bytes.length};`,
      `if (!write(value[${JSON.stringify(key)}], isRef, depth + 1)) return false;`,
    );
  }
  compiledEncoders++;
  const body = `return function (value, isRef, depth) { let b, p; ${lines.join(' ')} return true; };`;
  return new Function('ws', 'room', 'write', body)(ws, room, write) as ShapeEncoder;
}

function writeString(s: string): boolean {
  const n = s.length;
  if (!room(n + 5)) return false;
  const b = ws.slab; // a local: the module variable would be reloaded on every iteration
  let p = ws.pos;
  if (n < 32) b[p++] = 0xa0 | n;
  else if (n < 0x100) {
    b[p++] = 0xd9;
    b[p++] = n;
  } else if (n < 0x10000) {
    b[p] = 0xda;
    ws.view.setUint16(p + 1, n);
    p += 3;
  } else {
    b[p] = 0xdb;
    ws.view.setUint32(p + 1, n);
    p += 5;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return false;
    b[p++] = c;
  }
  ws.pos = p;
  return true;
}

function writeNumber(x: number): boolean {
  if (!room(9)) return false;
  if (Number.isInteger(x) && x >= -0x80000000 && x <= 0xffffffff) {
    if (x >= 0) {
      if (x < 0x80) ws.slab[ws.pos++] = x;
      else if (x < 0x100) {
        ws.slab[ws.pos++] = 0xcc;
        ws.slab[ws.pos++] = x;
      } else if (x < 0x10000) {
        ws.slab[ws.pos] = 0xcd;
        ws.view.setUint16(ws.pos + 1, x);
        ws.pos += 3;
      } else {
        ws.slab[ws.pos] = 0xce;
        ws.view.setUint32(ws.pos + 1, x);
        ws.pos += 5;
      }
    } else if (x >= -32) ws.slab[ws.pos++] = x & 0xff;
    else if (x >= -0x80) {
      ws.slab[ws.pos++] = 0xd0;
      ws.slab[ws.pos++] = x & 0xff;
    } else if (x >= -0x8000) {
      ws.slab[ws.pos] = 0xd1;
      ws.view.setInt16(ws.pos + 1, x);
      ws.pos += 3;
    } else {
      ws.slab[ws.pos] = 0xd2;
      ws.view.setInt32(ws.pos + 1, x);
      ws.pos += 5;
    }
    return true;
  }
  ws.slab[ws.pos] = 0xcb;
  ws.view.setFloat64(ws.pos + 1, x);
  ws.pos += 9;
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
  const value = readValue(body);
  return value === SLOW ? SLOW : { value, refs: sawRef };
}

/** {@link readFast} without the result object: the value or SLOW; then {@link lastHadRefs} tells about `$ref` keys. */
export function readValue(body: Uint8Array): unknown {
  src = body;
  srcView = undefined;
  at = 0;
  end = body.length;
  sawRef = false;
  sp = 0;
  const value = read(0);
  const done = at === end;
  src = EMPTY; // do not keep the frame alive
  srcView = undefined;
  return done ? value : SLOW;
}

/** Whether the value {@link readValue} returned last holds a `$ref` key. */
export const lastHadRefs = (): boolean => sawRef;

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
  const bytes = src;
  for (let i = from; i < to; i++) if (bytes[i]! >= 0x80) return false;
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
// each cached key's bytes, 32 per slot: comparing bytes is about twice as fast as charCodeAt here
const keyBytes = new Uint8Array(KEY_CACHE_SIZE * 32);
/** the cache slot of the key readKey returned last: maps hash their key sequence from these */
let keySlot = 0;

function readKey(n: number): string | Slow {
  if (at + n > end) return SLOW;
  const slot = n === 0 ? 0 : (n * 31 + src[at]! * 7 + src[at + (n >> 1)]! * 3 + src[at + n - 1]!) & (KEY_CACHE_SIZE - 1);
  keySlot = slot;
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === n) {
    let same = true;
    // locals: module variables would be reloaded on every iteration
    const bytes = src;
    const from = at;
    for (let i = 0, o = slot * 32; i < n; i++) {
      if (keyBytes[o + i] !== bytes[from + i]) {
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
  keyBytes.set(src.subarray(at, at + n), slot * 32);
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

// Objects by shape. Storing properties one by one into `{}` under keys known only at run time
// costs a map transition lookup per property (the stores are megamorphic once there are a few
// message types); an object literal with the keys written out is allocated with its final map.
// So a key sequence seen COMPILE_AFTER times gets a constructor `(v, b) => ({k0: v[b], ...})`,
// with each key a JSON string literal (keys are ASCII here, and never `__proto__`, which a
// literal would treat as the prototype). Shapes live in a direct-mapped cache; at most
// MAX_COMPILED constructors are ever made, so a peer sending ever new key sets costs no more
// than the plain stores.
interface Shape {
  keys: string[];
  seen: number;
  make: ((values: unknown[], base: number) => Record<string, unknown>) | undefined;
}
const SHAPE_CACHE_SIZE = 512;
const COMPILE_AFTER = 16;
const MAX_COMPILED = 2048;
const MAX_SHAPE_KEYS = 16;
const shapes: (Shape | undefined)[] = new Array(SHAPE_CACHE_SIZE);
let compiled = 0;
/** keys and values of the maps being read (nested maps above their parent's entries) */
const stackKeys: string[] = [];
const stackValues: unknown[] = [];
let sp = 0;

function compile(keys: string[]): Shape['make'] {
  compiled++;
  const fields = keys.map((key, i) => `${JSON.stringify(key)}: v[b + ${i}]`).join(', ');
  return new Function('v', 'b', `return { ${fields} };`) as Shape['make'];
}

function readMap(n: number, depth: number): Record<string, unknown> | Slow {
  if (depth >= MAX_DEPTH || n * 2 > end - at) return SLOW;
  const base = sp;
  let hash = n;
  for (let i = 0; i < n; i++) {
    const b = at < end ? src[at]! : 0;
    if (b < 0xa0 || b >= 0xc0) return (sp = base), SLOW; // keys: fixstr only here
    at++;
    const key = readKey(b & 0x1f);
    if (key === SLOW || key === '__proto__') return (sp = base), SLOW;
    if (key === '$ref') sawRef = true;
    hash = (hash * 31 + keySlot) & (SHAPE_CACHE_SIZE - 1);
    stackKeys[base + i] = key;
    sp = base + i + 1;
    const item = read(depth + 1);
    if (item === SLOW) return (sp = base), SLOW;
    stackValues[base + i] = item;
  }
  sp = base;
  const object = n <= MAX_SHAPE_KEYS ? fromShape(n, base, hash) : fromStores(n, base);
  for (let i = 0; i < n; i++) stackValues[base + i] = undefined; // keep no message alive
  return object;
}

function fromShape(n: number, base: number, hash: number): Record<string, unknown> {
  let shape = shapes[hash];
  if (shape !== undefined && shape.keys.length === n) {
    const keys = shape.keys;
    let i = 0;
    while (i < n && keys[i] === stackKeys[base + i]) i++;
    if (i === n) {
      if (shape.make !== undefined) return shape.make(stackValues, base);
      if (++shape.seen >= COMPILE_AFTER && compiled < MAX_COMPILED) {
        shape.make = compile(keys);
        return shape.make!(stackValues, base);
      }
      return fromStores(n, base);
    }
  }
  shape = { keys: stackKeys.slice(base, base + n), seen: 1, make: undefined };
  shapes[hash] = shape;
  return fromStores(n, base);
}

function fromStores(n: number, base: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) object[stackKeys[base + i]!] = stackValues[base + i];
  return object;
}
