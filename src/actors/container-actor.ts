/**
 * One container on a cell (Diego's executor for one instance or task): a child of the cell
 * actor, kind `container`, named by the handle. It runs the actions and the health monitor as
 * detached promises that post their outcomes back to it as messages, so its handlers stay short;
 * it tells the cell what happened and the cell reports it.
 *
 * LRP:
 * | phase    | event                                   | effect / next                                   |
 * |----------|-----------------------------------------|-------------------------------------------------|
 * | starting | setup fails                             | crash `<source>: <error>`                        |
 * | starting | monitor (or no check: process started) healthy | tell cell `running` (address, ports); healthy |
 * | any live | action ends, no monitor/check           | crash `<source>: Exited with status N` (0 too)  |
 * | any live | action ends non-zero, with monitor/check | crash `<source>: Exited with status N`         |
 * | any live | action ends 0, with monitor/check       | nothing (daemonised, DIEGO.md 1.5)              |
 * | any live | monitor unhealthy                       | crash with the monitor's reason                  |
 * | any live | stop                                    | TERM (KILL after grace), destroy, tell `stopped` |
 * | crash    |                                         | abort everything, destroy, tell `crashed`        |
 *
 * Lost (the cell's reconcile found the container gone from the backend): an LRP crashes with
 * `container was destroyed outside the cell`, a running task fails with that reason.
 *
 * Task: run the action; on success read the first 10 KB of `result_file`; tell the cell
 * `task-finished`. Cancel aborts the action and finishes `task was cancelled` (or the reason the
 * cancel gives: `timed out during cell evacuation`). The container is
 * kept: the cell destroys it on `cell/delete-task`.
 *
 * Stopping the actor itself (the cell shuts down or restarts) ends its health monitor but leaves
 * the processes running, so the next cell adopts them; a crash or a stop request ends them.
 *
 * Adopted containers (found after a cell restart) have no action to run: the oldest process
 * still running stands for the action (started before any health check) and its exit is the
 * action's end; an LRP then goes through the health monitor again, so it is reported running
 * again once healthy.
 */
import { assertNever, type Ref } from './kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from './kernel/system.js';
import type { AnyRef } from './kernel/protocol.js';
import { runAction, type StepContext, type StepResult } from '../garden/actions/index.js';
import type { OutputLine, Process } from '../garden/backend.js';
import { checksFromDefinition } from '../garden/health/check-definition.js';
import { monitorActionCheck } from '../garden/health/monitor-action.js';
import { healthyOnStart, monitorHealth, type HealthMonitor } from '../garden/health/monitor.js';
import { actionCrashReason, LOST_CONTAINER_REASON, lrpLogSource, RESULT_FILE_LIMIT, TaskTexts } from './cell-ledger.js';
import { exitResult, readHead, type LrpRun, type TaskRun } from './cell-specs.js';
import type { ContainerActorOptions, ContainerEvent, ContainerMsg } from './container-actor.protocol.js';

export type { ContainerActorOptions, ContainerEvent, ContainerMsg, ContainerSettings } from './container-actor.protocol.js';

type Internal =
  | { type: 'container/healthy' }
  | { type: 'container/crash'; reason: string }
  | { type: 'container/action-ended'; result: StepResult }
  | { type: 'container/fault'; error: unknown };

/**
 * Spawns the container's actor and starts it. Its policy stops it on any failure after telling
 * the cell (`cell/container-failed`): a container is never restarted blindly.
 */
