/**
 * The legal state transitions of ActualLRPs and Tasks (DIEGO.md 1.2, 1.3).
 *
 * ActualLRP (`ActualLRP.AllowsTransitionTo`, bbs:models/actual_lrp.go). `same` = the request's
 * instance key (`instance_guid` + `cell_id`) equals the stored one; `empty` = the request carries
 * no instance key:
 *
 * | from \ to | UNCLAIMED | CLAIMED | RUNNING | CRASHED |
 * |-----------|-----------|---------|---------|---------|
 * | UNCLAIMED | yes       | yes     | yes     | no      |
 * | CLAIMED   | empty     | same    | yes     | same    |
 * | RUNNING   | empty     | same    | same    | same    |
 * | CRASHED   | empty     | same    | same    | no      |
 *
 * Task, by operation (`Task.ValidateTransitionTo`, bbs:db/sqldb/task_db.go, the REST API):
 *
 * | operation | from               | to                         | who                           |
 * |-----------|--------------------|----------------------------|-------------------------------|
 * | start     | PENDING            | RUNNING                    | cell (RUNNING on the same cell: no-op) |
 * | complete  | RUNNING            | COMPLETED                  | cell that runs it             |
 * | cancel    | PENDING, RUNNING   | COMPLETED (failed)         | client                        |
 * | reject    | PENDING, RUNNING   | PENDING (COMPLETED at the retry limit) | auctioneer, cell  |
 * | fail      | PENDING, RUNNING   | COMPLETED (failed)         | convergence                   |
 * | resolving | COMPLETED          | RESOLVING                  | client, callback worker       |
 * | demote    | RESOLVING          | COMPLETED                  | convergence (kick)            |
 * | delete    | COMPLETED, RESOLVING | DELETED                  | client, callback worker, convergence |
 *
 * BBS's `DeleteTask` needs RESOLVING; Auctor's `DELETE /v1/tasks/:guid` also takes COMPLETED
 * (API.md), resolving and deleting in one step.
 *
 * Errors: a state not allowed → `InvalidStateTransition`, `cannot transition <model> from <A> to
 * <B>` (plus `: instance key differs` / `: instance key must be empty` for the key rules). A
 * request from the wrong cell or instance when the states would allow it (BBS's
 * `RunningOnDifferentCell`, and `RemoveActualLRP` with another instance key) →
 * `ResourceConflict` (409), `running on cell <stored> not <requested>`: the request is well-formed
 * and legal in principle but conflicts with who holds the record.
 */
import type { ActualLrpInstanceKey, ActualLrpState } from './actual-lrp.js';
import { AuctorError, failed, passed, type Check } from '../base/errors.js';
import type { TaskState } from './task.js';

/** A cell of the ActualLRP table. */
export type TransitionRule = 'yes' | 'no' | 'same' | 'empty';

/** The ActualLRP table above, as data. */
export const ACTUAL_LRP_TRANSITIONS: Readonly<Record<ActualLrpState, Readonly<Record<ActualLrpState, TransitionRule>>>> = {
  UNCLAIMED: { UNCLAIMED: 'yes', CLAIMED: 'yes', RUNNING: 'yes', CRASHED: 'no' },
  CLAIMED: { UNCLAIMED: 'empty', CLAIMED: 'same', RUNNING: 'yes', CRASHED: 'same' },
  RUNNING: { UNCLAIMED: 'empty', CLAIMED: 'same', RUNNING: 'same', CRASHED: 'same' },
  CRASHED: { UNCLAIMED: 'empty', CLAIMED: 'same', RUNNING: 'same', CRASHED: 'no' },
};

const EMPTY_KEY: ActualLrpInstanceKey = { instance_guid: '', cell_id: '' };

/** Whether an instance key is absent or blank. */
export function isEmptyInstanceKey(key: ActualLrpInstanceKey | undefined): boolean {
  return !key || (key.instance_guid === '' && key.cell_id === '');
}

