/**
 * One Task convergence pass as a plan (bbs:db/sqldb/task_convergence.go; DIEGO.md 3.4, 3.5).
 * Pure: `now` is ns, settings ms. Steps, in BBS's order:
 *
 * | case                                                         | list              | caller does                                 |
 * |--------------------------------------------------------------|-------------------|---------------------------------------------|
 * | PENDING, `created_at` older than `expirePendingTaskMs`       | fail              | `failTask(…, 'not started within time limit')` |
 * | other PENDING not updated for `kickTaskMs`                   | reauctionPending  | auction again (one batch)                   |
 * | RUNNING on a cell not present                                | fail              | `failTask(…, 'cell disappeared before completion')` |
 * | RESOLVING not updated for `kickTaskMs`                       | demoteResolving   | `demoteResolvingTask` (RESOLVING → COMPLETED) |
 * | COMPLETED (or just demoted) with `first_completed_at` older than `completedTaskTtlMs` | deleteCompleted | delete, `task_removed` |
 * | COMPLETED (or just demoted) not updated for `kickTaskMs`, with a callback URL | resubmitCallbacks | callback worker again |
 *
 * A RESOLVING task that is both stale and expired is only deleted (BBS demotes then deletes it in
 * the same pass). Re-auctioning only PENDING tasks idle for `kickTaskMs` is BBS's
 * `updated_at < now - kick` query: a task just desired or just rejected is already in, or just
 * out of, an auction; so a task rejected 3 times fails after about 4 kicks (vizzini's
 * `30 s × (retries + 1)`). Set `kickTaskMs: 0` to re-auction every PENDING task each pass.
 */
import type { Task } from './task.js';
import { TASK_CELL_DISAPPEARED_REASON, TASK_EXPIRED_PENDING_REASON } from './task-lifecycle.js';
import { msToNs } from './time.js';

export interface TaskConvergenceSettings {
  /** PENDING longer than this fails (BBS `expire_pending_task_duration`, 30 min) */
  expirePendingTaskMs: number;
  /** idle PENDING is re-auctioned, RESOLVING demoted, callbacks resubmitted after this (30 s) */
  kickTaskMs: number;
  /** completed tasks are deleted this long after first completion (`--completed-task-ttl-ms`) */
  completedTaskTtlMs: number;
}

export const DEFAULT_TASK_CONVERGENCE_SETTINGS: Readonly<TaskConvergenceSettings> = Object.freeze({
  expirePendingTaskMs: 1_800_000,
  kickTaskMs: 30_000,
  completedTaskTtlMs: 120_000,
});

export interface TaskConvergenceCounts {
  pending: number;
  running: number;
  completed: number;
  resolving: number;
  /** failed + re-auctioned + callbacks resubmitted (ConvergenceTasksKicked) */
  kicked: number;
  /** deleted (ConvergenceTasksPruned) */
  pruned: number;
}

export interface TaskConvergencePlan {
  fail: { task: Task; reason: string }[];
  reauctionPending: Task[];
  demoteResolving: Task[];
  deleteCompleted: Task[];
  resubmitCallbacks: Task[];
  counts: TaskConvergenceCounts;
}

/** Plans one Task convergence pass at `now` (ns). Lists are sorted by task_guid. */
export function planTaskConvergence(
  tasks: readonly Task[],
  presentCells: Iterable<string>,
  now: number,
  overrides: Partial<TaskConvergenceSettings> = {},
): TaskConvergencePlan {
  const settings = { ...DEFAULT_TASK_CONVERGENCE_SETTINGS, ...overrides };
  const present = new Set(presentCells);
  const idle = (task: Task) => now - task.updated_at > msToNs(settings.kickTaskMs);
  const plan: TaskConvergencePlan = {
    fail: [], reauctionPending: [], demoteResolving: [], deleteCompleted: [], resubmitCallbacks: [],
    counts: { pending: 0, running: 0, completed: 0, resolving: 0, kicked: 0, pruned: 0 },
  };
  const expired: Task[] = [];
  const disappeared: Task[] = [];
  const sorted = [...tasks].sort((a, b) => (a.task_guid < b.task_guid ? -1 : a.task_guid > b.task_guid ? 1 : 0));
  for (const task of sorted) {
    switch (task.state) {
      case 'PENDING':
        plan.counts.pending++;
        if (now - task.created_at > msToNs(settings.expirePendingTaskMs)) expired.push(task);
        else if (idle(task)) plan.reauctionPending.push(task);
        break;
      case 'RUNNING':
        plan.counts.running++;
        if (!present.has(task.cell_id)) disappeared.push(task);
        break;
      case 'RESOLVING':
        plan.counts.resolving++;
        if (!idle(task)) break;
        if (completedExpired(task, now, settings)) plan.deleteCompleted.push(task);
        else {
          plan.demoteResolving.push(task);
          if (task.completion_callback_url) plan.resubmitCallbacks.push(task);
        }
        break;
      case 'COMPLETED':
        plan.counts.completed++;
        if (completedExpired(task, now, settings)) plan.deleteCompleted.push(task);
        else if (idle(task) && task.completion_callback_url) plan.resubmitCallbacks.push(task);
        break;
    }
  }
  plan.fail = [
    ...expired.map((task) => ({ task, reason: TASK_EXPIRED_PENDING_REASON })),
    ...disappeared.map((task) => ({ task, reason: TASK_CELL_DISAPPEARED_REASON })),
  ];
  plan.counts.kicked = plan.fail.length + plan.reauctionPending.length + plan.resubmitCallbacks.length;
  plan.counts.pruned = plan.deleteCompleted.length;
  return plan;
}

function completedExpired(task: Task, now: number, settings: TaskConvergenceSettings): boolean {
  return now - task.first_completed_at > msToNs(settings.completedTaskTtlMs);
}
