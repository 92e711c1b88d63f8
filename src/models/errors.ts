/**
 * Auctor's error hierarchy. Every error carries a stable `code` (BBS's error types where one
 * exists) that the gateway maps to an HTTP status and remoting to a gRPC status; the other side
 * rebuilds the error from the code, never with `instanceof` across a process boundary.
 * Outcomes a caller must branch on are data, not throws; these are for failures.
 */
export type ErrorCode =
  | 'InvalidRequest'
  | 'ResourceNotFound'
  | 'ResourceExists'
  | 'ResourceConflict'
  | 'InvalidStateTransition'
  | 'Unavailable'
  | 'Timeout';

export class AuctorError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = code;
  }
}

/** An ask (query) got no reply in time. */
export class AskTimeoutError extends AuctorError {
  constructor(readonly target: string, readonly timeoutMs: number) {
    super('Timeout', `no reply from ${target} within ${timeoutMs}ms`);
  }
}

/** A message or ask went to an actor that has stopped or never existed. */
export class ActorNotFoundError extends AuctorError {
  constructor(readonly target: string) {
    super('ResourceNotFound', `actor not found: ${target}`);
  }
}
