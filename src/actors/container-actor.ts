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
 *
 * Memory: the actor's state is one `ContainerRun` per container, whose methods live once on the
 * prototype; the spec's only closures of its own are `initialState` and `onCrash`. What the
 * garden is asked (step context, adopted process, health monitor, task outcome) is in
 * container-effects.ts.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, Failure } from '../runtime/kernel/system.js';
import { runAction, type StepResult } from '../executor/actions/index.js';
import type { Action } from '../models/actions.js';
import type { Container, GardenBackend } from '../garden/backend.js';
import type { HealthMonitor } from '../executor/health/monitor.js';
import { actionCrashReason, LOST_CONTAINER_REASON, lrpLogSource, TaskTexts } from './cell-ledger.js';
import { exitResult, type ContainerJob, type LrpRun, type TaskRun } from './cell-specs.js';
import type { ContainerActorOptions, ContainerEvent, ContainerMsg, ContainerSettings } from './container-actor.protocol.js';
import { adoptedMain, destroyContainer, hasHealthCheck, outputSink, startHealthMonitor, stepContext, taskOutcome } from './container-effects.js';

export type { ContainerActorOptions, ContainerEvent, ContainerMsg, ContainerSettings } from './container-actor.protocol.js';

type Internal =
  | { type: 'container/healthy' }
  | { type: 'container/crash'; reason: string }
  | { type: 'container/action-ended'; result: StepResult }
  | { type: 'container/fault'; error: unknown };

type Msg = ContainerMsg | Internal;

/**
 * Spawns the container's actor and starts it. Its policy stops it on any failure after telling
 * the cell (`cell/container-failed`): a container is never restarted blindly.
 */
export function spawnContainer(system: ActorSystem, parent: AnyRef, options: ContainerActorOptions): Ref<ContainerMsg> {
  const run = new ContainerRun(system, options);
  const self = system.spawn<ContainerRun, Msg>(parent, {
    kind: 'container',
    name: run.handle,
    initialState: () => run,
    onCrash: (failure) => run.onCrash(failure),
    afterStop,
    handle,
  });
  run.start(self);
  return self as Ref<ContainerMsg>;
}

/** Every container actor's handler: the state is its run, which stays the same object. */
async function handle(run: ContainerRun, msg: Msg): Promise<ContainerRun> {
  await run.receive(msg);
  return run;
}

function afterStop(run: ContainerRun): void {
  run.afterStop();
}

/** One container's state and what its actor does with each message. */
class ContainerRun {
  readonly handle: string;
  private readonly container: Container;
  private readonly backend: GardenBackend;
  private readonly job: ContainerJob;
  private readonly adopted: boolean;
  private readonly cell: Ref<ContainerEvent>;
  private readonly settings: ContainerSettings;
  private readonly logSource: string;
  private readonly abort = new AbortController();
  private phase: 'starting' | 'healthy' | 'ending' | 'done' = 'starting';
  private monitor: HealthMonitor | undefined;
  /** the action (or the adopted process standing for it) ending; undefined before it runs */
  private actionDone: Promise<unknown> | undefined;
  /** why the task was cancelled, once it was */
  private cancelled: string | undefined;
  private lost = false;
  /** the actor stopped: nothing more is started */
  private detached = false;
  private self!: Ref<Msg>;

  constructor(private readonly system: ActorSystem, options: ContainerActorOptions) {
    const { container, job } = options;
    this.handle = container.handle;
    this.container = container;
    this.backend = options.backend;
    this.job = job;
    this.adopted = options.adopted;
    this.cell = options.cell;
    this.settings = options.settings;
    this.logSource = job.kind === 'lrp' ? lrpLogSource(job.run.log_source, job.run.index) : job.run.log_source || 'TASK';
  }

  /** The actor exists: remember it and start the job. */
  start(self: Ref<Msg>): void {
    this.self = self;
    this.system.dispatch(self, { type: 'container/start' });
  }

  async receive(msg: Msg): Promise<void> {
    const job = this.job;
    switch (msg.type) {
      case 'container/start':
        return this.detach(job.kind === 'lrp' ? this.startLrp(job.run) : this.startTask(job.run));
      case 'container/healthy': {
        if (this.phase !== 'starting' || job.kind !== 'lrp') return;
        this.phase = 'healthy';
        const info = await this.container.info();
        const ports = info.ports.map((p) => ({ container_port: p.containerPort, host_port: p.hostPort }));
        this.tell({ type: 'cell/container-running', handle: this.handle, address: info.externalIp, ports });
        return;
      }
      case 'container/action-ended':
        if (job.kind === 'task') return this.finishTask(job.run, msg.result);
        if (this.phase === 'ending' || this.phase === 'done' || this.abort.signal.aborted) return;
        if (msg.result.ok && hasHealthCheck(job.run)) return;
        return this.crash(actionCrashReason(job.run.log_source, msg.result.ok ? undefined : msg.result.error));
      case 'container/crash':
        return this.crash(msg.reason);
      case 'container/stop':
        return this.stop();
      case 'container/cancel':
        if (job.kind !== 'task' || this.phase === 'done') return;
        this.cancelled = msg.reason ?? TaskTexts.cancelled;
        this.abort.abort();
        return this.detach(this.endCancelled());
      case 'container/lost':
        if (job.kind === 'lrp') return this.crash(LOST_CONTAINER_REASON);
        if (this.phase === 'done') return;
        this.lost = true;
        this.abort.abort();
        this.post({ type: 'container/action-ended', result: { ok: false, error: LOST_CONTAINER_REASON } });
        return;
      case 'container/fault':
        throw msg.error;
      default:
        return assertNever(msg);
    }
  }

