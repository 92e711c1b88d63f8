/**
 * Message bodies on the wire: msgpack (one shared Packr) of the message with every reference in
 * it rewritten to `{$ref: {node, incarnation?, path}}`, and back on arrival: a reference that
 * names this node's current incarnation becomes the local nact ref again, any other a
 * {@link RemoteActorRef}.
 *
 * Why a rewrite rather than a msgpackr extension: msgpackr's extensions are process-global, so
 * one registered for nact's reference classes would also change what LMDB (which packs with
 * msgpackr) stores. The walk copies only the objects on the way to a reference; a message
 * without refs goes to the Packr untouched.
 *
 * Most messages take the fast path (remote-msgpack.ts): plain data without refs is written and
 * read straight, with no walk and no Packr, a tagged message as a typed or shaped body; anything
 * else falls back to the walk and msgpackr.
 *
 * Messages must be structured-clone-safe data (plain objects, arrays, primitives, Date, Set,
 * typed arrays); refs are found in plain objects and arrays. `$ref` is a reserved key.
 *
 * bench/remoting.ts compares this codec with one on msgpackr alone (bench/support/remote-msgpackr.ts) in the
 * same run, switching both processes through {@link useBodyCodec}; nothing else switches.
 */
import { Packr } from 'msgpackr';
import type { LocalRef } from '../kernel/protocol.js';
import { RemoteActorRef, type KernelRef } from '../kernel/protocol.js';
import { SLOW, TYPED_BODY } from './remote-msgpack.js';
import { lastHadRefs, readValue } from './remote-msgpack-reader.js';
import { lastBodyShape, writeFast } from './remote-msgpack-writer.js';

/** One shared Packr: plain msgpack (no records, so any peer decodes any body on its own). */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** Deepest nesting a message may have, either way. */
export const MAX_DEPTH = 64;

/** Reserved paths: never actor names (nact does not allow `~` in one). */
export const REPLY_PREFIX = '/~reply/';
export const TEMP_PREFIX = '/~temp/';

/** A reference as it travels. */
export interface WireRef {
  node: string;
  incarnation?: number;
  path: string;
}

/** Who is encoding or decoding: refs that name `node` at `incarnation` are local. */
export interface CodecContext {
  node: string;
  incarnation: number;
  /** the live local actor at `path`, for decoded refs to this node */
  lookup(path: string): KernelRef | undefined;
  /** this node's root (system) reference */
  root: KernelRef;
}

/** A body that cannot be decoded, or a message that cannot be encoded. */
export class CodecError extends Error {}

/** The envelope tag of an untagged value (a reply such as a list or a state): the transport needs a non-empty one. */
export const UNTAGGED = '~value';

/** The tag the envelope carries: the message's `type`, or '' for an untagged value (a reply). */
export function tagOf(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return '';
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' ? type : '';
}

/** Every ref's `type` is one of these: a message's own tag rules it out without more reads. */
const isRefLike = (value: object): boolean => {
  const type = (value as { type?: unknown }).type;
  if (type !== 'actor' && type !== 'system' && type !== 'temp' && type !== 'nobody' && type !== 'remote') return false;
  return isNactRef(value) || isRemoteShaped(value);
};

/** Another way to write and read bodies, for the bench's comparison (bench/support/remote-msgpackr.ts). */
export interface BodyCodec {
  /** As {@link encodeBody}. */
  encode(message: unknown, ctx: CodecContext, typed: boolean): Uint8Array;
  /** As {@link encodedShape}. */
  shape(): readonly string[] | undefined;
  /** As {@link decodeBody}. */
  decode(body: Uint8Array, ctx: CodecContext, type?: string, shape?: readonly string[]): unknown;
}

let other: BodyCodec | undefined;

/** This process writes and reads bodies with `codec` from now on; undefined: the hand codec again. Both ends must agree. */
export function useBodyCodec(codec: BodyCodec | undefined): void {
  other = codec;
}

