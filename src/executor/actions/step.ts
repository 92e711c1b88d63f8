/**
 * What every step shares: its result (data, never a throw), the context a caller hands in, and
 * the scope a step runs in (where its lines go and under which log source).
 *
 * Texts are Diego's (executor:depot/steps), because users match on them; they are all built
 * here so one file says what a user can see.
 */
import type { Clock } from '../../base/clock.js';
import type { Logger } from '../../base/logger.js';
import type { Action } from '../../models/actions.js';
import { formatDuration } from '../../models/duration.js';
import type { Container, ExitStatus, OutputLine, OutputStream } from '../../garden/backend.js';

/** How a step ended. A failed run step carries the process's exit. */
export type StepResult = { ok: true } | { ok: false; error: string; exit?: ExitStatus };

/** What the caller (the cell's container runner) provides. */
export interface StepContext {
  /** the container the actions act on */
  container: Container;
  /** every line the steps produce: process output and progress messages, each tagged with its source */
  onOutput?: (line: OutputLine) => void;
  /** the source for lines of actions without a `log_source` of their own; default `APP` */
  logSource?: string;
  /** drives the timeout step and the TERM-to-KILL grace; default the system clock */
  clock?: Clock;
  /** how long a cancelled process has between TERM and KILL; default 10000 (Diego's) */
  gracefulStopMs?: number;
  /** component logs (not the app's stream); default none */
  logger?: Logger;
}

export const DEFAULT_LOG_SOURCE = 'APP';
export const DEFAULT_GRACEFUL_STOP_MS = 10_000;
/** After KILL, how long a process gets to be reaped before the step gives up on it (Diego's ExitTimeout). */
export const EXIT_TIMEOUT_MS = 1000;

export const OK: StepResult = Object.freeze({ ok: true });

/** The cancelled result: Diego's CancelledError, which composites leave out of their messages. */
export const CANCELLED_TEXT = 'cancelled';
export const CANCELLED: StepResult = Object.freeze({ ok: false, error: CANCELLED_TEXT });

export function fail(error: string, exit?: ExitStatus): StepResult {
  return exit ? { ok: false, error, exit } : { ok: false, error };
}

export function isCancelled(result: StepResult): boolean {
  return !result.ok && result.error === CANCELLED_TEXT;
}

/** The user-visible texts. */
export const Texts = {
  /** the run step's error for a non-zero exit */
  exited: (code: number, oom: boolean) => `Exited with status ${code}${oom ? ' (out of memory)' : ''}`,
  /** the line the run step writes to the process's stdout stream when it ends (Diego writes it for 0 too) */
  exitStatusLine: (code: number, oom: boolean, killedAfterMs?: number) =>
    `Exit status ${code}${killedAfterMs === undefined ? '' : ` (exceeded ${formatDuration(killedAfterMs)} graceful shutdown interval)`}${oom ? ' (out of memory)' : ''}`,
  /** written when the process could not be started */
  failedCreatingProcess: (error: string) => `failed-creating-process: ${error}`,
  timeout: (ms: number) => `exceeded ${formatDuration(ms)} timeout`,
  codependentExited: 'Codependent step exited',
  downloading: (artifact: string) => `Downloading ${artifact}...`,
  downloaded: (artifact: string, size: string) => `Downloaded ${artifact} (${size})`,
  downloadFailed: (artifact: string | undefined) => (artifact ? `Downloading ${artifact} failed` : 'Downloading failed'),
  copyFailed: (artifact: string | undefined) => (artifact ? `Copying ${artifact} into the container failed` : 'Copying into the container failed'),
  checksumMismatch: (algorithm: string, expected: string, actual: string) =>
    `checksum mismatch: ${algorithm} expected ${expected}, got ${actual}`,
  failurePrefix: (prefix: string, error: string) => `${prefix}: ${error}`,
};

/** Where a step runs: its container, its log source, how to run a sub-action. */
export interface Scope {
  readonly container: Container;
  readonly source: string;
  readonly clock: Clock;
  readonly gracefulStopMs: number;
  readonly logger: Logger | undefined;
  /** passes a line to the context's sink, as is */
  readonly onOutput: ((line: OutputLine) => void) | undefined;
  /** writes a progress line under this scope's source */
  emit(text: string, stream?: OutputStream): void;
  /** this scope with another source (an action's `log_source`) */
  withSource(source: string | undefined): Scope;
  /** runs a sub-action in this scope */
  perform(action: Action, signal: AbortSignal): Promise<StepResult>;
}

/**
 * An AbortController that aborts with its parent; `dispose` unhooks it from the parent once
 * the step that owns it is done, so long-lived signals collect no listeners.
 */
export function childController(parent: AbortSignal): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => {} };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Resolves when `signal` aborts (never rejects); `off` drops the listener. */
export function whenAborted(signal: AbortSignal): { promise: Promise<void>; off: () => void } {
  let off = () => {};
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    off = () => signal.removeEventListener('abort', onAbort);
  });
  return { promise, off };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    // fetch's `TypeError: fetch failed` hides the reason (ECONNREFUSED ...) in its cause
    if (error.message === 'fetch failed' && cause instanceof Error) return cause.message;
    return error.message;
  }
  return String(error);
}
