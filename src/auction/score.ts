/**
 * Diego's scores (auction:auctionrunner/cell.go, rep:resources.go `ComputeScore`); lower wins.
 *
 *   remaining     = available − need                 (memory, disk, containers − 1)
 *   resourceScore = mean over memory, disk, containers of (1 − remaining / total)
 *   LRP score     = resourceScore + starting × startingContainerWeight
 *                   + 1000 × instances of the same process guid on the cell
 *                   + position of the cell in its zone × binPackFirstFitWeight
 *   task score    = resourceScore + starting × startingContainerWeight + 1000 × tasks on the cell
 *
 * So: never co-locate instances (or tasks) while a cell without one fits, then avoid cells busy
 * starting containers, then balance memory, disk and container use equally. The plain functions
 * take values (an LRP's need then includes the cell's proxy memory); `CellScores` scores the
 * auction's `CellTable` and holds the scan the auction runs per placement.
 */
import type { CellTable } from './cell-table.js';
import { LOCALITY_OFFSET, type Resources } from './types.js';

/** Weights the scan needs, resolved once per auction. */
export interface ScoreWeights {
  startingContainerWeight: number;
  binPackFirstFitWeight: number;
}

/**
 * Mean used fraction of memory, disk and containers once the work is placed. `inv*` are
 * 1 / total (0 for a zero total, which then counts as fully used instead of NaN).
 */
export function resourceScoreOf(
  remainingMemory: number, remainingDisk: number, remainingContainers: number,
  invTotalMemory: number, invTotalDisk: number, invTotalContainers: number,
): number {
  return (
    (1 - remainingMemory * invTotalMemory) +
    (1 - remainingDisk * invTotalDisk) +
    (1 - remainingContainers * invTotalContainers)
  ) / 3;
}

/** Resource score of placing `need` on a cell with `available` out of `total`. */
export function resourceScore(available: Resources, total: Resources, need: { memory_mb: number; disk_mb: number }): number {
  return resourceScoreOf(
    available.memory_mb - need.memory_mb, available.disk_mb - need.disk_mb, available.containers - 1,
    inverse(total.memory_mb), inverse(total.disk_mb), inverse(total.containers),
  );
}

/** Inputs to one cell's score besides its resources. */
export interface CellLoad {
  starting: number;
  /** LRP: instances of the same process guid on the cell; task: tasks on the cell. */
  colocated: number;
  /** The cell's position in its zone (LRPs only; 0 when bin-packing is off). */
  binIndex?: number;
}

/** Score of an LRP instance on a cell. */
export function lrpScore(
  available: Resources, total: Resources, need: { memory_mb: number; disk_mb: number },
  load: CellLoad, weights: ScoreWeights,
): number {
  return resourceScore(available, total, need) + load.starting * weights.startingContainerWeight +
    LOCALITY_OFFSET * load.colocated + (load.binIndex ?? 0) * weights.binPackFirstFitWeight;
}

/** Score of a task on a cell. */
export function taskScore(
  available: Resources, total: Resources, need: { memory_mb: number; disk_mb: number },
  load: CellLoad, weights: ScoreWeights,
): number {
  return resourceScore(available, total, need) + load.starting * weights.startingContainerWeight +
    LOCALITY_OFFSET * load.colocated;
}

/**
 * Every cell's score split into what the request does not change (`lrpBase`, `taskBase`) and
 * per-MB coefficients, so scoring a request on a cell is `base + memory × memoryCoefficient +
 * disk × diskCoefficient (+ 1000 × local instances)`: the same formula as above, regrouped
 * (resourceScore = ((1 − am/tm) + (1 − ad/td) + (1 − (ac − 1)/tc)) / 3 + m/(3 tm) + d/(3 td)).
 * `refresh(c)` after every reservation on `c` keeps it current.
 */
export class CellScores {
  /** LRP score of cell c less the request's share; includes the cell's proxy memory. */
  readonly lrpBase: Float64Array;
  /** Task score of cell c less the request's share; includes 1000 × tasks on the cell. */
  readonly taskBase: Float64Array;
  readonly memoryCoefficient: Float64Array;
  readonly diskCoefficient: Float64Array;

