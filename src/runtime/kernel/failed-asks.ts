/**
 * Answering an ask with a failure. A local ask (`ActorSystem.query`) waits on a temporary
 * reference that is both the message's sender and, by the protocols' convention, its `replyTo`;
 * settling that reference's deferral with a {@link FailedReply}, which `query` throws, makes the
 * asker's promise fail at once instead of at its timeout (resolving, not rejecting, is what
 * clears nact's timeout timer). Remote askers (a `remote` replyTo) are not reached: they time out.
 */
import { findSystem, type NactRef } from './nact-internals.js';

/** The reply that `ActorSystem.query` turns back into a thrown `error`. */
export class FailedReply {
  constructor(readonly error: unknown) {}
}

/** Fails the local ask waiting on `ref` with `error`; false when `ref` is no pending local ask. */
export function failAsk(ref: unknown, error: unknown): boolean {
  if (!isTempRef(ref)) return false;
  const deferral = findSystem(ref.system.name ?? '')?.tempReferences.get(ref.id!);
  deferral?.resolve(new FailedReply(error));
  return deferral !== undefined;
}

/** Fails the asks waiting on `message` (its `replyTo`) and on `sender`. */
export function failAsksOf(message: unknown, sender: unknown, error: () => unknown): void {
  const replyTo = typeof message === 'object' && message !== null ? (message as { replyTo?: unknown }).replyTo : undefined;
  // a settled deferral ignores a second answer, so the same ref as both is harmless
  for (const ref of [replyTo, sender]) if (isTempRef(ref)) failAsk(ref, error());
}

function isTempRef(ref: unknown): ref is NactRef {
  return typeof ref === 'object' && ref !== null && (ref as NactRef).type === 'temp' && typeof (ref as NactRef).id === 'number';
}
