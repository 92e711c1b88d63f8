/**
 * The cell (Diego's rep and executor) as an actor, kind `cell`, named `cell-<id>`: it answers the
 * control side's CellMsg (cell.protocol.ts), keeps a ledger of the containers it holds
 * (cell-ledger.ts), runs each container in a child actor (container-actor.ts) and sends
 * CellReports to the `reports` ref it was spawned with.
 *
 * | message / event         | effect                                                                     |
 * |-------------------------|----------------------------------------------------------------------------|
 * | start (`cell/init`)     | read capacity; adopt the backend's containers; report heartbeat, containers |
 * | `cell/state`            | CellState: capacity minus the ledger; CLAIMED LRPs count as starting        |
 * | `cell/perform`          | reserve each item (or fail it: `insufficient resources: memory`), create the containers together; a failed create fails the item; created: report `lrp-claimed` / `task-started` and spawn its container actor; answer the failures |
 * | `cell/stop-instance`    | the container actor stops (TERM, KILL after grace) and destroys; report `lrp-stopped` (at once for an unknown instance) |
 * | `cell/cancel-task`      | the container actor aborts the action; report `task-completed` failed `task was cancelled` (at once for an unknown task; nothing for a completed one) |
 * | `cell/delete-task`      | destroy the task's container, free its reservation                          |
 * | container running       | slot RUNNING; report `lrp-running` (address, ports)                         |
 * | container crashed       | container already destroyed; free the slot; report `lrp-crashed` (`lrp-stopped` when a stop was asked) |
 * | task finished           | slot COMPLETED (it keeps its reservation until `cell/delete-task`); report `task-completed` |
 * | container actor failed  | destroy its container, free the slot, report a crash (`container actor failed: <error>`) or a failed task |
 * | heartbeat tick          | report `heartbeat` with the presence, every `heartbeatMs`                   |
 * | reconcile tick          | containers gone from the backend: LRPs crash, running tasks fail (`container was destroyed outside the cell`), completed tasks are forgotten; then report `containers` from the ledger, every `reconcileMs` |
 *
 * Timers come from the clock (the system's unless given) and are cancelled when the actor stops
 * or restarts. Perform awaits the creates, so the cell answers nothing else meanwhile (a caller's
 * perform timeout must cover container creation). Reservation is the pure `reserveWork`.
 * Stopping or restarting the cell actor leaves the containers running: the next start adopts
 * them (adopted LRPs start CLAIMED and are reported `lrp-running` again once their check passes;
 * adopted tasks are reported `task-completed` again when their processes have ended).
 */
import type { Timer } from './kernel/clock.js';
import { assertNever, type AnyRef, type Ref } from './kernel/protocol.js';
import type { ActorContext, ActorSystem, CrashPolicy } from './kernel/system.js';
import type { Capacity, Container, ContainerSpec, GardenBackend, OutputLine } from '../garden/backend.js';
import type { CellCapacity, CellPresence } from '../models/cell-state.js';
import type { CellMsg, CellReport, Work, WorkResult } from './cell.protocol.js';
import { cellStateFromLedger, containersOf, reserveWork, TaskTexts, type LrpSlot, type Slot } from './cell-ledger.js';
import { adoptedSlot, lrpRun, lrpSpec, taskRun, taskSpec, type ContainerJob } from './cell-specs.js';
import { spawnContainer, type ContainerEvent, type ContainerMsg } from './container-actor.js';
import { CELL_PROTOCOL } from './cell.protocol-schema.js';

export interface CellSettings {
  /** TERM to KILL for a stopped instance or a cancelled task */
  gracefulStopMs: number;
  /** between startup checks */
  unhealthyIntervalMs: number;
  /** between liveness checks */
  healthyIntervalMs: number;
  heartbeatMs: number;
  reconcileMs: number;
}

export interface CellOptions {
  cellId: string;
  zone: string;
  placementTags: string[];
  optionalPlacementTags: string[];
  backend: GardenBackend;
  reports: Ref<CellReport>;
  settings: CellSettings;
  /** default the actor system's */
  clock?: ActorSystem['clock'];
  /** the presence's `rep_address`; default the actor's path */
  repAddress?: string;
  repUrl?: string;
  /** every line the containers' processes and health checks write */
  onOutput?: (handle: string, line: OutputLine) => void;
  /** the cell's own policy; default the kernel's (oneForOne) */
  onCrash?: CrashPolicy;
}

type Internal =
  | { type: 'cell/init' }
  | { type: 'cell/heartbeat-tick' }
  | { type: 'cell/reconcile-tick' }
  | ContainerEvent;

