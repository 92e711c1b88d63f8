/**
 * The auction's inputs and outputs, with BBS/rep field names (rep:resources.go `CellState`,
 * `LRP`, `Task`; auction:auctiontypes). Cells are the model's CellState (src/models/); start
 * requests are the auction's own narrow view of an ActualLRP or Task.
 */
import type { CellCapacity, CellState, CellStateLrp, CellStateTask } from '../models/cell-state.js';

// The auction reads the cell state model (src/models/cell-state.ts) under its rep names.
export type { CellState } from '../models/cell-state.js';
export type Resources = CellCapacity;
export type CellLrp = CellStateLrp;
export type CellTask = CellStateTask;

/** One ActualLRP instance to start (rep `LRP`: ActualLRPKey + Resource + PlacementConstraint). */
export interface LrpStartRequest {
  process_guid: string;
  index: number;
  domain: string;
  memory_mb: number;
  disk_mb: number;
  /** `preloaded:<stack>`, `preloaded+layer:<stack>?layer=…`, or any other scheme (`docker:///…`). */
  rootfs: string;
  placement_tags?: readonly string[];
  /** Carried for the cell; not a scheduling dimension (as in Diego). */
  max_pids?: number;
}

/** One Task to start (rep `Task`). */
export interface TaskStartRequest {
  task_guid: string;
  domain: string;
  memory_mb: number;
  disk_mb: number;
  rootfs: string;
  placement_tags?: readonly string[];
}




/** Auctioneer tunables (diego-release:jobs/auctioneer/spec). */
export interface AuctionSettings {
  /** Score added per container the cell is already starting. */
  startingContainerWeight: number;
  /** Score added per position of the cell in its zone (by `cell_index`); 0 disables. */
  binPackFirstFitWeight: number;
  /** Cap on container starts in flight across all cells; 0 = unlimited. */
  startingContainerCountMaximum: number;
}

export const DEFAULT_AUCTION_SETTINGS: Readonly<AuctionSettings> = Object.freeze({
  startingContainerWeight: 0.25,
  binPackFirstFitWeight: 0,
  startingContainerCountMaximum: 0,
});

/** Score added per instance of the same LRP (or per task) already on the cell. */
export const LOCALITY_OFFSET = 1000;

/** Diego's placement error texts (auction:auctiontypes/types.go). Callers match on these. */
export const PlacementErrors = Object.freeze({
  cellCommunication: 'unable to communicate to compatible cells',
  rootfsMismatch: 'found no compatible cell for required rootfs',
  inflightLimit: 'waiting to start instance: reached in-flight start limit',
  insufficientResources: 'insufficient resources',
});

/** How far a cell is from fitting the work, per dimension; only short dimensions appear. */
export interface Shortfall {
  memory_mb?: number;
  disk_mb?: number;
  containers?: number;
}

/** The compatible cell that came closest to fitting work that fitted nowhere. */
export interface BestCandidate {
  cell_id: string;
  shortfall: Shortfall;
}

export interface Placement<R> {
  request: R;
  cell_id: string;
}

export interface Failure<R> {
  request: R;
  /** Diego's text, optionally followed by ` (best candidate … is short …)`. */
  placement_error: string;
  best_candidate?: BestCandidate;
}

export interface AuctionBatch {
  lrps: readonly LrpStartRequest[];
  tasks: readonly TaskStartRequest[];
}

/** Every deduplicated request appears exactly once, as a placement or as a failure, in auction order. */
export interface AuctionResults {
  lrpPlacements: Placement<LrpStartRequest>[];
  taskPlacements: Placement<TaskStartRequest>[];
  lrpFailures: Failure<LrpStartRequest>[];
  taskFailures: Failure<TaskStartRequest>[];
}