  constructor(private readonly t: CellTable, private readonly w: ScoreWeights) {
    this.lrpBase = new Float64Array(t.size);
    this.taskBase = new Float64Array(t.size);
    this.memoryCoefficient = new Float64Array(t.size);
    this.diskCoefficient = new Float64Array(t.size);
    for (let c = 0; c < t.size; c++) {
      this.memoryCoefficient[c] = t.invTotalMemory[c] / 3;
      this.diskCoefficient[c] = t.invTotalDisk[c] / 3;
      this.refresh(c);
    }
  }

  /** Recompute cell c's bases from the table (after a reservation on it). */
  refresh(c: number): void {
    const t = this.t;
    const resources = resourceScoreOf(t.availableMemory[c], t.availableDisk[c], t.availableContainers[c] - 1, t.invTotalMemory[c], t.invTotalDisk[c], t.invTotalContainers[c]);
    const starting = t.starting[c] * this.w.startingContainerWeight;
    this.lrpBase[c] = resources + t.proxyMemory[c] * this.memoryCoefficient[c] + starting + t.binIndex[c] * this.w.binPackFirstFitWeight;
    this.taskBase[c] = resources + starting + LOCALITY_OFFSET * t.taskCount[c];
  }

  /** Score of an LRP instance on cell c, or `Infinity` if it does not fit; `t.local` must hold its guid's counts. */
  lrpScoreAt(c: number, memoryMb: number, diskMb: number): number {
    const t = this.t;
    if (t.availableMemory[c] - t.proxyMemory[c] < memoryMb || t.availableDisk[c] < diskMb || t.availableContainers[c] < 1) return Infinity;
    return this.lrpBase[c] + memoryMb * this.memoryCoefficient[c] + diskMb * this.diskCoefficient[c] + LOCALITY_OFFSET * t.local[c];
  }

  /** Score of a task on cell c, or `Infinity` if it does not fit. */
  taskScoreAt(c: number, memoryMb: number, diskMb: number): number {
    const t = this.t;
    if (t.availableMemory[c] < memoryMb || t.availableDisk[c] < diskMb || t.availableContainers[c] < 1) return Infinity;
    return this.taskBase[c] + memoryMb * this.memoryCoefficient[c] + diskMb * this.diskCoefficient[c];
  }

  /** Cell chosen by the scans since `beginScan()`, or -1; and its score. */
  winner = -1;
  best = Infinity;

  /** Start a new choice of cell. */
  beginScan(): void {
    this.winner = -1;
    this.best = Infinity;
  }

  /**
   * Consider cells `members` for an LRP instance: any that fits and scores below the best so far
   * (or equal to it and earlier in table order) becomes `winner`. `t.local` must hold the
   * instance counts of the LRP's process guid. No allocation: this is the auction's hot loop.
   */
  scanLrp(members: Int32Array, memoryMb: number, diskMb: number): void {
    const t = this.t;
    const memory = t.availableMemory, proxy = t.proxyMemory, disk = t.availableDisk, containers = t.availableContainers;
    const base = this.lrpBase, mc = this.memoryCoefficient, dc = this.diskCoefficient, local = t.local;
    let winner = this.winner;
    let best = this.best;
    for (let k = 0; k < members.length; k++) {
      const c = members[k];
      if (memory[c] - proxy[c] < memoryMb || disk[c] < diskMb || containers[c] < 1) continue;
      const score = base[c] + memoryMb * mc[c] + diskMb * dc[c] + LOCALITY_OFFSET * local[c];
      if (score < best || (score === best && c < winner)) {
        best = score;
        winner = c;
      }
    }
    this.winner = winner;
    this.best = best;
  }

  /** As `scanLrp`, for a task (co-location counts tasks on the cell). */
  scanTask(members: Int32Array, memoryMb: number, diskMb: number): void {
    const t = this.t;
    const memory = t.availableMemory, disk = t.availableDisk, containers = t.availableContainers;
    const base = this.taskBase, mc = this.memoryCoefficient, dc = this.diskCoefficient;
    let winner = this.winner;
    let best = this.best;
    for (let k = 0; k < members.length; k++) {
      const c = members[k];
      if (memory[c] < memoryMb || disk[c] < diskMb || containers[c] < 1) continue;
      const score = base[c] + memoryMb * mc[c] + diskMb * dc[c];
      if (score < best || (score === best && c < winner)) {
        best = score;
        winner = c;
      }
    }
    this.winner = winner;
    this.best = best;
  }
}

function inverse(total: number): number {
  return total > 0 ? 1 / total : 0;
}
