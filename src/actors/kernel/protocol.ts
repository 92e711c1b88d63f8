/**
 * Typed references and protocol helpers. A protocol is a discriminated union of messages with
 * namespaced `type` tags and the reply address inside the message (like Akka's `replyTo`).
 */
import type { NactRef } from './nact-internals.js';

declare const protocol: unique symbol;

/**
 * An address that accepts messages of type `M`. At run time it is nact's reference object; the
 * type parameter only exists for the compiler.
 */
export type Ref<M> = NactRef & { readonly [protocol]?: (msg: M) => void };

/**
 * A reference whose protocol the holder does not know (parents, children, lookups). Every
 * Ref<M> is one; sending to it needs a cast to the protocol it accepts.
 */
export type AnyRef = Ref<never>;

/** The reply address a query hands to its message factory. */
export type ReplyTo<R> = Ref<R>;

/** Ends every switch over a protocol, so a new message type is a compile error until handled. */
export function assertNever(value: never, what = 'message'): never {
  const tag = (value as { type?: unknown } | null)?.type;
  throw new Error(`unexpected ${what}: ${tag === undefined ? JSON.stringify(value) : String(tag)}`);
}

/** The path of a reference as the registry and the gateway show it: `/control/lrps/web`. */
export function refPath(ref: NactRef): string {
  return '/' + ref.path.parts.join('/');
}
