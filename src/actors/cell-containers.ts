/**
 * The cell actor's containers (split from cell.ts, which keeps its protocol): one child actor per
 * container (container-actor.ts), the ledger slot it fills, and what each of its events means
 * for the control side.
 *
 * | container event     | effect                                                                          |
 * |---------------------|---------------------------------------------------------------------------------|
 * | running             | slot RUNNING; report `lrp-running` (address, ports); nothing when a stop was asked |
 * | crashed / stopped   | container already destroyed; free the slot; report `lrp-crashed` (`lrp-stopped` when a stop was asked) |
 * | task finished       | slot COMPLETED (it keeps its reservation until `cell/delete-task`); report `task-completed` |
 * | actor failed        | destroy its container, free the slot, report a crash (`container actor failed: <error>`) or a failed task |
 * | lost (reconcile)    | the backend no longer lists it: an LRP crashes, a running task fails, a completed task is forgotten |
 */
import { assertNever, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Container, GardenBackend, OutputLine } from '../garden/backend.js';
import type { CellCapacity } from '../models/cell-state.js';
import type { CellReport } from './cell.protocol.js';
import type { LrpSlot, Slot, TaskSlot } from './cell-ledger.js';
import type { ContainerJob } from './cell-specs.js';
import type { OutputOwner } from './log-buffer.js';
import { spawnContainer, type ContainerEvent, type ContainerMsg } from './container-actor.js';

export interface CellActorState {
  ready: boolean;
  capacity: CellCapacity;
  ledger: Map<string, Slot>;
  children: Map<string, Ref<ContainerMsg>>;
  /** instances a stop was asked for: their end is reported `lrp-stopped` */
  stopping: Set<string>;
}

/** What the container bookkeeping needs of the cell actor's context. */
export interface KeeperContext {
  readonly self: Ref<ContainerEvent>;
  readonly log: Logger;
}

export interface ContainerKeeperOptions {
  system: ActorSystem;
  cellId: string;
  backend: GardenBackend;
  clock: Clock;
  settings: { gracefulStopMs: number; unhealthyIntervalMs: number; healthyIntervalMs: number };
  report: (r: CellReport) => void;
  /** every line of every container, with whose it is (see log-buffer.ts) */
  onOutput?: (handle: string, line: OutputLine, owner?: OutputOwner) => void;
}

/** The output callback for one container, telling whose lines they are when the ledger knows. */
function outputTo(onOutput: NonNullable<ContainerKeeperOptions['onOutput']>, slot: Slot | undefined) {
  const owner: OutputOwner | undefined =
    slot?.kind === 'lrp' ? { kind: 'lrp', process_guid: slot.process_guid, index: slot.index, instance_guid: slot.instance_guid }
    : slot?.kind === 'task' ? { kind: 'task', task_guid: slot.task_guid }
    : undefined;
  return (handle: string, line: OutputLine) => onOutput(handle, line, owner);
}

