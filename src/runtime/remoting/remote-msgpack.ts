/**
 * The fast path of message bodies (remote-codec.ts): plain msgpack of the shapes actor messages
 * usually have (plain objects, arrays, ASCII strings, numbers, booleans, null), written
 * (remote-msgpack-writer.ts) and read (remote-msgpack-reader.ts) without msgpackr's per-call
 * set-up, and without the ref walk when a message holds no refs. Both directions give up (return
 * {@link SLOW}) on anything else: a ref, a class instance, a Date, a typed array, `undefined`, a
 * non-ASCII string, an ext or bin value, a non-string key, `$ref` or `__proto__` as a key,
 * nesting past MAX_DEPTH, or bytes that are not one well-formed value; the caller then runs the
 * general path (ref walk and msgpackr) from the start, so errors and edge cases behave exactly as
 * before. What the fast writer emits is standard msgpack that msgpackr reads to the same value,
 * and the fast reader returns what msgpackr would.
 *
 * A typed body is a tagged message whose `type` travels only in the envelope: the byte
 * {@link TYPED_BODY} (which msgpack never uses) and then the map of the message's other keys. The
 * reader is given the envelope's type and puts it back as the first key. Once the writer has
 * compiled a message's shape, the body is shaped: TYPED_BODY twice, then the values alone, their
 * keys carried by the envelope (`Envelope.shape`, once per batch on the wire).
 *
 * This module holds what the two halves share.
 */

/** This path does not handle the value; use the general one. */
export const SLOW: unique symbol = Symbol('slow');
export type Slow = typeof SLOW;

/** Deepest nesting either direction handles. */
export const MAX_DEPTH = 64;
/** A key sequence seen this many times gets compiled code (a shape encoder or an object literal). */
export const COMPILE_AFTER = 16;
/** At most this many compiled functions per direction, ever. */
export const MAX_COMPILED = 2048;
/** The first byte of a typed body: 0xc1, which msgpack leaves unused. */
export const TYPED_BODY = 0xc1;