/**
 * `typed`: the message's `type` travels in the envelope, so the fast path leaves it out of the
 * body (a typed body, remote-msgpack.ts); the general path always writes the whole message.
 */
export function encodeBody(message: unknown, ctx: CodecContext, typed = false): Uint8Array {
  if (other !== undefined) return other.encode(message, ctx, typed);
  const fast = writeFast(message, isRefLike, typed);
  return fast === SLOW ? packr.pack(toWire(message, ctx, 0, asRecord)) : fast;
}

/**
 * `type`: the envelope's type, put back into a typed body. Throws {@link CodecError} (or
 * msgpackr's error) when the bytes are not a well-formed body.
 */
export function decodeBody(body: Uint8Array, ctx: CodecContext, type?: string, shape?: readonly string[]): unknown {
  if (other !== undefined) return other.decode(body, ctx, type, shape);
  const fast = readValue(body, type, shape);
  if (fast !== SLOW) return lastHadRefs() ? fromWire(fast, ctx, 0) : fast;
  if (body[0] !== TYPED_BODY) return fromWire(packr.unpack(body), ctx, 0);
  if (type === undefined) throw new CodecError('a typed body without an envelope type');
  if (body[1] === TYPED_BODY) return fromWire(shapedMessage(type, shape, body.subarray(2)), ctx, 0);
  const rest: unknown = packr.unpack(body.subarray(1));
  if (rest === null || typeof rest !== 'object' || Array.isArray(rest)) throw new CodecError('a typed body that is not a map');
  if (Object.hasOwn(rest, 'type')) throw new CodecError('a typed body that carries a type of its own');
  return fromWire({ type, ...rest }, ctx, 0);
}

/** The keys of the body {@link encodeBody} wrote last when it was shaped (the envelope carries them). */
export const encodedShape = (): readonly string[] | undefined => (other === undefined ? lastBodyShape() : other.shape());

/** A shaped body the fast reader left (a value it does not read): msgpackr reads the values. */
function shapedMessage(type: string, shape: readonly string[] | undefined, values: Uint8Array): Record<string, unknown> {
  if (shape === undefined) throw new CodecError('a shaped body without its shape');
  if (shape.includes('type') || shape.includes('__proto__') || new Set(shape).size !== shape.length) throw new CodecError('a shape with a reserved or repeated key');
  const read = values.length === 0 ? [] : (packr.unpackMultiple(values) as unknown[]);
  if (read.length !== shape.length) throw new CodecError(`a shaped body with ${read.length} values for ${shape.length} keys`);
  const message: Record<string, unknown> = { type };
  shape.forEach((key, i) => (message[key] = read[i]));
  return message;
}

/** The wire form of a local or remote reference. */
export function wireRef(ref: KernelRef, ctx: Pick<CodecContext, 'node' | 'incarnation'>): WireRef | null {
  if (ref.type === 'remote') return ref.incarnation === undefined ? { node: ref.node, path: ref.at } : { node: ref.node, incarnation: ref.incarnation, path: ref.at };
  const node = ref.system.name;
  if (node === undefined || ref.type === 'nobody') return null;
  const path = ref.type === 'temp' ? TEMP_PREFIX + String(ref.id) : '/' + ref.path.parts.join('/');
  return node === ctx.node ? { node, incarnation: ctx.incarnation, path } : { node, path };
}

/** A ref as this codec packs it. */
const asRecord = (wire: WireRef | null): unknown => ({ $ref: wire });

/**
 * `message` with each reference in it replaced by `replace(its wire form)`; copies only the objects
 * on the way to one. Throws {@link CodecError} for a `$ref` key or nesting past MAX_DEPTH.
 */
export const rewriteRefs = (message: unknown, ctx: CodecContext, replace: (wire: WireRef | null) => unknown): unknown => toWire(message, ctx, 0, replace);

