import type { Ref } from '../runtime/kernel/protocol.js';
import type { CellReport } from './cell.protocol.js';
import type { Result } from '../base/errors.js';
import type { Task } from '../models/task.js';
import type { TaskAuctionResult } from './auctioneer.protocol.js';

export type TaskReport = Extract<CellReport, { type: 'cell-report/task-started' | 'cell-report/task-completed' }>;

export type TaskMsg =
  /** the first message of a new task: persist it, publish, auction it */
  | { type: 'task/create'; task: Task; replyTo: Ref<Result<Task>> }
  /** after recovery: resume what the state asks for (auction, callback, expiry) */
  | { type: 'task/resume' }
  | { type: 'task/get'; replyTo: Ref<Task | undefined> }
  | { type: 'task/cancel'; replyTo: Ref<Result<Task>> }
  /** the client takes the result: COMPLETED/RESOLVING → deleted */
  | { type: 'task/resolve'; replyTo: Ref<Result<Task>> }
  /** convergence: fail it (expired, cell gone), auction it again, demote, delete, resubmit its callback */
  | { type: 'task/converge'; action: 'fail' | 'reauction' | 'demote' | 'delete' | 'callback'; reason?: string }
  | { type: 'task/report'; report: TaskReport }
  | TaskAuctionResult;