  /** The actor's policy: it failed, so end the action and the monitor, tell the cell, stop. */
  onCrash(failure: Failure): 'stop' {
    this.abort.abort();
    this.monitor?.stop();
    const error = failure.error instanceof Error ? failure.error.message : String(failure.error);
    this.tell({ type: 'cell/container-failed', handle: this.handle, error });
    return 'stop';
  }

  /**
   * Stopped without a crash or a stop request (the cell shuts down or restarts): leave the
   * processes running for the next cell to adopt; only the monitor ends.
   */
  afterStop(): void {
    this.detached = true;
    this.monitor?.stop();
  }

  private tell(event: ContainerEvent): void {
    this.system.dispatch(this.cell, event);
  }

  private post(msg: Internal): void {
    this.system.dispatch(this.self, msg);
  }

  /** detached work: a throw becomes a fault in the actor, so supervision sees it */
  private detach(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.post({ type: 'container/fault', error }));
  }

  /** Runs `action` as the container's action; its result comes back as `container/action-ended`. */
  private runMain(action: Action): void {
    this.actionDone = runAction(action, stepContext(this.container, this.settings, this.logSource), this.abort.signal).then((result) =>
      this.post({ type: 'container/action-ended', result }),
    );
  }

  /**
   * Follows the process standing for an adopted container's action (its exit is the action's
   * end): 'following' while it runs; how the last one ended when none runs; undefined without any.
   */
  private async followAdopted(): Promise<'following' | StepResult | undefined> {
    const found = await adoptedMain(this.container);
    if (!found || 'ended' in found) return found?.ended;
    const onOutput = outputSink(this.settings, this.handle);
    found.main.attach({ source: this.logSource, ...(onOutput ? { onOutput } : {}) });
    this.actionDone = found.main.wait(this.abort.signal).then(
      (status) => this.post({ type: 'container/action-ended', result: exitResult(status) }),
      () => {},
    );
    return 'following';
  }

  // ---- LRP ----

  private async startLrp(run: LrpRun): Promise<void> {
    if (this.adopted) {
      const following = await this.followAdopted();
      if (following === undefined) return this.post({ type: 'container/crash', reason: actionCrashReason(run.log_source, 'no process found after a cell restart') });
      if (following !== 'following') return this.post({ type: 'container/crash', reason: actionCrashReason(run.log_source, following.ok ? undefined : following.error) });
      if (this.phase !== 'starting') return;
    } else {
      if (run.setup) {
        const setup = await runAction(run.setup, stepContext(this.container, this.settings, this.logSource), this.abort.signal);
        if (this.abort.signal.aborted) return;
        if (!setup.ok) return this.post({ type: 'container/crash', reason: actionCrashReason(run.log_source, setup.error) });
      }
      if (this.detached) return;
      this.runMain(run.action!);
    }
    if (this.detached) return;
    const monitor = await startHealthMonitor(this.container, run, this.settings, {
      signal: this.abort.signal,
      onHealthy: () => this.post({ type: 'container/healthy' }),
      onUnhealthy: (reason) => this.post({ type: 'container/crash', reason }),
    });
    this.monitor = monitor;
    if (this.detached) monitor.stop();
  }

  private async crash(reason: string): Promise<void> {
    if (this.phase === 'ending' || this.phase === 'done') return;
    this.phase = 'ending';
    this.abort.abort();
    this.monitor?.stop();
    await destroyContainer(this.backend, this.handle);
    this.phase = 'done';
    this.tell({ type: 'cell/container-crashed', handle: this.handle, reason });
  }

  private async stop(): Promise<void> {
    if (this.phase === 'ending' || this.phase === 'done') return;
    this.phase = 'ending';
    this.monitor?.stop();
    this.abort.abort();
    await Promise.allSettled([this.container.stop(false), this.actionDone]);
    await destroyContainer(this.backend, this.handle);
    this.phase = 'done';
    this.tell({ type: 'cell/container-stopped', handle: this.handle });
  }

  // ---- task ----

  private async startTask(run: TaskRun): Promise<void> {
    if (!this.adopted) return this.runMain(run.action!);
    const following = await this.followAdopted();
    if (following === undefined) return this.post({ type: 'container/action-ended', result: { ok: false, error: TaskTexts.lostOnRestart } });
    if (following !== 'following') return this.post({ type: 'container/action-ended', result: following });
  }

  /** A cancelled task ends once its processes have (an adopted task's are not under runAction). */
  private async endCancelled(): Promise<void> {
    await Promise.allSettled([this.container.stop(false), this.actionDone]);
    this.post({ type: 'container/action-ended', result: { ok: false, error: this.cancelled! } });
  }

  private async finishTask(run: TaskRun, result: StepResult): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'done';
    const outcome = await taskOutcome(this.container, run, result, this.lost, this.cancelled);
    this.tell({ type: 'cell/task-finished', handle: this.handle, ...outcome });
  }
}
