import type { Ref } from '../runtime/kernel/protocol.js';
import type { LrpWork } from './cell.protocol.js';
import type { Task } from '../models/task.js';

/** What a round tells the ActualLRP actor that asked. */
export type LrpAuctionResult =
  | { type: 'auction/lrp-placed'; process_guid: string; index: number; instance_guid: string; cell_id: string }
  | { type: 'auction/lrp-failed'; process_guid: string; index: number; instance_guid: string; placement_error: string };

/** What a round tells the task actor that asked. */
export type TaskAuctionResult =
  | { type: 'auction/task-placed'; task_guid: string; cell_id: string }
  | { type: 'auction/task-failed'; task_guid: string; placement_error: string };

export interface LrpStart {
  work: LrpWork;
  replyTo: Ref<LrpAuctionResult>;
}

export interface TaskStart {
  task: Task;
  replyTo: Ref<TaskAuctionResult>;
}

export type AuctioneerMsg =
  | { type: 'auctioneer/start-lrps'; starts: LrpStart[] }
  | { type: 'auctioneer/start-tasks'; starts: TaskStart[] };

export const AuctioneerMsg = {
  startLrps: (starts: LrpStart[]): AuctioneerMsg => ({ type: 'auctioneer/start-lrps', starts }),
  startTasks: (starts: TaskStart[]): AuctioneerMsg => ({ type: 'auctioneer/start-tasks', starts }),
};
