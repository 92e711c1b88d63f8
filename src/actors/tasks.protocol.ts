import type { Ref } from '../runtime/kernel/protocol.js';
import type { Result } from '../base/errors.js';
import type { Task } from '../models/task.js';
import type { TaskReport } from './task.protocol.js';

export interface TaskFilter {
  domain?: string;
  cell_id?: string;
}

export type TasksMsg =
  /** after spawn (and recovery): respawn one actor per known task */
  | { type: 'tasks/init' }
  /** a create request as parsed JSON: validation errors come back as data */
  | { type: 'tasks/desire'; input: unknown; replyTo: Ref<Result<Task>> }
  | { type: 'tasks/cancel'; task_guid: string; replyTo: Ref<Result<Task>> }
  /** the deleted task; undefined for a quarantined one (it could not be read) */
  | { type: 'tasks/resolve'; task_guid: string; replyTo: Ref<Result<Task | undefined>> }
  | { type: 'tasks/get'; task_guid: string; replyTo: Ref<Task | undefined> }
  | { type: 'tasks/list'; filter: TaskFilter; replyTo: Ref<Task[]> }
  | { type: 'tasks/report'; report: TaskReport }
  /** a task actor deleted its task: forget it and stop the actor */
  | { type: 'tasks/deleted'; task_guid: string }
  /** a cell's container list: a task container nobody accounts for is cancelled or destroyed */
  | { type: 'tasks/reconcile'; cell_id: string; containers: Array<{ task_guid: string; state: 'RUNNING' | 'COMPLETED' }> }
  /** convergence: one pass of the task plan; during the grace after a start only the `heardCells` may be judged missing */
  | { type: 'tasks/converge'; presentCells: string[]; heardCells?: string[] };

export const TasksMsg = {
  init: (): TasksMsg => ({ type: 'tasks/init' }),
  desire: (input: unknown, replyTo: Ref<Result<Task>>): TasksMsg => ({ type: 'tasks/desire', input, replyTo }),
  cancel: (task_guid: string, replyTo: Ref<Result<Task>>): TasksMsg => ({ type: 'tasks/cancel', task_guid, replyTo }),
  resolve: (task_guid: string, replyTo: Ref<Result<Task | undefined>>): TasksMsg => ({ type: 'tasks/resolve', task_guid, replyTo }),
  get: (task_guid: string, replyTo: Ref<Task | undefined>): TasksMsg => ({ type: 'tasks/get', task_guid, replyTo }),
  list: (filter: TaskFilter, replyTo: Ref<Task[]>): TasksMsg => ({ type: 'tasks/list', filter, replyTo }),
  report: (report: TaskReport): TasksMsg => ({ type: 'tasks/report', report }),
  converge: (presentCells: string[], heardCells?: string[]): TasksMsg => ({ type: 'tasks/converge', presentCells, ...(heardCells ? { heardCells } : {}) }),
};
