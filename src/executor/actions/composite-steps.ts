/**
 * Steps made of steps (executor:depot/steps/{serial,parallel,codependent}_step.go).
 *
 * When several sub-steps fail, Diego joins their messages with `; ` and leaves out the
 * `cancelled` ones (its CancelledError is not displayable); so do these. A composite whose own
 * signal aborted resolves `cancelled` whatever its sub-steps said.
 */
import type { Action } from '../../models/actions.js';
import { CANCELLED, OK, Texts, childController, fail, isCancelled, type Scope, type StepResult } from './step.js';

/** One after another; the first failure is the result and the rest do not run. */
export async function serialStep(actions: Action[], scope: Scope, signal: AbortSignal): Promise<StepResult> {
  for (const action of actions) {
    if (signal.aborted) return CANCELLED;
    const result = await scope.perform(action, signal);
    if (signal.aborted) return CANCELLED;
    if (!result.ok) return result;
  }
  return OK;
}

/** All at once, waiting for all; fails with the failures' messages in the actions' order. */
export async function parallelStep(actions: Action[], scope: Scope, signal: AbortSignal): Promise<StepResult> {
  const results = await Promise.all(actions.map((action) => scope.perform(action, signal)));
  if (signal.aborted) return CANCELLED;
  return aggregate(results);
}

/**
 * All at once; the first to end, even cleanly, cancels the others. A clean end counts as the
 * failure `Codependent step exited`, so the step fails with the first sub-step's error, or
 * that text when the first ended cleanly (plus any other sub-step's own failure, in the order
 * they ended; the cancelled ones say nothing).
 */
export async function codependentStep(actions: Action[], scope: Scope, signal: AbortSignal): Promise<StepResult> {
  const { controller, dispose } = childController(signal);
  const ended: StepResult[] = [];
  try {
    await Promise.all(
      actions.map(async (action) => {
        const result = await scope.perform(action, controller.signal);
        ended.push(result.ok ? fail(Texts.codependentExited) : result);
        controller.abort();
      }),
    );
  } finally {
    dispose();
  }
  if (signal.aborted) return CANCELLED;
  return aggregate(ended);
}

/** Diego's multierror: the displayable failures joined with `; `, the first one's exit kept. */
function aggregate(results: StepResult[]): StepResult {
  const failures = results.filter((r): r is Extract<StepResult, { ok: false }> => !r.ok);
  if (failures.length === 0) return OK;
  const shown = failures.filter((f) => !isCancelled(f));
  if (shown.length === 0) return CANCELLED;
  const exit = shown.find((f) => f.exit)?.exit;
  return fail(shown.map((f) => f.error).join('; '), exit);
}
