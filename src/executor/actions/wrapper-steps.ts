/**
 * Steps around one inner action (executor:depot/steps/{timeout,try,emit_progress}_step.go).
 */
import type { Action, EmitProgressAction } from '../../models/actions.js';
import { CANCELLED, OK, Texts, childController, fail, isCancelled, type Scope, type StepResult } from './step.js';

/**
 * Runs the inner action; when `timeoutMs` passes first, cancels it, waits for it to stop, and
 * fails with `exceeded <d> timeout` (`exceeded 500ms timeout`).
 */
export async function timeoutStep(action: Action, timeoutMs: number, scope: Scope, signal: AbortSignal): Promise<StepResult> {
  if (signal.aborted) return CANCELLED;
  const { controller, dispose } = childController(signal);
  let timedOut = false;
  const timer = scope.clock.setTimeout(() => {
    timedOut = true;
    scope.logger?.error({ timeoutMs }, 'timeout-step.timed-out');
    controller.abort();
  }, timeoutMs);
  try {
    const result = await scope.perform(action, controller.signal);
    if (signal.aborted) return CANCELLED;
    if (!timedOut) return result;
    // Diego adds the inner error when it has one of its own to tell (not `cancelled`)
    return fail(result.ok || isCancelled(result) ? Texts.timeout(timeoutMs) : `${Texts.timeout(timeoutMs)}; ${result.error}`);
  } finally {
    timer.cancel();
    dispose();
  }
}

/** Runs the inner action and succeeds whatever it did; cancelled, it is cancelled all the same. */
export async function tryStep(action: Action, scope: Scope, signal: AbortSignal): Promise<StepResult> {
  const result = await scope.perform(action, signal);
  if (signal.aborted) return CANCELLED;
  if (!result.ok) scope.logger?.info({ error: result.error }, 'try-step.failed');
  return OK;
}

/**
 * Writes `start_message` (stdout) before the inner action, `success_message` (stdout) after it
 * succeeds, `<failure_message_prefix>: <error>` (stderr) after it fails; the inner result is
 * the result. A cancelled inner action has no error to tell: the prefix is written alone, as
 * Diego does.
 */
export async function emitProgressStep(model: EmitProgressAction, scope: Scope, signal: AbortSignal): Promise<StepResult> {
  if (model.start_message) scope.emit(model.start_message, 'stdout');
  const result = await scope.perform(model.action, signal);
  if (result.ok) {
    if (model.success_message) scope.emit(model.success_message, 'stdout');
  } else if (model.failure_message_prefix) {
    scope.emit(isCancelled(result) ? model.failure_message_prefix : Texts.failurePrefix(model.failure_message_prefix, result.error), 'stderr');
  }
  return result;
}
