/**
 * One auction round (Diego's auction runner): ask every live cell for its state (cells that do
 * not answer in time are skipped), place the batch with the pure `schedule`, send each cell its
 * work, and tell every requester where its work went or why it did not.
 */
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import type { Logger } from '../base/logger.js';
import type { CellClient, LrpWork, TaskWork, WorkResult } from './cell.protocol.js';
import { schedule, PlacementErrors, type LrpStartRequest, type TaskStartRequest } from '../auction/index.js';
import type { CellState } from '../models/cell-state.js';
import type { ControlDeps } from './control-deps.js';
import { CellsMsg } from './cells.protocol.js';
import type { LrpStart, TaskStart } from './auctioneer.protocol.js';
import { secondsSince } from './control-metrics.js';
import { CellExplainer, debitPlacements, type CellShortfall, type Lack, type PlacementExplanation, type WorkNeed } from '../auction/explain.js';
import { msToNs } from '../models/time.js';

export interface Batch {
  lrps: LrpStart[];
  tasks: TaskStart[];
}

const lrpKey = (r: { process_guid: string; index: number }) => `${r.process_guid}/${r.index}`;

/**
 * A round in which fewer than this share of the cells asked answered with their state is not a
 * verdict on its work (when `mayDefer`): at 250k instances a control node too busy to read the
 * answers within `cellStateTimeoutMs` failed whole rounds against cells that were fine, and each
 * failure was a journal write and an event more for the same busy node.
 */
export const DEFER_BELOW_ANSWERED = 0.5;

/** `deferred`: too few cells answered (see DEFER_BELOW_ANSWERED); nothing was placed or failed. */
export type RoundOutcome = 'done' | 'deferred';

export async function runRound(system: ActorSystem, log: Logger, cells: Ref<CellsMsg>, batch: Batch, deps: ControlDeps, mayDefer = false): Promise<RoundOutcome> {
  // the newest request per index wins (an older one was superseded by a restart)
  const lrps = new Map<string, LrpStart>();
  for (const s of batch.lrps) lrps.set(lrpKey({ process_guid: s.work.desired.process_guid, index: s.work.index }), s);
  const tasks = new Map<string, TaskStart>();
  for (const s of batch.tasks) tasks.set(s.task.task_guid, s);

  // filled once the round has cell states; a failure before that (no cell answered) explains nothing
  let explain: (need: WorkNeed, onlyCell?: string) => PlacementExplanation = () => ({ cells: [], omitted_cells: 0 });
  const now = () => msToNs(system.clock.now());
  const failLrp = (s: LrpStart, placement_error: string, onlyCell?: string) => {
    deps.metrics.auctioned('lrp', 'failed');
    const { desired, index, instance_guid } = s.work;
    deps.placements?.recordLrp(desired.process_guid, index, {
      instance_guid, placement_error, at: now(), ...explain({ memory_mb: desired.memory_mb, disk_mb: desired.disk_mb, rootfs: desired.rootfs, placement_tags: desired.placement_tags, lrp: true }, onlyCell),
    });
    system.dispatch(s.replyTo, { type: 'auction/lrp-failed', process_guid: s.work.desired.process_guid, index: s.work.index, instance_guid: s.work.instance_guid, placement_error });
  };
  const failTask = (s: TaskStart, placement_error: string, onlyCell?: string) => {
    deps.metrics.auctioned('task', 'failed');
    const { task } = s;
    deps.placements?.recordTask(task.task_guid, {
      instance_guid: '', placement_error, at: now(), ...explain({ memory_mb: task.memory_mb, disk_mb: task.disk_mb, rootfs: task.rootfs, placement_tags: task.placement_tags, lrp: false }, onlyCell),
    });
    system.dispatch(s.replyTo, { type: 'auction/task-failed', task_guid: s.task.task_guid, placement_error });
  };

  const fetching = performance.now();
  let clients: CellClient[];
  try {
    clients = await system.query<CellsMsg, CellClient[]>(cells, CellsMsg.clients, deps.settings.askTimeoutMs);
  } catch {
    clients = [];
  }
  const answers = await Promise.allSettled(clients.map((c) => c.state(deps.settings.cellStateTimeoutMs)));
  deps.metrics.cellStatesFetched(secondsSince(fetching), answers.filter((a) => a.status === 'rejected').length);
  const states: CellState[] = [];
  const byCell = new Map<string, CellClient>();
  const unanswered: string[] = [];
  let firstError: string | undefined;
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') {
      states.push(a.value);
      byCell.set(a.value.cell_id, clients[i]!);
    } else {
      unanswered.push(clients[i]!.cellId);
      firstError ??= String(a.reason);
    }
  });
  // one line a round, not one a cell: a thousand synchronous log writes a round were themselves load
  if (unanswered.length > 0) log.warn({ cells: unanswered.length, of: clients.length, cell_ids: unanswered.slice(0, 20), error: firstError }, 'auction.cell-state-failed');
  if (mayDefer && clients.length > 0 && states.length < clients.length * DEFER_BELOW_ANSWERED) {
    log.warn({ answered: states.length, asked: clients.length, lrps: lrps.size, tasks: tasks.size }, 'auction.round-deferred');
    return 'deferred';
  }

  const lrpRequests: LrpStartRequest[] = [...lrps.values()].map(({ work: { desired, index } }) => ({
    process_guid: desired.process_guid, index, domain: desired.domain, memory_mb: desired.memory_mb, disk_mb: desired.disk_mb,
    rootfs: desired.rootfs, placement_tags: desired.placement_tags, max_pids: desired.max_pids,
  }));
  const taskRequests: TaskStartRequest[] = [...tasks.values()].map(({ task }) => ({
    task_guid: task.task_guid, domain: task.domain, memory_mb: task.memory_mb, disk_mb: task.disk_mb, rootfs: task.rootfs, placement_tags: task.placement_tags,
  }));
  const results = schedule({ lrps: lrpRequests, tasks: taskRequests }, states, deps.settings.auction);
  log.info({ lrps: lrpRequests.length, tasks: taskRequests.length, cells: states.length, lrp_failures: results.lrpFailures.length, task_failures: results.taskFailures.length }, 'auction.round');
  if (deps.placements) explain = placementExplainer(states, unanswered, results, deps.placements.maxCells);

  for (const f of results.lrpFailures) failLrp(lrps.get(lrpKey(f.request))!, f.placement_error);
  for (const f of results.taskFailures) failTask(tasks.get(f.request.task_guid)!, f.placement_error);

  const work = new Map<string, { lrps: LrpStart[]; tasks: TaskStart[] }>();
  const on = (cellId: string) => work.get(cellId) ?? (work.set(cellId, { lrps: [], tasks: [] }), work.get(cellId)!);
  for (const p of results.lrpPlacements) on(p.cell_id).lrps.push(lrps.get(lrpKey(p.request))!);
  for (const p of results.taskPlacements) on(p.cell_id).tasks.push(tasks.get(p.request.task_guid)!);

  await Promise.all([...work].map(async ([cellId, w]) => {
    const client = byCell.get(cellId)!;
    const lrpWork: LrpWork[] = w.lrps.map((s) => s.work);
    const taskWork: TaskWork[] = w.tasks.map((s) => ({ task: s.task }));
    let result: WorkResult;
    try {
      result = await client.perform({ lrps: lrpWork, tasks: taskWork }, deps.settings.performTimeoutMs);
    } catch (error) {
      log.warn({ cell_id: cellId, error: String(error) }, 'auction.perform-failed');
      w.lrps.forEach((s) => failLrp(s, PlacementErrors.cellCommunication, cellId));
      w.tasks.forEach((s) => failTask(s, PlacementErrors.cellCommunication, cellId));
      return;
    }
    const failedLrps = new Map(result.failedLrps.map((f) => [f.instance_guid, f.reason]));
    const failedTasks = new Map(result.failedTasks.map((f) => [f.task_guid, f.reason]));
    for (const s of w.lrps) {
      const reason = failedLrps.get(s.work.instance_guid);
      if (reason !== undefined) failLrp(s, reason, cellId);
      else {
        deps.metrics.auctioned('lrp', 'started');
        deps.placements?.placedLrp(s.work.desired.process_guid, s.work.index);
        system.dispatch(s.replyTo, { type: 'auction/lrp-placed', process_guid: s.work.desired.process_guid, index: s.work.index, instance_guid: s.work.instance_guid, cell_id: cellId });
      }
    }
    for (const s of w.tasks) {
      const reason = failedTasks.get(s.task.task_guid);
      if (reason !== undefined) failTask(s, reason, cellId);
      else {
        deps.metrics.auctioned('task', 'started');
        deps.placements?.placedTask(s.task.task_guid);
        system.dispatch(s.replyTo, { type: 'auction/task-placed', task_guid: s.task.task_guid, cell_id: cellId });
      }
    }
  }));
  return 'done';
}

