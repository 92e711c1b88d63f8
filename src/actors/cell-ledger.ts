/**
 * The cell's book of what it holds (pure): one slot per container, keyed by handle (the
 * instance guid of an LRP, the guid of a task). The cell actor asks it whether work fits, and
 * builds its CellState and its reconcile report from it.
 *
 * | slot state | LRP meaning                                   | task meaning                     |
 * |------------|-----------------------------------------------|----------------------------------|
 * | CLAIMED    | container created, not healthy yet (starting) | -                                |
 * | RUNNING    | healthy (reported `lrp-running`)              | its action runs                  |
 * | COMPLETED  | -                                             | done, container kept until delete |
 *
 * Every slot reserves its memory_mb, disk_mb and one container until it leaves the ledger.
 */
import type { ActualLrpPortMapping } from '../models/actual-lrp.js';
import type { CellPresence, CellState, CellStateLrp, CellStateTask } from '../models/cell-state.js';
import { cellStateOwning } from '../models/cell-state.js';
import type { CellContainer, LrpWork, TaskWork, Work, WorkResult } from './cell.protocol.js';

export type LrpSlot = {
  kind: 'lrp';
  handle: string;
  process_guid: string;
  index: number;
  instance_guid: string;
  memory_mb: number;
  disk_mb: number;
  state: 'CLAIMED' | 'RUNNING';
  /** where a RUNNING instance answers, as its `lrp-running` report said */
  net?: { address: string; ports: ActualLrpPortMapping[] };
};

export type TaskSlot = {
  kind: 'task';
  handle: string;
  task_guid: string;
  memory_mb: number;
  disk_mb: number;
  state: 'RUNNING' | 'COMPLETED';
};

export type Slot = LrpSlot | TaskSlot;

export type Ledger = ReadonlyMap<string, Slot>;

export interface Need {
  memory_mb: number;
  disk_mb: number;
}

/** What the ledger's slots use: memory, disk and containers (one each). */
interface Usage {
  memory_mb: number;
  disk_mb: number;
  containers: number;
}

function usageOf(ledger: Ledger): Usage {
  let memory = 0;
  let disk = 0;
  for (const slot of ledger.values()) {
    memory += slot.memory_mb;
    disk += slot.disk_mb;
  }
  return { memory_mb: memory, disk_mb: disk, containers: ledger.size };
}

/** Why `need` does not fit beside `used`; memory first, then disk, then containers. */
function shortfall(capacity: CellPresence['capacity'], used: Usage, need: Need): string | undefined {
  if (used.memory_mb + need.memory_mb > capacity.memory_mb) return 'insufficient resources: memory';
  if (used.disk_mb + need.disk_mb > capacity.disk_mb) return 'insufficient resources: disk';
  if (used.containers + 1 > capacity.containers) return 'insufficient resources: containers';
  return undefined;
}

/**
 * Why `need` does not fit beside what the ledger holds (rep's `insufficient resources: memory`
 * texts), or undefined when it fits. Memory is checked first, then disk, then containers.
 */
export function insufficientResources(capacity: CellPresence['capacity'], ledger: Ledger, need: Need): string | undefined {
  return shortfall(capacity, usageOf(ledger), need);
}

export interface Reservation {
  /** the ledger with a slot for every item that fits (LRPs CLAIMED, tasks RUNNING) */
  ledger: Map<string, Slot>;
  /** what to create, in order */
  lrps: LrpWork[];
  tasks: TaskWork[];
  /** what did not fit, with rep's reasons */
  failed: WorkResult;
}

/**
 * Reserves the work in order, LRPs first (rep's `/work`): each item that fits gets a slot, each
 * that does not is failed with its `insufficient resources` reason. An item whose handle the
 * ledger already holds is asked again: it is skipped, neither created nor failed.
 */