function toWire(value: unknown, ctx: CodecContext, depth: number, replace: (wire: WireRef | null) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) throw new CodecError(`message nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const wire = toWire(item, ctx, depth + 1, replace);
      if (wire !== item) (out ??= value.slice())[i] = wire;
    }
    return out ?? value;
  }
  if (value instanceof RemoteActorRef) return replace(wireRef(value, ctx));
  if (isNactRef(value)) return replace(wireRef(value, ctx));
  if (isRemoteShaped(value)) return replace(wireRef(new RemoteActorRef(value.node, value.at, value.incarnation), ctx));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  let out: Record<string, unknown> | undefined;
  // for-in: no key array per object; plain objects inherit no enumerable keys
  for (const key in value) {
    if (key === '$ref') throw new CodecError('`$ref` is a reserved key in messages');
    const item = (value as Record<string, unknown>)[key];
    const wire = toWire(item, ctx, depth + 1, replace);
    if (wire !== item) (out ??= { ...(value as Record<string, unknown>) })[key] = wire;
  }
  return out ?? value;
}

/** Decoded values are fresh, so they are rewritten in place. */
function fromWire(value: unknown, ctx: CodecContext, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) throw new CodecError(`body nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i], ctx, depth + 1);
    return value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  if (record.$ref !== undefined) return refFromWire(record, ctx);
  for (const key in record) {
    const item = record[key];
    if (item !== null && typeof item === 'object') record[key] = fromWire(item, ctx, depth + 1);
  }
  return record;
}

function refFromWire(record: Record<string, unknown>, ctx: CodecContext): KernelRef | null {
  const wire = record.$ref as Partial<WireRef> | null;
  if (Object.keys(record).length !== 1) throw new CodecError('a $ref object has other keys');
  if (wire === null) return null;
  if (typeof wire !== 'object' || typeof wire.node !== 'string' || wire.node === '' || typeof wire.path !== 'string' || !wire.path.startsWith('/')) {
    throw new CodecError('a $ref is not {node, incarnation?, path}');
  }
  if (wire.incarnation !== undefined && (typeof wire.incarnation !== 'number' || !Number.isFinite(wire.incarnation))) throw new CodecError('a $ref incarnation is not a number');
  return resolveWireRef(wire as WireRef, ctx);
}

/** The ref a checked wire ref names for the node `ctx` describes: its own actors' refs are local again. */
export function resolveWireRef({ node, path, incarnation }: WireRef, ctx: CodecContext): KernelRef {
  if (node !== ctx.node || (incarnation !== undefined && incarnation !== ctx.incarnation)) return new RemoteActorRef(node, path, incarnation);
  if (path === '/') return ctx.root;
  if (path.startsWith(TEMP_PREFIX)) {
    const id = Number(path.slice(TEMP_PREFIX.length));
    if (!Number.isSafeInteger(id)) throw new CodecError(`bad temp ref ${path}`);
    return { type: 'temp', id, system: { name: node }, path: { parts: [] } };
  }
  // reply slots (and any other reserved address) stay remote-shaped: the router delivers them
  if (path.startsWith('/~')) return new RemoteActorRef(node, path, ctx.incarnation);
  // an actor that has stopped still gets a well-formed ref: sending to it is a dead letter
  return ctx.lookup(path) ?? { type: 'actor', path: { parts: path.split('/').filter(Boolean) }, system: { name: node } };
}

/** A RemoteActorRef that lost its class on the way (a persisted message, a structured clone). */
function isRemoteShaped(value: object): value is RemoteActorRef {
  const ref = value as Partial<RemoteActorRef>;
  return ref.type === 'remote' && typeof ref.node === 'string' && typeof ref.at === 'string';
}

function isNactRef(value: object): value is LocalRef {
  const ref = value as Partial<LocalRef>;
  const system = ref.system;
  if (system === null || typeof system !== 'object' || !('name' in system)) return false;
  switch (ref.type) {
    case 'actor':
    case 'system':
      return Array.isArray(ref.path?.parts);
    case 'temp':
      return typeof ref.id === 'number';
    case 'nobody':
      return true;
    default:
      return false;
  }
}
