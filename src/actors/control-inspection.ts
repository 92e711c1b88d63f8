/**
 * What the operator console asks of the control besides the listings: why an instance or task is
 * not placed (placement-explanations.ts) and an instance's timeline (actual-lrp.timeline.ts).
 * Read from the query index, the placement store and the journals: no actor is asked or woken.
 */
import type { CellShortfall } from '../auction/explain.js';
import { restartSettingsFor } from '../models/crash-policy.js';
import type { PersistenceEngine } from '../runtime/persistence/engine.js';
import { actualLrpKey } from './actual-lrp.rows.js';
import { readInstanceTimeline, type TimelineEntry } from './actual-lrp.timeline.js';
import type { ControlSettings } from './control-deps.js';
import { isPlaced, type PlacementExplanations, type PlacementFailure } from './placement-explanations.js';
import type { QueryIndex, UnreadableKind } from './query-index.js';

/** Why the last placement of an unplaced instance failed, cell by cell. */
export interface InstancePlacement {
  process_guid: string;
  index: number;
  /** the placement that failed; '' when only the row's `placement_error` is known (see `cells`) */
  instance_guid: string;
  placement_error: string;
  /** ns since the epoch */
  at: number;
  /** closest first; empty when the failure was not explained (no cell answered, or the explanation was dropped) */
  cells: readonly CellShortfall[];
  omitted_cells: number;
}

/** The same for a task (`instance_guid` is not part of it). */
export type TaskPlacement = Omit<InstancePlacement, 'process_guid' | 'index' | 'instance_guid'> & { task_guid: string };

/** A timeline: the instance's entries, oldest first. */
export interface InstanceTimeline {
  process_guid: string;
  index: number;
  entries: TimelineEntry[];
}

const unexplained = (placement_error: string, at: number): Omit<PlacementFailure, 'instance_guid'> => ({ placement_error, at, cells: [], omitted_cells: 0 });

export class ControlInspection {
  constructor(
    private readonly queries: QueryIndex,
    private readonly placements: PlacementExplanations,
    private readonly engine: PersistenceEngine | undefined,
    private readonly settings: ControlSettings,
    /** waits until the index can answer for these kinds (Control's `indexed`) */
    private readonly indexed: (kinds: readonly UnreadableKind[]) => Promise<void>,
  ) {}

  /**
   * The last failure of the instance's placement, while its ORDINARY row is UNCLAIMED; undefined
   * when the instance is unknown, placed, or not failed (waiting for its first auction).
   */
  async instancePlacement(processGuid: string, index: number): Promise<InstancePlacement | undefined> {
    await this.indexed(['lrp', 'instances']);
    const row = this.queries.actualLrps({ process_guid: processGuid, index }).find((a) => a.presence === 'ORDINARY');
    if (row?.state !== 'UNCLAIMED') return undefined;
    const kept = this.placements.lrp(processGuid, index);
    if (isPlaced(kept)) return undefined;
    if (kept) return { process_guid: processGuid, index, ...kept };
    // failed before this control started, or dropped past the store's cap: the row still says why
    return row.placement_error === '' ? undefined : { process_guid: processGuid, index, instance_guid: '', ...unexplained(row.placement_error, row.since) };
  }

  /** The last placement failure of a task that never got a cell (PENDING again, or COMPLETED failed). */
  async taskPlacement(taskGuid: string): Promise<TaskPlacement | undefined> {
    await this.indexed(['task']);
    const task = this.queries.task(taskGuid);
    if (!task || task.cell_id !== '') return undefined;
    const kept = this.placements.task(taskGuid);
    if (isPlaced(kept)) return undefined;
    if (kept) {
      const { instance_guid: _none, ...failure } = kept;
      return { task_guid: taskGuid, ...failure };
    }
    // rejected before this control started (or dropped past the cap): the task still says why
    return task.state === 'PENDING' && task.rejection_reason !== '' ? { task_guid: taskGuid, ...unexplained(task.rejection_reason, task.updated_at) } : undefined;
  }

  /**
   * The last `limit` entries of the instance's timeline from its journal; undefined when the LRP
   * is unknown or `index` is not below its instances.
   */
  async instanceTimeline(processGuid: string, index: number, limit: number): Promise<InstanceTimeline | undefined> {
    await this.indexed(['lrp']);
    const desired = this.queries.desiredLrp(processGuid);
    if (!desired || index >= desired.instances) return undefined;
    const key = actualLrpKey(processGuid, desired.modification_tag.epoch, index);
    const settings = restartSettingsFor(this.settings.restart, desired.crash_policy);
    const entries = this.engine ? await readInstanceTimeline(this.engine, key, limit, settings) : [];
    return { process_guid: processGuid, index, entries };
  }
}