export function reserveWork(capacity: CellPresence['capacity'], current: Ledger, work: Work): Reservation {
  const ledger = new Map(current);
  const out: Reservation = { ledger, lrps: [], tasks: [], failed: { failedLrps: [], failedTasks: [] } };
  // summed once and kept up to date: checking each item against the whole ledger made a
  // cell's perform O(items × containers)
  const used = usageOf(current);
  const take = (slot: Slot) => {
    ledger.set(slot.handle, slot);
    used.memory_mb += slot.memory_mb;
    used.disk_mb += slot.disk_mb;
    used.containers += 1;
  };
  for (const item of work.lrps) {
    const { desired, index, instance_guid } = item;
    if (ledger.has(instance_guid)) continue;
    const reason = shortfall(capacity, used, desired);
    if (reason) {
      out.failed.failedLrps.push({ process_guid: desired.process_guid, index, instance_guid, reason });
      continue;
    }
    take({
      kind: 'lrp', handle: instance_guid, process_guid: desired.process_guid, index, instance_guid,
      memory_mb: desired.memory_mb, disk_mb: desired.disk_mb, state: 'CLAIMED',
    });
    out.lrps.push(item);
  }
  for (const item of work.tasks) {
    const { task } = item;
    if (ledger.has(task.task_guid)) continue;
    const reason = shortfall(capacity, used, task);
    if (reason) {
      out.failed.failedTasks.push({ task_guid: task.task_guid, reason });
      continue;
    }
    take({ kind: 'task', handle: task.task_guid, task_guid: task.task_guid, memory_mb: task.memory_mb, disk_mb: task.disk_mb, state: 'RUNNING' });
    out.tasks.push(item);
  }
  return out;
}

/** The auction-time state: capacity minus the ledger; LRPs not yet RUNNING count as starting. */
export function cellStateFromLedger(presence: CellPresence, ledger: Ledger): CellState {
  // one pass, and the rows are handed over rather than copied again: a cell answers every
  // auction round with one row per container it holds
  const lrps: CellStateLrp[] = [];
  const tasks: CellStateTask[] = [];
  let starting = 0;
  for (const s of ledger.values()) {
    if (s.kind === 'lrp') {
      lrps.push({ process_guid: s.process_guid, index: s.index, memory_mb: s.memory_mb, disk_mb: s.disk_mb });
      if (s.state === 'CLAIMED') starting++;
    } else tasks.push({ task_guid: s.task_guid, memory_mb: s.memory_mb, disk_mb: s.disk_mb });
  }
  return cellStateOwning(presence, { lrps, tasks, starting_container_count: starting });
}

/** What the cell reports when reconciling, in handle order. */
export function containersOf(ledger: Ledger): CellContainer[] {
  return [...ledger.values()]
    .sort((a, b) => (a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0))
    .map((slot): CellContainer =>
      slot.kind === 'lrp'
        ? { kind: 'lrp', process_guid: slot.process_guid, index: slot.index, instance_guid: slot.instance_guid, state: slot.state, ...(slot.state === 'RUNNING' && slot.net ? slot.net : {}) }
        : { kind: 'task', task_guid: slot.task_guid, state: slot.state },
    );
}

/** The source that prefixes an LRP's crash reason: `APP/PROC/WEB: Exited with status 1`. */
export const DEFAULT_LRP_SOURCE = 'APP/PROC/WEB';

/** The log source of an LRP instance's lines: its `log_source`, else `APP/PROC/WEB/<index>`. */
export function lrpLogSource(logSource: string | undefined, index: number): string {
  return logSource || `${DEFAULT_LRP_SOURCE}/${index}`;
}

/**
 * The crash reason for an LRP whose action ended (DIEGO.md 1.2): `<source>: <error>`, where the
 * source is the LRP's `log_source` or `APP/PROC/WEB`. An action that ended without error (exit 0
 * with no monitor) is `Exited with status 0`.
 */
export function actionCrashReason(logSource: string | undefined, error: string | undefined): string {
  return `${logSource || DEFAULT_LRP_SOURCE}: ${error ?? 'Exited with status 0'}`;
}

/** The crash reason (or task failure) when the cell finds a container gone from its backend (DIEGO.md 3.9). */
export const LOST_CONTAINER_REASON = 'container was destroyed outside the cell';

/** Diego's texts the cell reports for tasks. */
export const TaskTexts = {
  cancelled: 'task was cancelled',
  resultUnreadable: (why: string) => `failed to read result_file: ${why}`,
  /** a task container found after a restart with nothing running and nothing to say how it ended */
  lostOnRestart: 'task container found after a cell restart with no process running',
};

/** How much of a task's result_file becomes its `result`. */
export const RESULT_FILE_LIMIT = 10 * 1024;
