/**
 * The run step (executor:depot/steps/run_step.go): starts the action's process in the container
 * and waits for it to end. Exit 0 succeeds; any other code fails with `Exited with status N`
 * (plus ` (out of memory)` when the kernel killed it for memory). Either way the step writes
 * `Exit status N` to the process's stdout stream, as Diego does, unless `suppress_log_output`.
 *
 * Cancelled, the process group gets TERM, then KILL after the grace period, and the step
 * resolves `cancelled` once the process has exited (or, should it survive KILL, after one more
 * second: Diego's ExitTimeout).
 */
import type { Timer } from '../../base/clock.js';
import type { RunAction } from '../../models/actions.js';
import type { ExitStatus, Process, ProcessIO, ProcessSpec } from '../../garden/backend.js';
import { CANCELLED, EXIT_TIMEOUT_MS, OK, Texts, fail, messageOf, type Scope, type StepResult } from './step.js';

export async function runStep(model: RunAction, scope: Scope, signal: AbortSignal): Promise<StepResult> {
  if (signal.aborted) return CANCELLED;
  const suppress = model.suppress_log_output === true;
  const io: ProcessIO = { source: scope.source };
  if (!suppress && scope.onOutput) io.onOutput = scope.onOutput;

  let process: Process;
  try {
    process = await scope.container.run(specOf(model), io, signal);
  } catch (error) {
    if (signal.aborted) return CANCELLED;
    const message = messageOf(error);
    scope.logger?.error({ path: model.path, error: message }, 'run-step.failed-creating-process');
    if (!suppress) scope.emit(Texts.failedCreatingProcess(message));
    return fail(message);
  }

  const ended = await untilExit(process, scope, signal);
  if (!ended.status) {
    scope.logger?.error({ process: process.id, error: ended.error }, 'run-step.process-did-not-exit');
    return signal.aborted ? CANCELLED : fail(ended.error);
  }
  const { code, oom } = ended.status;
  if (!suppress) scope.emit(Texts.exitStatusLine(code, oom, ended.killed ? scope.gracefulStopMs : undefined));
  if (signal.aborted) return CANCELLED;
  if (code === 0) return OK;
  return fail(Texts.exited(code, oom), ended.status);
}

function specOf(model: RunAction): ProcessSpec {
  const spec: ProcessSpec = { path: model.path, user: model.user };
  if (model.args) spec.args = model.args;
  if (model.dir) spec.dir = model.dir;
  if (model.env) spec.env = model.env;
  if (model.resource_limits?.nofile !== undefined) spec.limits = { nofile: model.resource_limits.nofile };
  return spec;
}

type Ended = { status: ExitStatus; killed: boolean } | { status?: undefined; error: string };

/** Waits for the process; once `signal` aborts, TERM, then KILL after the grace period. */
function untilExit(process: Process, scope: Scope, signal: AbortSignal): Promise<Ended> {
  return new Promise((resolve) => {
    const waiting = new AbortController();
    let killTimer: Timer | undefined;
    let exitTimer: Timer | undefined;
    let killed = false;
    let settled = false;

    const settle = (ended: Ended) => {
      if (settled) return;
      settled = true;
      killTimer?.cancel();
      exitTimer?.cancel();
      signal.removeEventListener('abort', onAbort);
      waiting.abort();
      resolve(ended);
    };
    const send = (sig: 'TERM' | 'KILL') =>
      process.signal(sig).catch((error: unknown) => {
        scope.logger?.error({ process: process.id, signal: sig, error: messageOf(error) }, 'run-step.signalling-failed');
      });
    const onAbort = () => {
      void send('TERM');
      killTimer = scope.clock.setTimeout(() => {
        killed = true;
        void send('KILL');
        exitTimer = scope.clock.setTimeout(() => settle({ error: 'process did not exit' }), EXIT_TIMEOUT_MS);
      }, scope.gracefulStopMs);
    };

    process.wait(waiting.signal).then(
      (status) => settle({ status, killed }),
      (error: unknown) => settle({ error: messageOf(error) }),
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
