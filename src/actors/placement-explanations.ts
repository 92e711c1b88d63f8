/**
 * The latest placement failure of each LRP instance and task that is still unplaced, with the
 * auction's cell-by-cell explanation (auction/explain.ts), for `GET .../placement`. Written by the
 * auction round as it reports a failure, read by the gateway, cleared when a round places the
 * work and by the EventHub's events when the instance is claimed or removed, or the task started
 * or removed.
 *
 * Memory is bounded whatever the cluster holds: one entry per unplaced instance or task (the
 * latest failure replaces the one before), at most `maxEntries` of each kind, an explanation of
 * at most `maxCells` rows, and at most `maxRows` rows in all the distinct explanations kept
 * (~115 B a row, measured: 100k rows ≈ 12 MB; 100 cells × 10k distinct needs would be 115 MB).
 * Past a bound the oldest failure is dropped (the route then answers from the row's
 * `placement_error` alone). A round explains each distinct need once, so the failed instances of
 * one LRP share one explanation (counted once). Not persisted: a restarted control explains the
 * failures of its next rounds.
 */
import type { AuctorEvent } from '../models/events.js';
import type { CellShortfall } from '../auction/explain.js';

/** One failure as the auction round saw it. */
export interface PlacementFailure {
  /** the placement that failed (an LRP's instance guid; '' for a task) */
  instance_guid: string;
  placement_error: string;
  /** ns since the epoch */
  at: number;
  /** the cells the round considered, closest first (auction/explain.ts) */
  cells: readonly CellShortfall[];
  /** cells past the cap, left out */
  omitted_cells: number;
}

/** Defaults: enough for a console, small against 250k instances (~15 MB at most). */
export const DEFAULT_MAX_EXPLAINED = 10_000;
export const DEFAULT_MAX_EXPLAINED_CELLS = 100;
export const DEFAULT_MAX_EXPLAINED_ROWS = 100_000;

/** What a placed instance or task is marked with until its claim or start (`isPlaced`). */
const PLACED: PlacementFailure = Object.freeze({ instance_guid: '', placement_error: '', at: 0, cells: [], omitted_cells: 0 });

/** Whether `failure` is the mark of work a round placed (so nothing failed). */
export const isPlaced = (failure: PlacementFailure | undefined): boolean => failure === PLACED;

const lrpKey = (processGuid: string, index: number) => `${processGuid}/${index}`;

export class PlacementExplanations {
  // insertion order is age: a new failure of a key is deleted and set again, so the first is the oldest
  private readonly lrps = new Map<string, PlacementFailure>();
  private readonly tasks = new Map<string, PlacementFailure>();
  /** entries per distinct explanation (its `cells` array), and their rows in all */
  private readonly shared = new Map<readonly CellShortfall[], number>();
  private rows = 0;

  constructor(
    readonly maxEntries = DEFAULT_MAX_EXPLAINED,
    /** rows kept per explanation (the round passes it to `explainPlacement`) */
    readonly maxCells = DEFAULT_MAX_EXPLAINED_CELLS,
    readonly maxRows = DEFAULT_MAX_EXPLAINED_ROWS,
  ) {}

  /** Keeps the failure of instance `index` of `processGuid`, replacing an older one. */
  recordLrp(processGuid: string, index: number, failure: PlacementFailure): void {
    this.put(this.lrps, lrpKey(processGuid, index), failure);
  }

  recordTask(taskGuid: string, failure: PlacementFailure): void {
    this.put(this.tasks, taskGuid, failure);
  }

  /**
   * A cell took the instance's work: its failure is history. The row stays UNCLAIMED (with its
   * old placement_error) until the claim, so a mark says so meanwhile; the claim's event clears it.
   */
  placedLrp(processGuid: string, index: number): void {
    if (this.lrps.has(lrpKey(processGuid, index))) this.put(this.lrps, lrpKey(processGuid, index), PLACED);
  }

  /** A cell took the task: marked until it starts (a PENDING task keeps its rejection_reason). */
  placedTask(taskGuid: string): void {
    if (this.tasks.has(taskGuid)) this.put(this.tasks, taskGuid, PLACED);
  }

  /** The latest failure kept for the instance, if any (the caller checks it is still unplaced). */
  lrp(processGuid: string, index: number): PlacementFailure | undefined {
    return this.lrps.get(lrpKey(processGuid, index));
  }

  task(taskGuid: string): PlacementFailure | undefined {
    return this.tasks.get(taskGuid);
  }

  /** Entries kept, and the rows of their distinct explanations. */
  size(): { lrps: number; tasks: number; rows: number } {
    return { lrps: this.lrps.size, tasks: this.tasks.size, rows: this.rows };
  }

  /** The EventHub's subscriber: a placed or removed instance or task forgets its failure. */
  onEvent(event: AuctorEvent): void {
    switch (event.type) {
      case 'actual_lrp_instance_changed': {
        const after = event.data.after;
        if (after.presence === 'ORDINARY' && after.state !== 'UNCLAIMED') this.drop(this.lrps, lrpKey(after.process_guid, after.index));
        return;
      }
      case 'actual_lrp_instance_removed': {
        const row = event.data.actual_lrp;
        if (row.presence === 'ORDINARY') this.drop(this.lrps, lrpKey(row.process_guid, row.index));
        return;
      }
      case 'desired_lrp_removed': {
        const prefix = `${event.data.desired_lrp.process_guid}/`;
        // at most maxEntries keys
        for (const key of [...this.lrps.keys()]) if (key.startsWith(prefix)) this.drop(this.lrps, key);
        return;
      }
      case 'task_changed':
        if (event.data.after.cell_id !== '') this.drop(this.tasks, event.data.after.task_guid);
        return;
      case 'task_removed':
        this.drop(this.tasks, event.data.task.task_guid);
        return;
      default:
        return;
    }
  }

  private put(map: Map<string, PlacementFailure>, key: string, failure: PlacementFailure): void {
    this.drop(map, key);
    map.set(key, failure);
    const count = this.shared.get(failure.cells) ?? 0;
    this.shared.set(failure.cells, count + 1);
    if (count === 0) this.rows += failure.cells.length;
    // the oldest of the fuller kind goes first
    while (map.size > this.maxEntries || this.rows > this.maxRows) {
      const from = map.size > this.maxEntries ? map : this.lrps.size >= this.tasks.size ? this.lrps : this.tasks;
      const oldest = from.keys().next();
      if (oldest.done) break;
      this.drop(from, oldest.value);
    }
  }

  private drop(map: Map<string, PlacementFailure>, key: string): void {
    const failure = map.get(key);
    if (!failure) return;
    map.delete(key);
    const count = this.shared.get(failure.cells)!;
    if (count > 1) this.shared.set(failure.cells, count - 1);
    else {
      this.shared.delete(failure.cells);
      this.rows -= failure.cells.length;
    }
  }
}