export function containerKeeper(options: ContainerKeeperOptions) {
  const { system, cellId, backend, clock, settings, report } = options;

  const startChild = (state: CellActorState, ctx: KeeperContext, container: Container, job: ContainerJob, adopted: boolean) => {
    const child = spawnContainer(system, ctx.self, {
      container,
      backend,
      job,
      adopted,
      cell: ctx.self,
      settings: {
        gracefulStopMs: settings.gracefulStopMs,
        unhealthyIntervalMs: settings.unhealthyIntervalMs,
        healthyIntervalMs: settings.healthyIntervalMs,
        clock,
        logger: ctx.log,
        ...(options.onOutput ? { onOutput: outputTo(options.onOutput, state.ledger.get(container.handle)) } : {}),
      },
    });
    state.children.set(container.handle, child);
  };

  const forget = (state: CellActorState, handle: string) => {
    state.ledger.delete(handle);
    state.stopping.delete(handle);
    const child = state.children.get(handle);
    state.children.delete(handle);
    if (child) system.stop(child);
  };

  const destroyQuietly = async (ctx: KeeperContext, handle: string) => {
    try {
      await backend.destroy(handle);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ResourceNotFound') ctx.log.warn({ handle, error: String(error) }, 'cell.destroy-failed');
    }
  };

  /** TERM, KILL after the grace period, destroy; the end is reported `lrp-stopped`. False when the cell has no actor for it. */
  const stopLrp = (state: CellActorState, slot: LrpSlot): boolean => {
    const child = state.children.get(slot.handle);
    if (!child) return false;
    state.stopping.add(slot.handle);
    system.dispatch(child, { type: 'container/stop' });
    return true;
  };

  /** Aborts a running task; it finishes failed with `reason` (default `task was cancelled`). */
  const cancelTask = (state: CellActorState, slot: TaskSlot, reason?: string): boolean => {
    const child = state.children.get(slot.handle);
    if (!child) return false;
    if (slot.state !== 'COMPLETED') system.dispatch(child, reason === undefined ? { type: 'container/cancel' } : { type: 'container/cancel', reason });
    return true;
  };

  const onContainerEvent = async (state: CellActorState, ctx: KeeperContext, event: ContainerEvent) => {
    const slot = state.ledger.get(event.handle);
    if (!slot) return;
    switch (event.type) {
      case 'cell/container-running':
        if (slot.kind !== 'lrp' || state.stopping.has(slot.handle)) return;
        slot.state = 'RUNNING';
        slot.net = { address: event.address, ports: event.ports };
        report({ type: 'cell-report/lrp-running', ...instanceKey(cellId, slot), address: event.address, ports: event.ports });
        return;
      case 'cell/container-crashed':
      case 'cell/container-stopped': {
        if (slot.kind !== 'lrp') return;
        const stopped = event.type === 'cell/container-stopped' || state.stopping.has(slot.handle);
        forget(state, slot.handle);
        if (stopped) report({ type: 'cell-report/lrp-stopped', ...instanceKey(cellId, slot) });
        else report({ type: 'cell-report/lrp-crashed', ...instanceKey(cellId, slot), reason: (event as { reason: string }).reason });
        return;
      }
      case 'cell/task-finished':
        if (slot.kind !== 'task' || slot.state === 'COMPLETED') return;
        slot.state = 'COMPLETED';
        report({ type: 'cell-report/task-completed', cell_id: cellId, task_guid: slot.task_guid, failed: event.failed, failure_reason: event.failure_reason, result: event.result });
        return;
      case 'cell/container-failed': {
        const reason = `container actor failed: ${event.error}`;
        const stopped = state.stopping.has(slot.handle);
        forget(state, slot.handle);
        await destroyQuietly(ctx, slot.handle);
        if (slot.kind === 'lrp') {
          if (stopped) report({ type: 'cell-report/lrp-stopped', ...instanceKey(cellId, slot) });
          else report({ type: 'cell-report/lrp-crashed', ...instanceKey(cellId, slot), reason });
        } else if (slot.state !== 'COMPLETED') {
          report({ type: 'cell-report/task-completed', cell_id: cellId, task_guid: slot.task_guid, failed: true, failure_reason: reason, result: '' });
        }
        return;
      }
      default:
        return assertNever(event);
    }
  };

  /** Slots whose container the backend no longer has: their actors crash or fail them. */
  const findLost = async (state: CellActorState, ctx: KeeperContext) => {
    let handles: Set<string>;
    try {
      handles = new Set((await backend.containers()).map((c) => c.handle));
    } catch (error) {
      ctx.log.warn({ error: String(error) }, 'cell.list-containers-failed');
      return;
    }
    for (const slot of [...state.ledger.values()]) {
      if (handles.has(slot.handle) || state.stopping.has(slot.handle)) continue;
      if (slot.kind === 'task' && slot.state === 'COMPLETED') {
        forget(state, slot.handle);
        continue;
      }
      const child = state.children.get(slot.handle);
      if (child) system.dispatch(child, { type: 'container/lost' });
    }
  };

  return { startChild, forget, destroyQuietly, stopLrp, cancelTask, onContainerEvent, findLost };
}

/** The report fields that name one instance on this cell. */
export function instanceKey(cell_id: string, slot: LrpSlot) {
  return { cell_id, process_guid: slot.process_guid, index: slot.index, instance_guid: slot.instance_guid };
}
