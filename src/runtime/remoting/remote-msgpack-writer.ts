/**
 * The writing half of the fast body path (remote-msgpack.ts has the contract): the msgpack bytes
 * of a plain message, written into a shared slab, with objects of a recurring key sequence
 * written by a shape encoder compiled for it.
 */
import { COMPILE_AFTER, MAX_COMPILED, MAX_DEPTH, SLOW, TYPED_BODY, type Slow } from './remote-msgpack.js';

const SLAB_BYTES = 64 * 1024;

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

let bodyShape: readonly string[] | undefined;

/** The keys of the body {@link writeFast} wrote last when it was shaped; undefined when it was not. */
export const lastBodyShape = (): readonly string[] | undefined => bodyShape;

/**
 * The msgpack bytes of `value`, or SLOW. The bytes are a view into a shared slab that is never
 * written again (each body gets its own range), so the caller may keep them.
 *
 * `typed`: `value` is a tagged message (an object whose `type` the envelope carries): it is
 * written as {@link TYPED_BODY} followed by the map of its other keys, or, once its shape is
 * compiled, shaped: TYPED_BODY twice, then the values of {@link lastBodyShape}'s keys.
 */
export function writeFast(value: unknown, isRef: (value: object) => boolean, typed = false): Uint8Array | Slow {
  if (ws.slab.length - ws.pos < 1024) {
    ws.slab = new Uint8Array(SLAB_BYTES);
    ws.view = new DataView(ws.slab.buffer);
    ws.pos = 0;
  }
  ws.start = ws.pos;
  bodyShape = undefined;
  let written: boolean;
  if (typed) {
    written = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (written) {
      ws.slab[ws.pos++] = TYPED_BODY; // room: a fresh body has at least 1 KiB
      written = writeObject(value as object, isRef, 0, true);
    }
  } else written = write(value, isRef, 0);
  if (!written) {
    ws.pos = ws.start;
    bodyShape = undefined;
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
    else ws.pos += writeSized(ws.pos, n, 0xdc, 0xdd);
    for (let i = 0; i < n; i++) if (!write(value[i], isRef, depth + 1)) return false;
    return true;
  }
  return writeObject(value, isRef, depth, false);
}

/** A plain object as a msgpack map (without its `type` entry when `skipType`); false for anything else. */
function writeObject(value: object, isRef: (value: object) => boolean, depth: number, skipType: boolean): boolean {
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || isRef(value)) return false;
  const shaped = writeShaped(value, isRef, depth, skipType);
  if (shaped !== undefined) return shaped;
  if (!room(1)) return false;
  const header = ws.pos++;
  let n = 0;
  for (const key in value) {
    if (skipType && key === 'type') continue;
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
    writeSized(header, n, 0xde, 0xdf);
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
  /** for a typed body: writes the values of `wire` (every key but `type`) and nothing else */
  values: ShapeEncoder | null | undefined;
  /** the keys a shaped body's values belong to; one array for the shape's lifetime (the batch keys its table by it) */
  wire: readonly string[];
}
const WRITE_SHAPES = 512;
const writeShapes: (WriteShape | undefined)[] = new Array(WRITE_SHAPES);
let compiledEncoders = 0;

/** The shape the last top-level object had: messages of one kind often come in a row. */
let lastTop: WriteShape | undefined;

/** true or false when a shape's encoder wrote `value` (or failed), undefined when the general loop must. */
function writeShaped(value: object, isRef: (value: object) => boolean, depth: number, skipType: boolean): boolean | undefined {
  if (depth === 0 && lastTop !== undefined) {
    // one pass comparing keys instead of a hash pass and then the same comparison
    const keys = lastTop.keys;
    let i = 0;
    for (const key in value) {
      if (keys[i] !== key) {
        i = -1;
        break;
      }
      i++;
    }
    if (i === keys.length) return writeWith(lastTop, value, isRef, depth, skipType);
  }
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
      if (depth === 0) lastTop = shape;
      return writeWith(shape, value, isRef, depth, skipType);
    }
  }
  const keys: string[] = [];
  for (const key in value) keys.push(key);
  shape = { keys, seen: 1, encode: undefined, values: undefined, wire: keys.filter((key) => key !== 'type') };
  writeShapes[hash] = shape;
  return undefined;
}

/**
 * Writes `value` of a known shape through its compiled encoder, compiling it once it is seen
 * often. A typed body (`skipType`) of a compiled shape is written shaped: TYPED_BODY again, then
 * the values alone; {@link lastBodyShape} names their keys.
 */
function writeWith(shape: WriteShape, value: object, isRef: (value: object) => boolean, depth: number, skipType: boolean): boolean | undefined {
  const encode = skipType ? shape.values : shape.encode;
  if (encode === undefined && ++shape.seen >= COMPILE_AFTER) {
    if (skipType) shape.values = compileEncoder(shape.wire, true);
    else shape.encode = compileEncoder(shape.keys, false);
    return writeWith(shape, value, isRef, depth, skipType);
  }
  if (!encode) return undefined;
  if (skipType) {
    if (!room(1)) return false;
    ws.slab[ws.pos++] = TYPED_BODY;
    bodyShape = shape.wire;
  }
  return encode(value, isRef, depth);
}

/** An encoder that writes a map of exactly `keys`, in order; with `valuesOnly`, their values alone. */
function compileEncoder(keys: readonly string[], valuesOnly: boolean): ShapeEncoder | null {
  if (compiledEncoders >= MAX_COMPILED) return null;
  const lines: string[] = keys.length === 0 && !valuesOnly ? ['if (!room(1)) return false;', 'ws.slab[ws.pos++] = 0x80;'] : [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.length > 31 || key === '$ref' || key === '__proto__' || !/^[\x00-\x7f]*$/.test(key)) return null;
    const bytes = valuesOnly ? [] : [0xa0 | key.length, ...Array.from(key, (c) => c.charCodeAt(0))];
    if (i === 0 && !valuesOnly) bytes.unshift(0x80 | keys.length);
    if (bytes.length > 0) {
      lines.push(
        `if (!room(${bytes.length})) return false;`,
        `b = ws.slab; p = ws.pos;`,
        ...bytes.map((byte, j) => `b[p + ${j}] = ${byte};`),
        `ws.pos = p + ${bytes.length};`,
      );
    }
    lines.push(`if (!write(value[${JSON.stringify(key)}], isRef, depth + 1)) return false;`);
  }
  compiledEncoders++;
  const body = `return function (value, isRef, depth) { let b, p; ${lines.join(' ')} return true; };`;
  return new Function('ws', 'room', 'write', body)(ws, room, write) as ShapeEncoder;
}

/** At `at`: `code16` and `n` as a uint16 when it fits, else `code32` and a uint32; returns the bytes written. */
function writeSized(at: number, n: number, code16: number, code32: number): number {
  if (n < 0x10000) {
    ws.slab[at] = code16;
    ws.view.setUint16(at + 1, n);
    return 3;
  }
  ws.slab[at] = code32;
  ws.view.setUint32(at + 1, n);
  return 5;
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
  } else p += writeSized(p, n, 0xda, 0xdb);
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
      } else ws.pos += writeSized(ws.pos, x, 0xcd, 0xce);
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
