/**
 * What the container actor (container-actor.ts) asks of the garden, as plain functions of their
 * inputs: the step context its actions run with, the process standing for an adopted container's
 * action, the health monitor an LRP gets, destroying the container, and how a finished task
 * reads. The actor keeps the phase and decides; these perform and report.
 *
 * Plain functions of their arguments, not closures of the actor: they cost a container nothing
 * until called, and what a call allocates lives as long as the work it starts.
 */
import type { StepContext, StepResult } from '../executor/actions/index.js';
import type { Container, GardenBackend, OutputLine, Process } from '../garden/backend.js';
import { checksFromDefinition } from '../executor/health/check-definition.js';
import { monitorActionCheck } from '../executor/health/monitor-action.js';
import { healthyOnStart, monitorHealth, type HealthMonitor } from '../executor/health/monitor.js';
import { LOST_CONTAINER_REASON, RESULT_FILE_LIMIT, TaskTexts } from './cell-ledger.js';
import { exitResult, readHead, type LrpRun, type TaskRun } from './cell-specs.js';
import type { ContainerSettings } from './container-actor.protocol.js';

/** What a container tells the cell of a finished task (`cell/task-finished` without the handle). */
export interface TaskOutcome {
  failed: boolean;
  failure_reason: string;
  result: string;
}

/** What the health monitor reports back to the actor. */
export interface MonitorHooks {
  /** the container's abort signal: aborting it ends the monitor */
  signal: AbortSignal;
  onHealthy(): void;
  onUnhealthy(reason: string): void;
}

/** With a monitor action or a check definition an LRP's action may exit 0 (it daemonised). */
export function hasHealthCheck(run: LrpRun): boolean {
  return Boolean(run.check_definition || run.monitor);
}

/** The container's lines, tagged with its handle, to `settings.onOutput`; undefined without one. */
export function outputSink(settings: ContainerSettings, handle: string): ((line: OutputLine) => void) | undefined {
  const { onOutput } = settings;
  return onOutput && ((line: OutputLine) => onOutput(handle, line));
}

/** The context the container's actions run with; `source` tags lines of actions without their own. */
export function stepContext(container: Container, settings: ContainerSettings, source: string): StepContext {
  const onOutput = outputSink(settings, container.handle);
  return {
    container,
    logSource: source,
    clock: settings.clock,
    gracefulStopMs: settings.gracefulStopMs,
    ...(settings.logger ? { logger: settings.logger } : {}),
    ...(onOutput ? { onOutput } : {}),
  };
}

/** Destroys the container; one already gone is fine. */
export async function destroyContainer(backend: GardenBackend, handle: string): Promise<void> {
  try {
    await backend.destroy(handle);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ResourceNotFound') throw error;
  }
}

/**
 * The process standing for an adopted container's action: the oldest one still running; when
 * none runs, how the last one ended; undefined when the container has no process at all.
 */
export async function adoptedMain(container: Container): Promise<{ main: Process } | { ended: StepResult } | undefined> {
  const info = await container.info();
  const all = container.processes();
  const main = all.find((p) => info.processes.includes(p.id));
  if (main) return { main };
  const last = all[all.length - 1];
  if (!last) return undefined;
  return { ended: exitResult(await last.wait()) };
}

/**
 * Starts an LRP's health monitor: its check definition, else its monitor action, else healthy as
 * soon as the process runs. Check lines go to `settings.onOutput` (source `HEALTH` unless the
 * definition names one).
 */
export async function startHealthMonitor(container: Container, run: LrpRun, settings: ContainerSettings, hooks: MonitorHooks): Promise<HealthMonitor> {
  const { signal, onHealthy, onUnhealthy } = hooks;
  if (!hasHealthCheck(run)) return healthyOnStart({ signal, onHealthy });
  const common = {
    startTimeoutMs: run.start_timeout_ms,
    unhealthyIntervalMs: settings.unhealthyIntervalMs,
    healthyIntervalMs: settings.healthyIntervalMs,
    clock: settings.clock,
    signal,
    onHealthy,
    onUnhealthy,
  };
  if (!run.check_definition) return monitorHealth({ ...common, check: monitorActionCheck(run.monitor!, stepContext(container, settings, 'HEALTH')) });
  const info = await container.info();
  const checks = checksFromDefinition(run.check_definition, { host: info.externalIp, ports: info.ports });
  const source = run.check_definition.log_source || 'HEALTH';
  const handle = container.handle;
  return monitorHealth({
    ...common,
    check: checks.check,
    liveness: checks.liveness,
    onLog: (line, stream) => settings.onOutput?.(handle, { stream, source, line, at: settings.clock.now() }),
  });
}

/**
 * How a finished task reads, first match wins: lost (`container was destroyed outside the cell`),
 * cancelled (the cancel's reason), the action's error, else success with the first 10 KB of
 * `result_file` (failed `failed to read result_file: <why>` when it cannot be read).
 */
export async function taskOutcome(container: Container, run: TaskRun, result: StepResult, lost: boolean, cancelled: string | undefined): Promise<TaskOutcome> {
  if (lost) return { failed: true, failure_reason: LOST_CONTAINER_REASON, result: '' };
  if (cancelled !== undefined) return { failed: true, failure_reason: cancelled, result: '' };
  if (!result.ok) return { failed: true, failure_reason: result.error, result: '' };
  if (!run.result_file) return { failed: false, failure_reason: '', result: '' };
  try {
    return { failed: false, failure_reason: '', result: await readHead(container.hostPath(run.result_file), RESULT_FILE_LIMIT) };
  } catch (error) {
    return { failed: true, failure_reason: TaskTexts.resultUnreadable(error instanceof Error ? error.message : String(error)), result: '' };
  }
}
