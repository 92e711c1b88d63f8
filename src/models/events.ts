/**
 * The event stream's model (API.md "Events"; bbs:models/events.go). Each event is `{type, data}`:
 * `type` is the SSE `event` name, `data` the JSON payload. Build them with `Events.*` so callers
 * never hand-build literals; `switch (event.type)` narrows `data`.
 */
import type { ActualLRP } from './actual-lrp.js';
import type { CellPresence } from './cell-state.js';
import type { DesiredLRP } from './desired-lrp.js';
import type { CrashOutcome } from './restart-policy.js';
import type { Task } from './task.js';

/** `actual_lrp_crashed`: the crashed placement (old instance guid and cell) and the new count. */
export interface ActualLrpCrashedData {
  process_guid: string;
  index: number;
  instance_guid: string;
  cell_id: string;
  crash_count: number;
  crash_reason: string;
  /** ns */
  since: number;
}

export type AuctorEvent =
  | { type: 'desired_lrp_created'; data: { desired_lrp: DesiredLRP } }
  | { type: 'desired_lrp_changed'; data: { before: DesiredLRP; after: DesiredLRP } }
  | { type: 'desired_lrp_removed'; data: { desired_lrp: DesiredLRP } }
  | { type: 'actual_lrp_instance_created'; data: { actual_lrp: ActualLRP } }
  | { type: 'actual_lrp_instance_changed'; data: { before: ActualLRP; after: ActualLRP } }
  | { type: 'actual_lrp_instance_removed'; data: { actual_lrp: ActualLRP } }
  | { type: 'actual_lrp_crashed'; data: ActualLrpCrashedData }
  | { type: 'task_created'; data: { task: Task } }
  | { type: 'task_changed'; data: { before: Task; after: Task } }
  | { type: 'task_removed'; data: { task: Task } }
  | { type: 'cell_appeared'; data: { cell: CellPresence } }
  | { type: 'cell_disappeared'; data: { cell_id: string } };

export type EventType = AuctorEvent['type'];

/** The event of one type. */
export type EventOf<T extends EventType> = Extract<AuctorEvent, { type: T }>;

/** Every event type, in API.md's order. */
export const EVENT_TYPES: readonly EventType[] = [
  'desired_lrp_created', 'desired_lrp_changed', 'desired_lrp_removed',
  'actual_lrp_instance_created', 'actual_lrp_instance_changed', 'actual_lrp_instance_removed', 'actual_lrp_crashed',
  'task_created', 'task_changed', 'task_removed',
  'cell_appeared', 'cell_disappeared',
];

/** Constructors. */
export const Events = {
  desiredLrpCreated: (desired_lrp: DesiredLRP): EventOf<'desired_lrp_created'> => ({ type: 'desired_lrp_created', data: { desired_lrp } }),
  desiredLrpChanged: (before: DesiredLRP, after: DesiredLRP): EventOf<'desired_lrp_changed'> => ({ type: 'desired_lrp_changed', data: { before, after } }),
  desiredLrpRemoved: (desired_lrp: DesiredLRP): EventOf<'desired_lrp_removed'> => ({ type: 'desired_lrp_removed', data: { desired_lrp } }),
  actualLrpCreated: (actual_lrp: ActualLRP): EventOf<'actual_lrp_instance_created'> => ({ type: 'actual_lrp_instance_created', data: { actual_lrp } }),
  actualLrpChanged: (before: ActualLRP, after: ActualLRP): EventOf<'actual_lrp_instance_changed'> => ({ type: 'actual_lrp_instance_changed', data: { before, after } }),
  actualLrpRemoved: (actual_lrp: ActualLRP): EventOf<'actual_lrp_instance_removed'> => ({ type: 'actual_lrp_instance_removed', data: { actual_lrp } }),
  /** From the row before the crash (its placement) and after (its count, reason, since). */
  actualLrpCrashed: (before: ActualLRP, after: ActualLRP): EventOf<'actual_lrp_crashed'> => ({
    type: 'actual_lrp_crashed',
    data: {
      process_guid: before.process_guid,
      index: before.index,
      instance_guid: before.instance_guid,
      cell_id: before.cell_id,
      crash_count: after.crash_count,
      crash_reason: after.crash_reason,
      since: after.since,
    },
  }),
  taskCreated: (task: Task): EventOf<'task_created'> => ({ type: 'task_created', data: { task } }),
  taskChanged: (before: Task, after: Task): EventOf<'task_changed'> => ({ type: 'task_changed', data: { before, after } }),
  taskRemoved: (task: Task): EventOf<'task_removed'> => ({ type: 'task_removed', data: { task } }),
  cellAppeared: (cell: CellPresence): EventOf<'cell_appeared'> => ({ type: 'cell_appeared', data: { cell } }),
  cellDisappeared: (cell_id: string): EventOf<'cell_disappeared'> => ({ type: 'cell_disappeared', data: { cell_id } }),
};

/**
 * The events of a crash, in BBS's order (diego-notes "ActualLRP Events"): `actual_lrp_crashed`
 * first, then the row's change; a crashed SUSPECT/EVACUATING copy is just removed.
 */
export function crashEvents(before: ActualLRP, crash: CrashOutcome): AuctorEvent[] {
  if (crash.outcome === 'remove') return [Events.actualLrpRemoved(before)];
  return [Events.actualLrpCrashed(before, crash.actual), Events.actualLrpChanged(before, crash.actual)];
}
