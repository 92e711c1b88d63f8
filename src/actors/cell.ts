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
 * | any of the four above with a `term` below the highest seen | refused (docs/054 fencing): perform fails every item, the rest change nothing |
 * | `cell/evacuate`         | drain (cell-drain.ts): no more work, instances reported `lrp-evacuating`, stopped by the control side or at `evacuationTimeoutMs`; `cell.drained` |
 * | container events        | cell-containers.ts: `lrp-running`, `lrp-crashed`, `lrp-stopped`, `task-completed` |
 * | heartbeat tick          | report `heartbeat` with the presence, every `heartbeatMs`                   |
 * | reconcile tick, `cell/reconcile` | containers gone from the backend: LRPs crash, running tasks fail (`container was destroyed outside the cell`), completed tasks are forgotten; then report `containers` from the ledger, every `reconcileMs` (and, draining, `lrp-evacuating` again) |
 *
 * Timers come from the clock (the system's unless given) and are cancelled when the actor stops
 * or restarts. Perform awaits the creates, so the cell answers nothing else meanwhile (a caller's
 * perform timeout must cover container creation). Reservation is the pure `reserveWork`.
 * Stopping or restarting the cell actor leaves the containers running: the next start adopts
 * them (adopted LRPs start CLAIMED and are reported `lrp-running` again once their check passes;
 * adopted tasks are reported `task-completed` again when their processes have ended).
 */
import type { OutputOwner } from './log-buffer.js';
import type { Timer } from '../base/clock.js';
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorContext, ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { Capacity, Container, ContainerSpec, GardenBackend, OutputLine } from '../garden/backend.js';
import type { CellCapacity, CellPresence } from '../models/cell-state.js';
import type { CellMsg, CellReport, Work, WorkResult } from './cell.protocol.js';
import { cellStateFromLedger, containersOf, reserveWork, TaskTexts } from './cell-ledger.js';
import { adoptedSlot, lrpRun, lrpSpec, taskRun, taskSpec } from './cell-specs.js';
import { containerKeeper, type CellActorState } from './cell-containers.js';
import { CellDrain, rejectAll, type DrainHost } from './cell-drain.js';
import type { ContainerEvent } from './container-actor.js';
import { CELL_PROTOCOL } from './cell.protocol-schema.js';

export interface CellSettings {
  /** TERM to KILL for a stopped instance or a cancelled task */
  gracefulStopMs: number;
  /** between startup checks */
  unhealthyIntervalMs: number;
  /** between liveness checks */
  healthyIntervalMs: number;
  heartbeatMs: number;
  /** between `containers` reports (default {@link reconcileMsFor} the heartbeat) */
  reconcileMs: number;
  /** a draining cell stops waiting for the control side to stop its instances after this */
  evacuationTimeoutMs: number;
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
  onOutput?: (handle: string, line: OutputLine, owner?: OutputOwner) => void;
  /** the cell's own policy; default the kernel's (oneForOne) */
  onCrash?: CrashPolicy;
}

/**
 * How often a cell lists its containers unasked: every 10 heartbeats, at most every 30 s (Diego's
 * bulk loop period). The control side notices an instance gone without a report at the next
 * list, so this bounds how long a row may claim a process that is not there (docs/021-cell.md).
 */
export const reconcileMsFor = (heartbeatMs: number): number => Math.min(30_000, 10 * heartbeatMs);

type Internal =
  | { type: 'cell/init' }
  | { type: 'cell/heartbeat-tick' }
  | { type: 'cell/reconcile-tick' }
  | { type: 'cell/evacuation-timeout' }
  | ContainerEvent;

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

  // outside the actor's state: a cell actor restarted by its supervisor keeps draining
  const drain = new CellDrain(cellId, settings.evacuationTimeoutMs, () => clock.now());

  const presence = (state: CellActorState, ctx: Ctx): CellPresence => ({
    cell_id: cellId,
    rep_address: options.repAddress ?? ctx.path,
    rep_url: options.repUrl ?? '',
    zone: options.zone,
    capacity: { ...state.capacity },
    rootfs_providers: backend.rootfses(),
    enforces: backend.enforces(),
    placement_tags: [...options.placementTags],
    optional_placement_tags: [...options.optionalPlacementTags],
    evacuating: drain.evacuating,
  });

  const keeper = containerKeeper({ system, cellId, backend, clock, settings, report, ...(options.onOutput ? { onOutput: options.onOutput } : {}) });
  const { startChild, forget, destroyQuietly } = keeper;
  const drainHost = (state: CellActorState, ctx: Ctx): DrainHost => ({
    get ledger() {
      return state.ledger;
    },
    stopping: state.stopping,
    log: ctx.log,
    report,
    stopLrp: (slot) => void keeper.stopLrp(state, slot),
    cancelTask: (slot, reason) => void keeper.cancelTask(state, slot, reason),
    heartbeat: () => report({ type: 'cell-report/heartbeat', presence: presence(state, ctx) }),
    armTimeout: (ms) => every(ctx.self, ms, { type: 'cell/evacuation-timeout' }),
    reply: (to, drained) => system.dispatch(to, drained),
  });

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
    drain.resume(drainHost(state, ctx));
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

  // the highest control group term a command carried (docs/054): a command of a lower one comes
  // from a deposed active and is refused (perform: every item fails; the rest: ignored)
  let highestTerm = 0;
  const refusedAsStale = (msg: CellMsg | Internal, ctx: Ctx): boolean => {
    if (!('term' in msg) || msg.term === undefined) return false;
    if (msg.term >= highestTerm) {
      highestTerm = msg.term;
      return false;
    }
    ctx.log.warn({ type: msg.type, term: msg.term, highest_term: highestTerm }, 'cell.stale-term-refused');
    if (msg.type === 'cell/perform') system.dispatch(msg.replyTo, rejectAll(msg.work, `stale control term ${msg.term} (seen ${highestTerm})`));
    return true;
  };

  const handle = async (state: CellActorState, msg: CellMsg | Internal, ctx: Ctx): Promise<CellActorState> => {
    await ensureReady(state, ctx);
    if (refusedAsStale(msg, ctx)) return state;
    const next = await handleMsg(state, msg, ctx);
    // whatever the message changed, a draining cell may now be drained
    if (drain.evacuating) drain.check(drainHost(next, ctx));
    return next;
  };

  const handleMsg = async (state: CellActorState, msg: CellMsg | Internal, ctx: Ctx): Promise<CellActorState> => {
    switch (msg.type) {
      case 'cell/init':
        return state;
      case 'cell/state':
        system.dispatch(msg.replyTo, cellStateFromLedger(presence(state, ctx), state.ledger));
        return state;
      case 'cell/perform':
        system.dispatch(msg.replyTo, drain.evacuating ? rejectAll(msg.work) : await perform(state, ctx, msg.work));
        return state;
      case 'cell/stop-instance': {
        const slot = state.ledger.get(msg.instance_guid);
        if (!slot || slot.kind !== 'lrp' || !keeper.stopLrp(state, slot)) {
          report({ type: 'cell-report/lrp-stopped', cell_id: cellId, process_guid: msg.process_guid, index: msg.index, instance_guid: msg.instance_guid });
        }
        return state;
      }
      case 'cell/cancel-task': {
        const slot = state.ledger.get(msg.task_guid);
        if (!slot || slot.kind !== 'task' || !keeper.cancelTask(state, slot)) {
          report({ type: 'cell-report/task-completed', cell_id: cellId, task_guid: msg.task_guid, failed: true, failure_reason: TaskTexts.cancelled, result: '' });
        }
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
      case 'cell/reconcile':
        await keeper.findLost(state, ctx);
        report({ type: 'cell-report/containers', cell_id: cellId, containers: containersOf(state.ledger) });
        drain.remind(drainHost(state, ctx));
        if (msg.type === 'cell/reconcile-tick') every(ctx.self, settings.reconcileMs, { type: 'cell/reconcile-tick' });
        return state;
      case 'cell/evacuate':
        drain.begin(drainHost(state, ctx), msg.replyTo);
        if (msg.accepted) system.dispatch(msg.accepted, presence(state, ctx));
        return state;
      case 'cell/evacuation-timeout':
        drain.timeout(drainHost(state, ctx));
        return state;
      case 'cell/container-running': {
        await keeper.onContainerEvent(state, ctx, msg);
        const slot = state.ledger.get(msg.handle);
        if (slot?.kind === 'lrp') drain.onRunning(drainHost(state, ctx), slot);
        return state;
      }
      case 'cell/container-crashed':
      case 'cell/container-stopped':
      case 'cell/task-finished':
      case 'cell/container-failed':
        await keeper.onContainerEvent(state, ctx, msg);
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
