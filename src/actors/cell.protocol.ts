/**
 * What the control side and a cell (Diego's rep and executor) say to each other.
 *
 * Control → cell: `CellMsg`, through a {@link CellClient} so the auctioneer and the instance
 * actors never hold a cell's ref directly (remoting replaces the client later, not the callers).
 * Cell → control: `CellReport`, sent to the `reports` ref the cell was spawned with; the control
 * side routes each report to the ActualLRP or task actor it concerns.
 */
import type { Ref } from '../runtime/kernel/protocol.js';
import type { CellPresence, CellState } from '../models/cell-state.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { ActualLrpPortMapping } from '../models/actual-lrp.js';
import type { Task } from '../models/task.js';

/** One instance for a cell to start: the LRP as desired, which index, and its new instance guid. */
export interface LrpWork {
  desired: DesiredLRP;
  index: number;
  /** chosen by the control side before the auction; the container handle on the cell */
  instance_guid: string;
}

/** One task for a cell to run; the container handle is the task guid. */
export interface TaskWork {
  task: Task;
}

export interface Work {
  lrps: LrpWork[];
  tasks: TaskWork[];
}

/** The work a cell could not take (rep's `/work` answer): it reserved nothing for these. */
export interface WorkResult {
  failedLrps: Array<{ process_guid: string; index: number; instance_guid: string; reason: string }>;
  failedTasks: Array<{ task_guid: string; reason: string }>;
}

/** One container a cell runs, as it reports it when reconciling. */
export type CellContainer =
  /** a RUNNING one carries its address and ports, so the list alone can bring a row whose reports were lost up to date */
  | { kind: 'lrp'; process_guid: string; index: number; instance_guid: string; state: 'CLAIMED' | 'RUNNING'; address?: string; ports?: ActualLrpPortMapping[] }
  | { kind: 'task'; task_guid: string; state: 'RUNNING' | 'COMPLETED' };

/**
 * A command from the active of a control group carries its term (docs/054): a cell refuses one
 * whose term is below the highest it has seen, so a deposed active's late commands change nothing.
 * A lone control node sends none.
 */
export interface Fenced {
  term?: number;
}

const fenced = (term: number | undefined): Fenced => (term === undefined ? {} : { term });

export type CellMsg =
  /** the cell's auction-time state: capacity, what it holds, what it is starting */
  | { type: 'cell/state'; replyTo: Ref<CellState> }
  /** reserve and start the work; answers with what it could not take */
  | ({ type: 'cell/perform'; work: Work; replyTo: Ref<WorkResult> } & Fenced)
  /** stop one instance (TERM, KILL after the grace period) and report `lrp-stopped` */
  | ({ type: 'cell/stop-instance'; process_guid: string; index: number; instance_guid: string } & Fenced)
  /** kill a task's processes and report it completed, failed `task was cancelled` */
  | ({ type: 'cell/cancel-task'; task_guid: string } & Fenced)
  /** destroy a completed task's container (after the control side has its result) */
  | ({ type: 'cell/delete-task'; task_guid: string } & Fenced)
  /**
   * report every container now (`cell-report/containers`), as the reconcile tick does: the
   * control side asks when the cell appears again, so copies it replaced meanwhile stop at once
   */
  | { type: 'cell/reconcile' }
  /**
   * drain (Diego's rep `POST /evacuate`): take no more work, report every instance
   * `lrp-evacuating`, wait for the control side to stop them (or `evacuationTimeoutMs`), then
   * stop what is left. `accepted` hears the cell's presence (now `evacuating`) at once, `replyTo`
   * hears {@link CellDrained} once nothing is left running. Asked again, it only answers.
   */
  | { type: 'cell/evacuate'; accepted?: Ref<CellPresence>; replyTo?: Ref<CellDrained> };

/** What an evacuating cell answers once it has no instance and no running task left. */
export interface CellDrained {
  cell_id: string;
  /** the timeout passed first: the cell stopped the instances and failed the tasks it still had */
  timed_out: boolean;
}

