/**
 * The Task lifecycle as pure operations (bbs:db/sqldb/task_db.go, bbs:controllers/task_controller.go;
 * DIEGO.md 1.3, 3.4). Each takes the stored task and `now` (ns) and returns the new task, or the
 * error a caller must branch on; none mutates. The legal moves are the Task table in
 * `transitions.ts`:
 *
 * | operation    | from             | to                                   |
 * |--------------|------------------|--------------------------------------|
 * | startTask    | PENDING          | RUNNING (RUNNING on the same cell: unchanged, shouldStart false) |
 * | completeTask | RUNNING          | COMPLETED                            |
 * | cancelTask   | PENDING, RUNNING | COMPLETED, failed, `task was cancelled` |
 * | rejectTask   | PENDING, RUNNING | PENDING, or COMPLETED failed at the retry limit |
 * | failTask     | PENDING, RUNNING | COMPLETED, failed                    |
 * | resolvingTask| COMPLETED        | RESOLVING                            |
 * | demoteResolvingTask | RESOLVING | COMPLETED                            |
 * | checkTaskDeletable  | COMPLETED, RESOLVING | deleted                     |
 *
 * Completing (any way) sets `first_completed_at = now` and clears `cell_id`; to tell a cell to
 * stop a cancelled task, use the `cell_id` of the task before the call.
 */
import { ok, type Check, type Result } from '../base/errors.js';
import { truncateReason, truncateUtf8 } from './text.js';
import { checkTaskCell, checkTaskOperation } from './transitions.js';
import type { Task } from './task.js';

export type TaskState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'RESOLVING';

export const TASK_STATES: readonly TaskState[] = ['PENDING', 'RUNNING', 'COMPLETED', 'RESOLVING'];

/** The `failure_reason` of a cancelled task. */
export const TASK_CANCELLED_REASON = 'task was cancelled';
/** The `failure_reason` of a task still PENDING after `expirePendingTaskMs`. */
export const TASK_EXPIRED_PENDING_REASON = 'not started within time limit';
/** The `failure_reason` of a RUNNING task whose cell is gone. */
export const TASK_CELL_DISAPPEARED_REASON = 'cell disappeared before completion';
/** `result` keeps the first 10 KB (10240 bytes) of the result file. */
export const MAX_TASK_RESULT_BYTES = 10 * 1024;
/** Auction rejections before a task fails (`--task-retries`). */
export const DEFAULT_TASK_RETRIES = 3;

/** What the cell reports when a task's action ends. */
export interface TaskCompletion {
  failed: boolean;
  failure_reason?: string;
  result?: string;
}

/** A cell starts the task (PENDING→RUNNING on `cellId`). `shouldStart` is false for a repeat by the same cell. */
export function startTask(task: Task, cellId: string, now: number): Result<{ task: Task; shouldStart: boolean }> {
  if (task.state === 'RUNNING' && task.cell_id === cellId) return ok({ task, shouldStart: false });
  const check = checkTaskOperation('start', task.state);
  if (!check.ok) return check;
  return ok({ task: { ...task, state: 'RUNNING', cell_id: cellId, updated_at: now }, shouldStart: true });
}

/**
 * The cell running the task reports its end. Another cell → `ResourceConflict` (BBS
 * `RunningOnDifferentCell`). `result` is kept only on success, cut to 10240 bytes;
 * `failure_reason` to 1024.
 */
export function completeTask(task: Task, cellId: string, completion: TaskCompletion, now: number): Result<Task> {
  const check = checkTaskOperation('complete', task.state);
  if (!check.ok) return check;
  const cell = checkTaskCell(task, cellId);
  if (!cell.ok) return cell;
  return ok(completed(task, completion, now));
}

/** The client cancels: PENDING or RUNNING → COMPLETED, failed, `task was cancelled`. */
export function cancelTask(task: Task, now: number): Result<Task> {
  const check = checkTaskOperation('cancel', task.state);
  if (!check.ok) return check;
  return ok(completed(task, { failed: true, failure_reason: TASK_CANCELLED_REASON }, now));
}

/**
 * The auction (or a cell that could not create the container) rejects the task. Back to PENDING
 * with `rejection_count + 1` and the reason, unless the count before this rejection is already
 * `maxRetries` or more: then COMPLETED, failed, with the reason as `failure_reason` (the count
 * is left as it was, as BBS does). With 3 retries a task is auctioned 4 times.
 */
export function rejectTask(task: Task, reason: string, maxRetries: number, now: number): Result<Task> {
  const check = checkTaskOperation('reject', task.state);
  if (!check.ok) return check;
  if (task.rejection_count >= maxRetries) return ok(completed(task, { failed: true, failure_reason: reason }, now));
  return ok({ ...task, state: 'PENDING', cell_id: '', rejection_count: task.rejection_count + 1, rejection_reason: truncateReason(reason), updated_at: now });
}

/** Convergence fails a task (`not started within time limit`, `cell disappeared before completion`). */
export function failTask(task: Task, reason: string, now: number): Result<Task> {
  const check = checkTaskOperation('fail', task.state);
  if (!check.ok) return check;
  return ok(completed(task, { failed: true, failure_reason: reason }, now));
}

/** A client (or the callback worker) takes the completed task: COMPLETED → RESOLVING. */
export function resolvingTask(task: Task, now: number): Result<Task> {
  const check = checkTaskOperation('resolving', task.state);
  if (!check.ok) return check;
  return ok({ ...task, state: 'RESOLVING', updated_at: now });
}

/**
 * Convergence hands a RESOLVING task nobody finished back: RESOLVING → COMPLETED. `updated_at`
 * is left alone (as BBS's UPDATE does), so the same pass may resubmit its callback.
 */
export function demoteResolvingTask(task: Task): Result<Task> {
  const check = checkTaskOperation('demote', task.state);
  if (!check.ok) return check;
  return ok({ ...task, state: 'COMPLETED' });
}

/** Whether the task may be deleted: COMPLETED or RESOLVING (API.md's `DELETE /v1/tasks/:guid`). */
export function checkTaskDeletable(task: Task): Check {
  return checkTaskOperation('delete', task.state);
}

function completed(task: Task, completion: TaskCompletion, now: number): Task {
  return {
    ...task,
    state: 'COMPLETED',
    cell_id: '',
    failed: completion.failed,
    failure_reason: truncateReason(completion.failure_reason ?? ''),
    result: completion.failed ? '' : truncateUtf8(completion.result ?? '', MAX_TASK_RESULT_BYTES),
    updated_at: now,
    first_completed_at: now,
  };
}