export function spawnContainer(system: ActorSystem, parent: AnyRef, options: ContainerActorOptions): Ref<ContainerMsg> {
  const { container, backend, job, adopted, cell, settings } = options;
  const handle = container.handle;
  const abort = new AbortController();
  let phase: 'starting' | 'healthy' | 'ending' | 'done' = 'starting';
  let monitor: HealthMonitor | undefined;
  let actionDone: Promise<unknown> = Promise.resolve();
  /** why the task was cancelled, once it was */
  let cancelled: string | undefined;
  let lost = false;
  /** the actor stopped: nothing more is started */
  let detached = false;
  let self!: Ref<ContainerMsg | Internal>;

  const tell = (event: ContainerEvent) => system.dispatch(cell, event);
  const post = (msg: Internal) => system.dispatch(self, msg);
  /** detached work: a throw becomes a fault in the actor, so supervision sees it */
  const detach = (work: () => Promise<unknown>) => void work().catch((error: unknown) => post({ type: 'container/fault', error }));

  const logSource = job.kind === 'lrp' ? lrpLogSource(job.run.log_source, job.run.index) : job.run.log_source || 'TASK';
  const stepContext = (source = logSource): StepContext => ({
    container,
    logSource: source,
    clock: settings.clock,
    gracefulStopMs: settings.gracefulStopMs,
    ...(settings.logger ? { logger: settings.logger } : {}),
    ...(settings.onOutput ? { onOutput: (line: OutputLine) => settings.onOutput!(handle, line) } : {}),
  });

  const destroy = async () => {
    try {
      await backend.destroy(handle);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ResourceNotFound') throw error;
    }
  };

  const onCrash: CrashPolicy = (failure) => {
    abort.abort();
    monitor?.stop();
    const error = failure.error instanceof Error ? failure.error.message : String(failure.error);
    tell({ type: 'cell/container-failed', handle, error });
    return 'stop';
  };

  // ---- LRP ----

  /**
   * Follows the oldest process still running, standing for the action of an adopted container:
   * 'following' while it runs; how the last one ended when none runs; undefined without any.
   */
  const followAdopted = async (): Promise<'following' | StepResult | undefined> => {
    const info = await container.info();
    const all = container.processes();
    const main: Process | undefined = all.find((p) => info.processes.includes(p.id));
    if (!main) {
      const last = all[all.length - 1];
      if (!last) return undefined;
      return exitResult(await last.wait());
    }
    main.attach({ source: logSource, ...(settings.onOutput ? { onOutput: (line: OutputLine) => settings.onOutput!(handle, line) } : {}) });
    actionDone = main.wait(abort.signal).then(
      (status) => post({ type: 'container/action-ended', result: exitResult(status) }),
      () => {},
    );
    return 'following';
  };

  const startLrp = async (run: LrpRun) => {
    if (adopted) {
      const following = await followAdopted();
      if (following === undefined) return post({ type: 'container/crash', reason: actionCrashReason(run.log_source, 'no process found after a cell restart') });
      if (following !== 'following') return post({ type: 'container/crash', reason: actionCrashReason(run.log_source, following.ok ? undefined : following.error) });
      if (phase !== 'starting') return;
    } else {
      if (run.setup) {
        const setup = await runAction(run.setup, stepContext(), abort.signal);
        if (abort.signal.aborted) return;
        if (!setup.ok) return post({ type: 'container/crash', reason: actionCrashReason(run.log_source, setup.error) });
      }
      if (detached) return;
      const action = run.action!;
      actionDone = runAction(action, stepContext(), abort.signal).then((result) => post({ type: 'container/action-ended', result }));
    }
    if (detached) return;
    monitor = await startMonitor(run);
    if (detached) monitor.stop();
  };

  const startMonitor = async (run: LrpRun): Promise<HealthMonitor> => {
    const onHealthy = () => post({ type: 'container/healthy' });
    const common = {
      startTimeoutMs: run.start_timeout_ms,
      unhealthyIntervalMs: settings.unhealthyIntervalMs,
      healthyIntervalMs: settings.healthyIntervalMs,
      clock: settings.clock,
      signal: abort.signal,
      onHealthy,
      onUnhealthy: (reason: string) => post({ type: 'container/crash', reason }),
    };
    if (run.check_definition) {
      const info = await container.info();
      const checks = checksFromDefinition(run.check_definition, { host: info.externalIp, ports: info.ports });
      const source = run.check_definition.log_source || 'HEALTH';
      return monitorHealth({
        ...common,
        check: checks.check,
        liveness: checks.liveness,
        onLog: (line, stream) => settings.onOutput?.(handle, { stream, source, line, at: settings.clock.now() }),
      });
    }
    if (run.monitor) return monitorHealth({ ...common, check: monitorActionCheck(run.monitor, stepContext('HEALTH')) });
    return healthyOnStart({ signal: abort.signal, onHealthy });
  };

  const hasHealthCheck = (run: LrpRun) => Boolean(run.check_definition || run.monitor);

  const crash = async (reason: string) => {
    if (phase === 'ending' || phase === 'done') return;
    phase = 'ending';
    abort.abort();
    monitor?.stop();
    await destroy();
    phase = 'done';
    tell({ type: 'cell/container-crashed', handle, reason });
  };

  const stop = async () => {
    if (phase === 'ending' || phase === 'done') return;
    phase = 'ending';
    monitor?.stop();
    abort.abort();
    await Promise.allSettled([container.stop(false), actionDone]);
    await destroy();
    phase = 'done';
    tell({ type: 'cell/container-stopped', handle });
  };

  // ---- task ----

  const startTask = async (run: TaskRun) => {
    if (adopted) {
      const following = await followAdopted();
      if (following === undefined) return post({ type: 'container/action-ended', result: { ok: false, error: TaskTexts.lostOnRestart } });
      if (following !== 'following') return post({ type: 'container/action-ended', result: following });
      return;
    }
    actionDone = runAction(run.action!, stepContext(), abort.signal).then((result) => post({ type: 'container/action-ended', result }));
  };

  const finishTask = async (run: TaskRun, result: StepResult) => {
    if (phase === 'done') return;
    phase = 'done';
    let outcome = { failed: false, failure_reason: '', result: '' };
    if (lost) outcome = { failed: true, failure_reason: LOST_CONTAINER_REASON, result: '' };
    else if (cancelled !== undefined) outcome = { failed: true, failure_reason: cancelled, result: '' };
    else if (!result.ok) outcome = { failed: true, failure_reason: result.error, result: '' };
    else if (run.result_file) {
      try {
        outcome.result = await readHead(container.hostPath(run.result_file), RESULT_FILE_LIMIT);
      } catch (error) {
        outcome = { failed: true, failure_reason: TaskTexts.resultUnreadable(error instanceof Error ? error.message : String(error)), result: '' };
      }
    }
    tell({ type: 'cell/task-finished', handle, ...outcome });
  };

  self = system.spawnStateless<ContainerMsg | Internal>(parent, {
    kind: 'container',
    name: handle,
    onCrash,
    // Stopped without a crash or a stop request (the cell shuts down or restarts): leave the
    // processes running for the next cell to adopt; only the monitor ends.
    afterStop: () => {
      detached = true;
      monitor?.stop();
    },
    handle: async (msg) => {
      switch (msg.type) {
        case 'container/start':
          if (job.kind === 'lrp') detach(() => startLrp(job.run));
          else detach(() => startTask(job.run));
          return;
        case 'container/healthy': {
          if (phase !== 'starting' || job.kind !== 'lrp') return;
          phase = 'healthy';
          const info = await container.info();
          const ports = info.ports.map((p) => ({ container_port: p.containerPort, host_port: p.hostPort }));
          tell({ type: 'cell/container-running', handle, address: info.externalIp, ports });
          return;
        }
        case 'container/action-ended':
          if (job.kind === 'task') return finishTask(job.run, msg.result);
          if (phase === 'ending' || phase === 'done' || abort.signal.aborted) return;
          if (msg.result.ok && hasHealthCheck(job.run)) return;
          return crash(actionCrashReason(job.run.log_source, msg.result.ok ? undefined : msg.result.error));
        case 'container/crash':
          return crash(msg.reason);
        case 'container/stop':
          return stop();
        case 'container/cancel':
          if (job.kind !== 'task' || phase === 'done') return;
          cancelled = msg.reason ?? TaskTexts.cancelled;
          abort.abort();
          // an adopted task's processes are not under runAction: stop them, then finish
          detach(async () => {
            await Promise.allSettled([container.stop(false), actionDone]);
            post({ type: 'container/action-ended', result: { ok: false, error: cancelled! } });
          });
          return;
        case 'container/lost':
          if (job.kind === 'lrp') return crash(LOST_CONTAINER_REASON);
          if (phase === 'done') return;
          lost = true;
          abort.abort();
          post({ type: 'container/action-ended', result: { ok: false, error: LOST_CONTAINER_REASON } });
          return;
        case 'container/fault':
          throw msg.error;
        default:
          return assertNever(msg);
      }
    },
  });
  system.dispatch(self, { type: 'container/start' });
  return self as Ref<ContainerMsg>;
}