/** Whether two instance keys name the same placement. */
export function sameInstanceKey(a: ActualLrpInstanceKey | undefined, b: ActualLrpInstanceKey | undefined): boolean {
  const x = a ?? EMPTY_KEY;
  const y = b ?? EMPTY_KEY;
  return x.instance_guid === y.instance_guid && x.cell_id === y.cell_id;
}

/** The `InvalidStateTransition` error for `<model> from <from> to <to>`. */
export function transitionError(model: 'actual lrp' | 'task', from: string, to: string, reason?: string): AuctorError {
  const message = `cannot transition ${model} from ${from} to ${to}`;
  return new AuctorError('InvalidStateTransition', reason ? `${message}: ${reason}` : message);
}

/**
 * Whether `before` may move to `to` for a request carrying `requested` (omit it for a request
 * with no instance key, e.g. unclaiming).
 */
export function checkActualLrpTransition(
  before: { state: ActualLrpState } & ActualLrpInstanceKey,
  to: ActualLrpState,
  requested?: ActualLrpInstanceKey,
): Check {
  const rule = ACTUAL_LRP_TRANSITIONS[before.state][to];
  switch (rule) {
    case 'yes':
      return passed;
    case 'no':
      return failed(transitionError('actual lrp', before.state, to));
    case 'empty':
      return isEmptyInstanceKey(requested) ? passed : failed(transitionError('actual lrp', before.state, to, 'instance key must be empty'));
    case 'same':
      return sameInstanceKey(before, requested) ? passed : failed(transitionError('actual lrp', before.state, to, 'instance key differs'));
  }
}

/**
 * Whether a request for a specific placement (e.g. remove-if-it-is-still-mine) names the one
 * stored: `ResourceConflict` otherwise.
 */
export function checkActualLrpInstance(actual: ActualLrpInstanceKey, requested: ActualLrpInstanceKey): Check {
  if (sameInstanceKey(actual, requested)) return passed;
  return failed(new AuctorError('ResourceConflict', `running on cell ${actual.cell_id || '(none)'} as ${actual.instance_guid || '(none)'} not ${requested.cell_id} as ${requested.instance_guid}`));
}

/** The Task operations of the table above. */
export type TaskOperation = 'start' | 'complete' | 'cancel' | 'reject' | 'fail' | 'resolving' | 'demote' | 'delete';

/** Where a task goes; `DELETED` means the record is gone. */
export type TaskTarget = TaskState | 'DELETED';

/** The Task table above, as data. */
export const TASK_OPERATIONS: Readonly<Record<TaskOperation, { from: readonly TaskState[]; to: TaskTarget }>> = {
  start: { from: ['PENDING'], to: 'RUNNING' },
  complete: { from: ['RUNNING'], to: 'COMPLETED' },
  cancel: { from: ['PENDING', 'RUNNING'], to: 'COMPLETED' },
  reject: { from: ['PENDING', 'RUNNING'], to: 'PENDING' },
  fail: { from: ['PENDING', 'RUNNING'], to: 'COMPLETED' },
  resolving: { from: ['COMPLETED'], to: 'RESOLVING' },
  demote: { from: ['RESOLVING'], to: 'COMPLETED' },
  delete: { from: ['COMPLETED', 'RESOLVING'], to: 'DELETED' },
};

/** Whether `operation` may run on a task in state `from`. */
export function checkTaskOperation(operation: TaskOperation, from: TaskState): Check {
  const { from: allowed, to } = TASK_OPERATIONS[operation];
  return allowed.includes(from) ? passed : failed(transitionError('task', from, to));
}

/** Whether any operation moves a task from `from` to `to` (the state graph). */
export function checkTaskTransition(from: TaskState, to: TaskTarget): Check {
  const legal = Object.values(TASK_OPERATIONS).some((op) => op.to === to && op.from.includes(from));
  return legal ? passed : failed(transitionError('task', from, to));
}

/** BBS `RunningOnDifferentCell`, as `ResourceConflict`: `running on cell <stored> not <requested>`. */
export function checkTaskCell(task: { cell_id: string }, cellId: string): Check {
  if (task.cell_id === cellId) return passed;
  return failed(new AuctorError('ResourceConflict', `running on cell ${task.cell_id} not ${cellId}`));
}
