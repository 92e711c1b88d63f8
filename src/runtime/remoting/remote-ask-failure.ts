/**
 * A remote ask whose message is a dead letter where it arrived fails at once, not at its
 * timeout: the receiving node answers the ask's reply address (`/~reply/<n>`, or `/~temp/<id>`
 * for a local ask whose reply address travelled) with an {@link AskFailure}, and the asking node
 * rejects the ask with the error rebuilt from its code (docs/051-remote-refs.md "Dead letters").
 * The tag `~failed` is reserved: protocol tags are namespaced (`cell/state`) and never start with `~`.
 */
import { ActorNotFoundError, AuctorError } from '../../base/errors.js';
import { RemoteActorRef } from '../kernel/protocol.js';

export const ASK_FAILED = '~failed';

/** What travels to the reply address of an ask that cannot be answered. */
export interface AskFailure {
  type: typeof ASK_FAILED;
  /** the error's code (`ResourceNotFound`) */
  code: string;
  /** what the ask was for, `/<node><path>` */
  target: string;
}

/** The reply address of `msg` when it names a remote ask's reply slot; undefined otherwise. */
export function remoteReplyTo(msg: unknown): RemoteActorRef | undefined {
  const replyTo = msg !== null && typeof msg === 'object' ? (msg as { replyTo?: unknown }).replyTo : undefined;
  return replyTo instanceof RemoteActorRef && replyTo.at.startsWith('/~') ? replyTo : undefined;
}

/** The failure of an ask for `target` where no actor took it. */
export function actorNotFound(target: string): AskFailure {
  return { type: ASK_FAILED, code: 'ResourceNotFound', target };
}

export function isAskFailure(msg: unknown): msg is AskFailure {
  return msg !== null && typeof msg === 'object' && (msg as { type?: unknown }).type === ASK_FAILED;
}

/** The error the asker's query rejects with: rebuilt from the code, never sent whole. */
export function askError(failure: AskFailure): Error {
  const target = String(failure.target);
  if (failure.code === 'ResourceNotFound') return new ActorNotFoundError(target);
  return new AuctorError('Unavailable', `no reply from ${target}: ${String(failure.code)}`);
}
