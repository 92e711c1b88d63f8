/**
 * Auctor's error hierarchy. Every error carries a stable `code` (BBS's error types where one
 * exists) that the gateway maps to an HTTP status and remoting to a gRPC status; the other side
 * rebuilds the error from the code, never with `instanceof` across a process boundary.
 * Outcomes a caller must branch on are data, not throws; these are for failures.
 */
export type ErrorCode =
  | 'InvalidRequest'
  | 'InvalidJSON'
  | 'Unauthorized'
  | 'ResourceNotFound'
  | 'ResourceExists'
  | 'ResourceConflict'
  /** the record exists but its actor could not be brought back; it is quarantined until deleted */
  | 'ResourceQuarantined'
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

/**
 * The actor that was to answer was quarantined (stopped for good after its restart intensity
 * was spent, docs/011-actor-kernel.md "Quarantine") before it could.
 */
export class ActorQuarantinedError extends AuctorError {
  constructor(readonly target: string, readonly reason: string) {
    super('ResourceQuarantined', `actor quarantined: ${target}: ${reason}`);
  }
}

/** The actor failed while handling the message that asked: its reply will never come. */
export class ActorFailedError extends AuctorError {
  constructor(readonly target: string, readonly reason: string) {
    super('Unavailable', `${target} failed: ${reason}`);
  }
}

/** The answer to an operation a caller must branch on: the value, or why not (never a throw). */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AuctorError };

/** A check that passed, or why it did not. Assignable from a failed `Result`. */
export type Check = { ok: true } | { ok: false; error: AuctorError };

/** A successful `Result`. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** The passed `Check`. */
export const passed: { ok: true } = Object.freeze({ ok: true as const });

/** A failed `Result` or `Check`. */
export function failed(error: AuctorError): { ok: false; error: AuctorError } {
  return { ok: false, error };
}

/**
 * BBS's `ErrInvalidField`, as Auctor words it: `invalid field: <path>`, then `: <reason>` when the
 * value is present but breaks a rule (a limit, a range, a pattern).
 */
export function invalidField(path: string, reason?: string): AuctorError {
  return new AuctorError('InvalidRequest', reason ? `invalid field: ${path}: ${reason}` : `invalid field: ${path}`);
}
