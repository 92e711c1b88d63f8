/**
 * The reading half of the fast body path (remote-msgpack.ts has the contract): a plain message
 * from its msgpack bytes, with map keys handed out from a cache and objects of a recurring key
 * sequence built by an object literal compiled for it.
 */
import { COMPILE_AFTER, MAX_COMPILED, MAX_DEPTH, SLOW, TYPED_BODY, type Slow } from './remote-msgpack.js';

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

/**
 * {@link readFast} without the result object: the value or SLOW; then {@link lastHadRefs} tells
 * about `$ref` keys. `type`: the envelope's type, which a typed body leaves out (SLOW without it);
 * `shape`: the envelope's shape, the keys of a shaped body's values (SLOW without it).
 */
export function readValue(body: Uint8Array, type?: string, shape?: readonly string[]): unknown {
  src = body;
  srcView = undefined;
  at = 0;
  end = body.length;
  sawRef = false;
  sp = 0;
  let value: unknown;
  if (end === 0 || body[0] !== TYPED_BODY) value = read(0);
  else if (type === undefined) value = SLOW;
  else if (end > 1 && body[1] === TYPED_BODY) value = shape === undefined ? SLOW : ((at = 2), readShaped(type, shape));
  else value = ((at = 1), readTypedMap(type));
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
  // short strings are cheaper built in JS than through a native call; one that recurs (a state,
  // a zone) comes from the key cache, which takes short values only into empty slots, so values
  // that never repeat do not push the keys out
  if (n <= 8) {
    if (n > 1) {
      const cached = fromKeyCache(n);
      if (cached !== undefined) return cached;
    }
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = b[p + i]!;
      if (c >= 0x80) return SLOW;
      s += fromCharCode(c);
    }
    if (n > 1 && keyCache[keySlot] === undefined) {
      keyBytes.set(b.subarray(p, p + n), keySlot * 32);
      keyCache[keySlot] = s;
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

/** The cached string equal to the next `n` bytes (and `at` past them), or undefined; sets keySlot either way. */
function fromKeyCache(n: number): string | undefined {
  const slot = n === 0 ? 0 : (n * 31 + src[at]! * 7 + src[at + (n >> 1)]! * 3 + src[at + n - 1]!) & (KEY_CACHE_SIZE - 1);
  keySlot = slot;
  const cached = keyCache[slot];
  if (cached === undefined || cached.length !== n) return undefined;
  // locals: module variables would be reloaded on every iteration
  const bytes = src;
  const from = at;
  for (let i = 0, o = slot * 32; i < n; i++) if (keyBytes[o + i] !== bytes[from + i]) return undefined;
  at += n;
  return cached;
}

function readKey(n: number): string | Slow {
  if (at + n > end) return SLOW;
  const cached = fromKeyCache(n);
  if (cached !== undefined) return cached;
  const slot = keySlot;
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

/** The map after a typed body's first byte, with `type` put back as its first key. */
function readTypedMap(type: string): Record<string, unknown> | Slow {
  if (at >= end) return SLOW;
  const b = src[at++]!;
  if (b >= 0x80 && b < 0x90) return readMap(b & 0x0f, 0, type);
  if (b === 0xde) return at + 2 <= end ? ((at += 2), readMap(u16(at - 2), 0, type)) : SLOW;
  if (b === 0xdf) return at + 4 <= end ? ((at += 4), readMap(u32(at - 4), 0, type)) : SLOW;
  return SLOW;
}

// Shaped bodies: the values of a key list the batch carried. What is built for a list (its check
// and its object literal) is kept by the list's identity: the codec hands out one array per list.
interface ShapedMaker {
  /** null: a list no message may have (`type`, `__proto__`, a repeated key) */
  make: ((values: unknown[], base: number) => Record<string, unknown>) | null;
  refs: boolean;
}
const makers = new WeakMap<readonly string[], ShapedMaker>();
let lastShape: readonly string[] | undefined;
let lastMaker: ShapedMaker | undefined;

function makerFor(keys: readonly string[]): ShapedMaker {
  if (keys === lastShape) return lastMaker!;
  let maker = makers.get(keys);
  if (maker === undefined) {
    const ok = !keys.includes('type') && !keys.includes('__proto__') && new Set(keys).size === keys.length && keys.length < MAX_SHAPE_KEYS;
    maker = { make: ok ? (compiled < MAX_COMPILED ? compile(['type', ...keys])! : (v, b) => fromStoresOf(['type', ...keys], v, b)) : null, refs: keys.includes('$ref') };
    makers.set(keys, maker);
  }
  lastShape = keys;
  lastMaker = maker;
  return maker;
}

function fromStoresOf(keys: readonly string[], values: unknown[], base: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) object[keys[i]!] = values[base + i];
  return object;
}

/** A shaped body's values (after its two first bytes), as the message with `type` first. */
function readShaped(type: string, keys: readonly string[]): Record<string, unknown> | Slow {
  const maker = makerFor(keys);
  if (maker.make === null) return SLOW;
  if (maker.refs) sawRef = true;
  const n = keys.length;
  const base = sp;
  stackValues[base] = type;
  sp = base + 1 + n;
  for (let i = 0; i < n; i++) {
    const item = read(1);
    if (item === SLOW) return (sp = base), SLOW;
    stackValues[base + 1 + i] = item;
  }
  sp = base;
  const object = maker.make(stackValues, base);
  for (let i = 0; i <= n; i++) stackValues[base + i] = undefined; // keep no message alive
  return object;
}

/** A hash slot standing for the `type` key a typed body leaves out. */
const TYPE_KEY_SLOT = 0x1f3;

/** A map of `n` entries; with `type`, a typed body's map, which must not hold a `type` key itself. */
function readMap(n: number, depth: number, type?: string): Record<string, unknown> | Slow {
  if (depth >= MAX_DEPTH || n * 2 > end - at) return SLOW;
  const base = sp;
  let hash = n;
  let first = 0;
  if (type !== undefined) {
    stackKeys[base] = 'type';
    stackValues[base] = type;
    sp = base + 1;
    first = 1;
    hash = (hash * 31 + TYPE_KEY_SLOT) & (SHAPE_CACHE_SIZE - 1);
  }
  for (let i = 0; i < n; i++) {
    const b = at < end ? src[at]! : 0;
    if (b < 0xa0 || b >= 0xc0) return (sp = base), SLOW; // keys: fixstr only here
    at++;
    const key = readKey(b & 0x1f);
    if (key === SLOW || key === '__proto__' || (first === 1 && key === 'type')) return (sp = base), SLOW;
    if (key === '$ref') sawRef = true;
    hash = (hash * 31 + keySlot) & (SHAPE_CACHE_SIZE - 1);
    const slot = base + first + i;
    stackKeys[slot] = key;
    sp = slot + 1;
    const item = read(depth + 1);
    if (item === SLOW) return (sp = base), SLOW;
    stackValues[slot] = item;
  }
  sp = base;
  const total = n + first;
  const object = total <= MAX_SHAPE_KEYS ? fromShape(total, base, hash) : fromStores(total, base);
  for (let i = 0; i < total; i++) stackValues[base + i] = undefined; // keep no message alive
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