interface CellActorState {
  ready: boolean;
  capacity: CellCapacity;
  ledger: Map<string, Slot>;
  children: Map<string, Ref<ContainerMsg>>;
  /** instances a stop was asked for: their end is reported `lrp-stopped` */
  stopping: Set<string>;
}

type Ctx = ActorContext<CellMsg | Internal>;

export function spawnCell(system: ActorSystem, parent: AnyRef, options: CellOptions): Ref<CellMsg> {
  const { cellId, backend, reports, settings } = options;
  const clock = options.clock ?? system.clock;
  const timers = new Set<Timer>();
  const report = (r: CellReport) => system.dispatch(reports, r);
  const cancelTimers = () => {
    for (const timer of timers) timer.cancel();
    timers.clear();
  };
  const every = (self: Ref<CellMsg | Internal>, ms: number, msg: Internal) => {
    const timer = clock.setTimeout(() => {
      timers.delete(timer);
      system.dispatch(self, msg);
    }, ms);
    timers.add(timer);
  };

  const presence = (state: CellActorState, ctx: Ctx): CellPresence => ({
    cell_id: cellId,
    rep_address: options.repAddress ?? ctx.path,
    rep_url: options.repUrl ?? '',
    zone: options.zone,
    capacity: { ...state.capacity },
    rootfs_providers: backend.rootfses(),
    placement_tags: [...options.placementTags],
    optional_placement_tags: [...options.optionalPlacementTags],
  });

  const startChild = (state: CellActorState, ctx: Ctx, container: Container, job: ContainerJob, adopted: boolean) => {
    const child = spawnContainer(system, ctx.self, {
      container,
      backend,
      job,
      adopted,
      cell: ctx.self as Ref<ContainerEvent>,
      settings: {
        gracefulStopMs: settings.gracefulStopMs,
        unhealthyIntervalMs: settings.unhealthyIntervalMs,
        healthyIntervalMs: settings.healthyIntervalMs,
        clock,
        logger: ctx.log,
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
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

  const destroyQuietly = async (ctx: Ctx, handle: string) => {
    try {
      await backend.destroy(handle);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ResourceNotFound') ctx.log.warn({ handle, error: String(error) }, 'cell.destroy-failed');
    }
  };

  /** Capacity, adoption of what the backend holds, first reports, timers. Runs once per (re)start. */
  const ensureReady = async (state: CellActorState, ctx: Ctx): Promise<void> => {
    if (state.ready) return;
    state.ready = true;
    state.capacity = capacityOf(await backend.capacity());
    for (const container of await backend.containers()) await adopt(state, ctx, container);
    report({ type: 'cell-report/heartbeat', presence: presence(state, ctx) });
    report({ type: 'cell-report/containers', cell_id: cellId, containers: containersOf(state.ledger) });
    every(ctx.self, settings.heartbeatMs, { type: 'cell/heartbeat-tick' });
    every(ctx.self, settings.reconcileMs, { type: 'cell/reconcile-tick' });
  };

  const adopt = async (state: CellActorState, ctx: Ctx, container: Container) => {
    const adopted = adoptedSlot(container.handle, await container.info());
    if (!adopted) return ctx.log.info({ handle: container.handle }, 'cell.foreign-container-ignored');
    state.ledger.set(container.handle, adopted.slot);
    startChild(state, ctx, container, adopted.job, true);
  };

  /** Reserves, creates the containers together, reports what started; answers what failed. */
  const perform = async (state: CellActorState, ctx: Ctx, work: Work): Promise<WorkResult> => {
    const { ledger, lrps, tasks, failed } = reserveWork(state.capacity, state.ledger, work);
    state.ledger = ledger;
    const [lrpOutcomes, taskOutcomes] = await Promise.all([
      Promise.all(lrps.map((item) => create(lrpSpec(item)))),
      Promise.all(tasks.map((item) => create(taskSpec(item)))),
    ]);
    lrps.forEach((item, i) => {
      const outcome = lrpOutcomes[i]!;
      const { desired, index, instance_guid } = item;
      if ('error' in outcome) {
        state.ledger.delete(instance_guid);
        failed.failedLrps.push({ process_guid: desired.process_guid, index, instance_guid, reason: outcome.error });
        return;
      }
      report({ type: 'cell-report/lrp-claimed', cell_id: cellId, process_guid: desired.process_guid, index, instance_guid });
      startChild(state, ctx, outcome.container, { kind: 'lrp', run: lrpRun(item) }, false);
    });
    tasks.forEach((item, i) => {
      const outcome = taskOutcomes[i]!;
      const { task_guid } = item.task;
      if ('error' in outcome) {
        state.ledger.delete(task_guid);
        failed.failedTasks.push({ task_guid, reason: outcome.error });
        return;
      }
      report({ type: 'cell-report/task-started', cell_id: cellId, task_guid });
      startChild(state, ctx, outcome.container, { kind: 'task', run: taskRun(item) }, false);
    });
    return failed;
  };

  const create = async (spec: ContainerSpec): Promise<{ container: Container } | { error: string }> => {
    try {
      return { container: await backend.create(spec) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };

  const onContainerEvent = async (state: CellActorState, ctx: Ctx, event: ContainerEvent) => {
    const slot = state.ledger.get(event.handle);
    if (!slot) return;
    switch (event.type) {
      case 'cell/container-running':
        if (slot.kind !== 'lrp' || state.stopping.has(slot.handle)) return;
        slot.state = 'RUNNING';
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
  const findLost = async (state: CellActorState, ctx: Ctx) => {
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

  const handle = async (state: CellActorState, msg: CellMsg | Internal, ctx: Ctx): Promise<CellActorState> => {
    await ensureReady(state, ctx);
    switch (msg.type) {
      case 'cell/init':
        return state;
      case 'cell/state':
        system.dispatch(msg.replyTo, cellStateFromLedger(presence(state, ctx), state.ledger));
        return state;
      case 'cell/perform':
        system.dispatch(msg.replyTo, await perform(state, ctx, msg.work));
        return state;
      case 'cell/stop-instance': {
        const slot = state.ledger.get(msg.instance_guid);
        const child = state.children.get(msg.instance_guid);
        if (!slot || slot.kind !== 'lrp' || !child) {
          report({ type: 'cell-report/lrp-stopped', cell_id: cellId, process_guid: msg.process_guid, index: msg.index, instance_guid: msg.instance_guid });
          return state;
        }
        state.stopping.add(slot.handle);
        system.dispatch(child, { type: 'container/stop' });
        return state;
      }
      case 'cell/cancel-task': {
        const slot = state.ledger.get(msg.task_guid);
        const child = state.children.get(msg.task_guid);
        if (!slot || slot.kind !== 'task' || !child) {
          report({ type: 'cell-report/task-completed', cell_id: cellId, task_guid: msg.task_guid, failed: true, failure_reason: TaskTexts.cancelled, result: '' });
          return state;
        }
        if (slot.state !== 'COMPLETED') system.dispatch(child, { type: 'container/cancel' });
        return state;
      }
      case 'cell/delete-task': {
        const slot = state.ledger.get(msg.task_guid);
        if (!slot || slot.kind !== 'task') return state;
        forget(state, slot.handle);
        await destroyQuietly(ctx, slot.handle);
        return state;
      }
      case 'cell/heartbeat-tick':
        report({ type: 'cell-report/heartbeat', presence: presence(state, ctx) });
        every(ctx.self, settings.heartbeatMs, { type: 'cell/heartbeat-tick' });
        return state;
      case 'cell/reconcile-tick':
        await findLost(state, ctx);
        report({ type: 'cell-report/containers', cell_id: cellId, containers: containersOf(state.ledger) });
        every(ctx.self, settings.reconcileMs, { type: 'cell/reconcile-tick' });
        return state;
      case 'cell/container-running':
      case 'cell/container-crashed':
      case 'cell/container-stopped':
      case 'cell/task-finished':
      case 'cell/container-failed':
        await onContainerEvent(state, ctx, msg);
        return state;
      default:
        return assertNever(msg);
    }
  };

  const ref = system.spawn<CellActorState, CellMsg | Internal>(parent, {
    kind: 'cell',
    protocol: CELL_PROTOCOL,
    name: `cell-${cellId}`,
    ...(options.onCrash ? { onCrash: options.onCrash } : {}),
    initialState: (ctx) => {
      cancelTimers();
      setImmediate(() => system.dispatch(ctx.self, { type: 'cell/init' }));
      return { ready: false, capacity: { memory_mb: 0, disk_mb: 0, containers: 0 }, ledger: new Map(), children: new Map(), stopping: new Set() };
    },
    handle,
    summary: (state) => ({ ready: state.ready, containers: containersOf(state.ledger) }),
    afterStop: cancelTimers,
  });
  return ref as Ref<CellMsg>;
}

function capacityOf(capacity: Capacity): CellCapacity {
  return { memory_mb: capacity.memoryMb, disk_mb: capacity.diskMb, containers: capacity.containers };
}

function instanceKey(cell_id: string, slot: LrpSlot) {
  return { cell_id, process_guid: slot.process_guid, index: slot.index, instance_guid: slot.instance_guid };
}