export const CellMsg = {
  state: (replyTo: Ref<CellState>): CellMsg => ({ type: 'cell/state', replyTo }),
  perform: (work: Work, replyTo: Ref<WorkResult>, term?: number): CellMsg => ({ type: 'cell/perform', work, replyTo, ...fenced(term) }),
  stopInstance: (process_guid: string, index: number, instance_guid: string, term?: number): CellMsg => ({ type: 'cell/stop-instance', process_guid, index, instance_guid, ...fenced(term) }),
  cancelTask: (task_guid: string, term?: number): CellMsg => ({ type: 'cell/cancel-task', task_guid, ...fenced(term) }),
  deleteTask: (task_guid: string, term?: number): CellMsg => ({ type: 'cell/delete-task', task_guid, ...fenced(term) }),
  reconcile: (): CellMsg => ({ type: 'cell/reconcile' }),
  evacuate: (reply: { accepted?: Ref<CellPresence>; replyTo?: Ref<CellDrained> } = {}): CellMsg => ({ type: 'cell/evacuate', ...reply }),
};

interface InstanceReport {
  cell_id: string;
  process_guid: string;
  index: number;
  instance_guid: string;
}

export type CellReport =
  /** the cell presents itself (on start and every heartbeat): presence with a TTL on the control side */
  | { type: 'cell-report/heartbeat'; presence: CellPresence }
  /** a container was reserved for the instance (UNCLAIMED → CLAIMED) */
  | ({ type: 'cell-report/lrp-claimed' } & InstanceReport)
  /** the instance passed its startup check (→ RUNNING) */
  | ({ type: 'cell-report/lrp-running'; address: string; ports: ActualLrpPortMapping[] } & InstanceReport)
  /** the instance's process exited or failed its health check: Diego's crash reason */
  | ({ type: 'cell-report/lrp-crashed'; reason: string } & InstanceReport)
  /** the instance was stopped on request and its container destroyed */
  | ({ type: 'cell-report/lrp-stopped' } & InstanceReport)
  /**
   * the cell is draining and gives the instance up (Diego's `EvacuateRunningActualLRP` for a
   * RUNNING one, which keeps serving until told to stop; `EvacuateClaimedActualLRP` for one
   * still starting, which the cell stops itself): place it elsewhere. Sent again every
   * `reconcileMs` while the instance runs (the control side treats it idempotently)
   */
  | ({ type: 'cell-report/lrp-evacuating' } & InstanceReport)
  | { type: 'cell-report/task-started'; cell_id: string; task_guid: string }
  /** result: the first 10 KB of the task's `result_file`, on success */
  | { type: 'cell-report/task-completed'; cell_id: string; task_guid: string; failed: boolean; failure_reason: string; result: string }
  /** everything the cell runs, periodically and after a restart, so the control side can reconcile */
  | { type: 'cell-report/containers'; cell_id: string; containers: CellContainer[] };

/**
 * How the control side reaches a cell (rep's client: state, perform, stop, cancel). The local
 * implementation asks the cell actor; the cluster issue adds one over remoting.
 */
export interface CellClient {
  readonly cellId: string;
  /** The cell's auction-time state. Rejects (Timeout, ResourceNotFound) when the cell does not answer in time. */
  state(timeoutMs: number): Promise<CellState>;
  /** Reserves and starts the work; resolves with what the cell could not take. Rejects as `state` does. */
  perform(work: Work, timeoutMs: number): Promise<WorkResult>;
  /** Fire and forget: the cell stops the instance and reports `lrp-stopped`. */
  stopInstance(process_guid: string, index: number, instance_guid: string): void;
  /** Fire and forget: the cell aborts the task and reports it failed `task was cancelled`. */
  cancelTask(task_guid: string): void;
  /** Fire and forget: the cell destroys a completed task's container. */
  deleteTask(task_guid: string): void;
  /** Fire and forget: the cell reports every container it runs (`cell-report/containers`). */
  reconcile?(): void;
  /**
   * Starts the cell's drain (`cell/evacuate`); resolves with its presence (`evacuating: true`)
   * once the cell has accepted, long before it is drained. Rejects as `state` does.
   */
  evacuate(timeoutMs: number): Promise<CellPresence>;
}
