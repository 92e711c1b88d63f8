/**
 * Diego's executor steps over the Garden Container interface: `runAction` performs an action
 * tree in a container and resolves with what happened, as data.
 *
 * | action        | result |
 * |---------------|--------|
 * | run           | ok on exit 0; else `Exited with status N` (+ ` (out of memory)`) |
 * | download      | ok once the payload is in place; else `Downloading <artifact> failed: <why>` |
 * | timeout       | the inner result; `exceeded <d> timeout` when it outlasts `timeout_ms` |
 * | serial        | the first failure, or ok |
 * | parallel      | waits for all; the failures joined with `; `, or ok |
 * | codependent   | the first to end cancels the rest; its error, or `Codependent step exited` |
 * | try           | ok (unless cancelled) |
 * | emit_progress | the inner result, with messages around it |
 *
 * Cancellation: when `signal` aborts, every step stops (a process gets TERM, then KILL after
 * `gracefulStopMs`) and the result is `cancelled` once nothing runs any more. Each action's
 * `log_source` tags its lines and those of the actions inside it.
 */
import { systemClock } from '../../base/clock.js';
import { actionBody, actionKind, type Action } from '../../models/actions.js';
import type { OutputLine, OutputStream } from '../../garden/backend.js';
import { codependentStep, parallelStep, serialStep } from './composite-steps.js';
import { downloadStep } from './download-step.js';
import { runStep } from './run-step.js';
import {
  CANCELLED, DEFAULT_GRACEFUL_STOP_MS, DEFAULT_LOG_SOURCE, fail, messageOf,
  type Scope, type StepContext, type StepResult,
} from './step.js';
import { emitProgressStep, timeoutStep, tryStep } from './wrapper-steps.js';

export { CANCELLED, CANCELLED_TEXT, DEFAULT_GRACEFUL_STOP_MS, DEFAULT_LOG_SOURCE, Texts } from './step.js';
export type { StepContext, StepResult } from './step.js';
export { byteSize } from './byte-size.js';

/**
 * Performs `action` in `ctx.container`. Never rejects: every outcome, a backend's exception
 * included, is a StepResult. Once it resolves, nothing it started is still running.
 */
export async function runAction(action: Action, ctx: StepContext, signal: AbortSignal = new AbortController().signal): Promise<StepResult> {
  return perform(action, rootScope(ctx), signal);
}

function rootScope(ctx: StepContext): Scope {
  return scopeFor(ctx, ctx.logSource ?? DEFAULT_LOG_SOURCE);
}

function scopeFor(ctx: StepContext, source: string): Scope {
  const clock = ctx.clock ?? systemClock;
  const scope: Scope = {
    container: ctx.container,
    source,
    clock,
    gracefulStopMs: ctx.gracefulStopMs ?? DEFAULT_GRACEFUL_STOP_MS,
    logger: ctx.logger,
    onOutput: ctx.onOutput,
    emit(text: string, stream: OutputStream = 'stdout') {
      const line: OutputLine = { stream, source, line: text, at: clock.now() };
      ctx.onOutput?.(line);
    },
    withSource: (next) => (next && next !== source ? scopeFor(ctx, next) : scope),
    perform: (action, signal) => perform(action, scope, signal),
  };
  return scope;
}

async function perform(action: Action, parent: Scope, signal: AbortSignal): Promise<StepResult> {
  if (signal.aborted) return CANCELLED;
  try {
    const kind = actionKind(action);
    const body = actionBody(action, kind);
    const scope = parent.withSource(body.log_source);
    switch (kind) {
      case 'run':
        return await runStep(actionBody(action, 'run'), scope, signal);
      case 'download':
        return await downloadStep(actionBody(action, 'download'), scope, signal);
      case 'timeout': {
        const { action: inner, timeout_ms } = actionBody(action, 'timeout');
        return await timeoutStep(inner, timeout_ms, scope, signal);
      }
      case 'serial':
        return await serialStep(actionBody(action, 'serial').actions, scope, signal);
      case 'parallel':
        return await parallelStep(actionBody(action, 'parallel').actions, scope, signal);
      case 'codependent':
        return await codependentStep(actionBody(action, 'codependent').actions, scope, signal);
      case 'try':
        return await tryStep(actionBody(action, 'try').action, scope, signal);
      case 'emit_progress':
        return await emitProgressStep(actionBody(action, 'emit_progress'), scope, signal);
      default:
        return assertNever(kind);
    }
  } catch (error) {
    // a step's own failures are results; this is a backend or a bug throwing past them
    parent.logger?.error({ error: messageOf(error) }, 'action.threw');
    return signal.aborted ? CANCELLED : fail(messageOf(error));
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown action kind: ${String(value)}`);
}