/** Distinct needs a round explains; past it a failure keeps no cells (`omitted_cells` counts them all). */
const MAX_EXPLAINED_NEEDS = 1000;

/**
 * Explains failures over the cells as the round left them (its placements debited), then the
 * cells that did not answer it (`unreachable`): each distinct need once per round, so the failed
 * instances of one LRP share one explanation, and at most MAX_EXPLAINED_NEEDS of them (~0.1 ms
 * each at 1000 cells). With `onlyCell`, the one cell that failed or refused the work it was given.
 */
function placementExplainer(
  states: CellState[], unanswered: readonly string[], results: ReturnType<typeof schedule>, maxCells: number,
): (need: WorkNeed, onlyCell?: string) => PlacementExplanation {
  let after: CellState[] | undefined;
  let explainer: CellExplainer | undefined;
  const cache = new Map<string, PlacementExplanation>();
  const unreachable = unanswered.map((cell_id): CellShortfall => ({ cell_id, zone: '', lacked: UNREACHABLE, shortfall: { memory_mb: 0, disk_mb: 0, containers: 0 } }));
  return (need, onlyCell) => {
    after ??= debitPlacements(states, results.lrpPlacements, results.taskPlacements);
    if (onlyCell !== undefined) return new CellExplainer(after.filter((c) => c.cell_id === onlyCell)).explain(need, maxCells);
    const key = JSON.stringify([need.lrp, need.memory_mb, need.disk_mb, need.rootfs, need.placement_tags ?? []]);
    let found = cache.get(key);
    if (found) return found;
    if (cache.size < MAX_EXPLAINED_NEEDS) {
      explainer ??= new CellExplainer(after);
      const explained = explainer.explain(need, maxCells);
      const room = Math.max(0, maxCells - explained.cells.length);
      found = { cells: [...explained.cells, ...unreachable.slice(0, room)], omitted_cells: explained.omitted_cells + Math.max(0, unreachable.length - room) };
    } else found = { cells: [], omitted_cells: after.length + unreachable.length };
    cache.set(key, found);
    return found;
  };
}

const UNREACHABLE: readonly Lack[] = Object.freeze(['unreachable'] as Lack[]);
