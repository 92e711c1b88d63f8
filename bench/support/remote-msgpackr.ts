/**
 * Message bodies on msgpackr alone, the alternative bench/remoting.ts measures against the
 * hand-written codec (remote-codec.ts with remote-msgpack*.ts) in the same run. Not the default:
 * it keeps 0.4–0.6 of the hand codec's actor-to-actor rate (docs/050-remoting.md, "Body codecs").
 * A process uses it after `useBodyCodec(msgpackrBodies)`; both ends of a link must.
 *
 * - References: the walk the hand codec uses ({@link rewriteRefs}) puts an {@link OutboundRef} in
 *   each one's place, and the msgpack extension {@link REF_EXTENSION} writes that as
 *   `[node, path, incarnation?]`. msgpackr's extensions are process-global; this one is
 *   registered for a class only this module makes, so no other msgpackr user in the process
 *   (cluster gossip; LMDB has its own msgpackr) packs anything differently. Reading it resolves
 *   the ref against the node that decodes ({@link resolveWireRef}).
 * - Records: the top-level object of a tagged message is a msgpackr record of a shared structure
 *   this process learns as it sends (MAX_STRUCTURES of them, then the table starts again).
 *   Its keys travel in the envelope's `shape`, once per batch (docs/050-remoting.md, "The wire"),
 *   and the receiver lends them to its Unpackr for that one body. So no stream holds codec state:
 *   a new stream, or a restarted peer, re-learns nothing, and an envelope dropped from a full
 *   queue takes nothing else with it. msgpackr's `sequential` mode (structures defined once per
 *   stream) would need bodies encoded by the stream in the order they are sent; they are
 *   encoded before they are queued, and a dropped one would leave the next ones unreadable.
 * - Checks, as the hand codec: a `$ref` key or nesting past MAX_DEPTH is refused both ways; so is
 *   0xc1, which msgpackr reads as a marker object.
 */
import { addExtension, C1, Packr, REUSE_BUFFER_MODE, Unpackr } from 'msgpackr';
import { CodecError, MAX_DEPTH, resolveWireRef, rewriteRefs, type BodyCodec, type CodecContext, type WireRef } from '../../src/runtime/remoting/remote-codec.js';

/** The msgpack extension type of an actor reference: `[node, path, incarnation?]` follows. */
export const REF_EXTENSION = 1;
/** Shared structures (one-byte record ids 0x40–0x5f) before the table starts again. */
const MAX_STRUCTURES = 32;

/** A reference on its way out, for the extension to write. */
class OutboundRef {
  constructor(readonly wire: WireRef) {}
}
const outbound = (wire: WireRef | null): OutboundRef | null => (wire === null ? null : new OutboundRef(wire));

/** The node decoding the body being read: the extension resolves refs against it. */
let decoding: CodecContext | undefined;

addExtension({
  Class: OutboundRef,
  type: REF_EXTENSION,
  write: ({ wire }: OutboundRef) => (wire.incarnation === undefined ? [wire.node, wire.path] : [wire.node, wire.path, wire.incarnation]),
  read: (fields: unknown) => {
    if (decoding === undefined) throw new CodecError('an actor reference outside a remote message body');
    if (!Array.isArray(fields) || fields.length < 2 || fields.length > 3) throw new CodecError('a ref is not [node, path, incarnation?]');
    const [node, path, incarnation] = fields as unknown[];
    if (typeof node !== 'string' || node === '' || typeof path !== 'string' || !path.startsWith('/')) throw new CodecError('a ref is not [node, path, incarnation?]');
    if (fields.length === 2) return resolveWireRef({ node, path }, decoding);
    if (typeof incarnation !== 'number' || !Number.isFinite(incarnation)) throw new CodecError('a ref incarnation is not a number');
    return resolveWireRef({ node, path, incarnation }, decoding);
  },
});

/** The object being packed that becomes a record: a tagged message's top level. */
let recordOf: unknown;
let lastShape: readonly string[] | undefined;
/** The key lists of the structures this Packr has sent (msgpackr fills it). */
let sent: string[][] = [];
let packr = newPackr();

// A full table starts again (a new Packr) when a shape finds no room: bodies already written
// keep working, since each carries its own key list and no receiver remembers ids.
function newPackr(): Packr {
  sent = [];
  return new Packr({ structures: sent, maxSharedStructures: MAX_STRUCTURES, maxOwnStructures: 0, moreTypes: true, useRecords: (value: unknown) => value === recordOf });
}

/** The structure of the body being read, at its id; empty otherwise. */
const lent = new Array<readonly string[] | undefined>(MAX_STRUCTURES);
// copyBuffers: binary values are copied out of the scratch buffer bodies are read from
const unpackr = new Unpackr({ structures: lent as {}[], moreTypes: true, mapsAsObjects: true, copyBuffers: true });

// msgpackr caches a DataView on the object it reads (a new property and a DataView per body,
// which arrives as a view into its frame) and slices strings natively only from a Buffer: so a
// body is copied into one scratch Buffer (as large as the largest body yet, at most
// maxEnvelopeBytes) and read from its start. About a quarter off decoding here.
let scratch = Buffer.allocUnsafeSlow(4096);
const range = { start: 0, end: 0 };

function encode(message: unknown, ctx: CodecContext, typed: boolean): Uint8Array {
  lastShape = undefined;
  const wire = rewriteRefs(message, ctx, outbound);
  recordOf = typed ? wire : undefined;
  let target: Buffer & { start: number; end: number };
  try {
    // the body as a view into msgpackr's buffer (which it never writes again): half a Buffer.subarray
    target = packr.pack(wire, REUSE_BUFFER_MODE) as Buffer & { start: number; end: number };
  } finally {
    recordOf = undefined;
  }
  const body = new Uint8Array(target.buffer, target.byteOffset + target.start, target.end - target.start);
  const id = body[0]! - 0x40;
  lastShape = id >= 0 && id < MAX_STRUCTURES ? sent[id] : undefined;
  if (typed && lastShape === undefined && sent.length >= MAX_STRUCTURES) packr = newPackr();
  return body;
}

function decode(body: Uint8Array, ctx: CodecContext, _type?: string, shape?: readonly string[]): unknown {
  if (body.length === 0) throw new CodecError('an empty body');
  const id = body[0]! - 0x40;
  if (shape !== undefined) {
    if (!(id >= 0 && id < MAX_STRUCTURES)) throw new CodecError('a body with a shape that is not a record');
    lent[id] = shape;
  }
  if (body.length > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(body.length, scratch.length * 2));
  scratch.set(body, 0);
  range.end = body.length;
  decoding = ctx;
  let message: unknown;
  try {
    message = unpackr.unpack(scratch, range);
  } finally {
    decoding = undefined;
    lent.fill(undefined); // also what a hostile body's own record definitions left
  }
  checkDecoded(message, 0);
  return message;
}

/**
 * What msgpackr read, checked as the hand codec checks: no `$ref` key, no 0xc1, nesting within
 * MAX_DEPTH. Refs (the extension made them) and other class instances are leaves.
 */
function checkDecoded(value: unknown, depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > MAX_DEPTH) throw new CodecError(`body nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkDecoded(value[i], depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (value === C1) throw new CodecError('a body holding 0xc1, which is no msgpack value');
    return;
  }
  for (const key in value) {
    if (key === '$ref') throw new CodecError('`$ref` is a reserved key in messages');
    checkDecoded((value as Record<string, unknown>)[key], depth + 1);
  }
}

/** The msgpackr body codec, for `useBodyCodec`. */
export const msgpackrBodies: BodyCodec = { encode, shape: () => lastShape, decode };
