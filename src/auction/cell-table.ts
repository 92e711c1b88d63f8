/**
 * The auction's working copy of the cell states, laid out as parallel typed arrays (one slot per
 * cell) so the per-placement scan touches numbers only and allocates nothing. Reservations debit
 * this copy (Diego's `CellState.AddLRP`/`AddTask`), never the caller's `CellState` objects.
 *
 * Instances per process guid are kept per guid as a short list of (cell, count) pairs, updated on
 * reservation: scoring one LRP costs O(cells holding that guid), never a scan of a cell's LRPs.
 */
import type { CellState } from './types.js';

/** The cells holding instances of one process guid, and how many each holds. */
export interface GuidInstances {
  readonly cells: number[];
  readonly counts: number[];
}

export class CellTable {
  readonly size: number;
  readonly cellIds: readonly string[];
  /** Zone names in order of first appearance; `zoneOf[c]` indexes this. */
  readonly zoneNames: readonly string[];
  readonly zoneOf: Int32Array;
  readonly availableMemory: Float64Array;
  readonly availableDisk: Float64Array;
  readonly availableContainers: Float64Array;
  readonly totalMemory: Float64Array;
  readonly totalDisk: Float64Array;
  readonly totalContainers: Float64Array;
  /** 1 / total, or 0 for a zero total (the dimension then counts as fully used, never NaN). */
  readonly invTotalMemory: Float64Array;
  readonly invTotalDisk: Float64Array;
  readonly invTotalContainers: Float64Array;
  readonly proxyMemory: Float64Array;
  readonly starting: Float64Array;
  readonly taskCount: Float64Array;
  /** The cell's position within its zone, ordered by `cell_index` (Diego `normaliseCellIndices`). */
  readonly binIndex: Float64Array;
  /**
   * Scratch: instances of the guid being scored, per cell. All zero except between
   * `loadLocal(entry)` and `clearLocal(entry)`.
   */
  readonly local: Float64Array;
  private readonly byGuid = new Map<string, GuidInstances>();

  /**
   * `cells` must already exclude cells that take no work (evacuating). With `guids`, only the
   * instances of those process guids are indexed: locality only compares an LRP with its own
   * guid, so a round needs the guids it places, not every instance the cells hold (an auctioneer
   * placing a few hundred instances beside 100k running ones indexed all 100k every round).
   */
  constructor(cells: readonly CellState[], guids?: ReadonlySet<string>) {
    const n = cells.length;
    this.size = n;
    this.cellIds = cells.map((c) => c.cell_id);
    this.zoneOf = new Int32Array(n);
    this.availableMemory = new Float64Array(n);
    this.availableDisk = new Float64Array(n);
    this.availableContainers = new Float64Array(n);
    this.totalMemory = new Float64Array(n);
    this.totalDisk = new Float64Array(n);
    this.totalContainers = new Float64Array(n);
    this.invTotalMemory = new Float64Array(n);
    this.invTotalDisk = new Float64Array(n);
    this.invTotalContainers = new Float64Array(n);
    this.proxyMemory = new Float64Array(n);
    this.starting = new Float64Array(n);
    this.taskCount = new Float64Array(n);
    this.binIndex = new Float64Array(n);
    this.local = new Float64Array(n);

    const zoneIndex = new Map<string, number>();
    const zoneNames: string[] = [];
    for (let c = 0; c < n; c++) {
      const cell = cells[c];
      let z = zoneIndex.get(cell.zone);
      if (z === undefined) {
        z = zoneNames.length;
        zoneIndex.set(cell.zone, z);
        zoneNames.push(cell.zone);
      }
      this.zoneOf[c] = z;
      this.availableMemory[c] = cell.available_resources.memory_mb;
      this.availableDisk[c] = cell.available_resources.disk_mb;
      this.availableContainers[c] = cell.available_resources.containers;
      this.totalMemory[c] = cell.total_resources.memory_mb;
      this.totalDisk[c] = cell.total_resources.disk_mb;
      this.totalContainers[c] = cell.total_resources.containers;
      this.invTotalMemory[c] = inverse(cell.total_resources.memory_mb);
      this.invTotalDisk[c] = inverse(cell.total_resources.disk_mb);
      this.invTotalContainers[c] = inverse(cell.total_resources.containers);
      this.proxyMemory[c] = cell.proxy_memory_allocation_mb ?? 0;
      this.starting[c] = cell.starting_container_count;
      this.taskCount[c] = cell.tasks.length;
      for (const lrp of cell.lrps) if (guids === undefined || guids.has(lrp.process_guid)) this.addInstance(lrp.process_guid, c);
    }
    this.zoneNames = zoneNames;

    const byZone = zoneNames.map(() => [] as number[]);
    for (let c = 0; c < n; c++) byZone[this.zoneOf[c]].push(c);
    for (const members of byZone) {
      members.sort((a, b) => (cells[a].cell_index ?? a) - (cells[b].cell_index ?? b) || a - b);
      members.forEach((c, position) => (this.binIndex[c] = position));
    }
  }

  /** Cells holding instances of `processGuid` (including ones reserved in this auction); a guid left out of the constructor's `guids` reads as none until reserved. */
  instancesOf(processGuid: string): GuidInstances | undefined {
    return this.byGuid.get(processGuid);
  }

  /** Fill `local` with the per-cell instance counts of `entry`. */
  loadLocal(entry: GuidInstances): void {
    const { cells, counts } = entry;
    for (let k = 0; k < cells.length; k++) this.local[cells[k]] = counts[k];
  }

  /** Zero `local` again after `loadLocal(entry)`. */
  clearLocal(entry: GuidInstances): void {
    const cells = entry.cells;
    for (let k = 0; k < cells.length; k++) this.local[cells[k]] = 0;
  }

  /** Debit cell `c` for an LRP instance (memory includes the cell's proxy allocation). */
  reserveLrp(c: number, processGuid: string, memoryMb: number, diskMb: number): void {
    this.availableMemory[c] -= memoryMb + this.proxyMemory[c];
    this.availableDisk[c] -= diskMb;
    this.availableContainers[c] -= 1;
    this.starting[c] += 1;
    this.addInstance(processGuid, c);
  }

  /** Debit cell `c` for a task. */
  reserveTask(c: number, memoryMb: number, diskMb: number): void {
    this.availableMemory[c] -= memoryMb;
    this.availableDisk[c] -= diskMb;
    this.availableContainers[c] -= 1;
    this.starting[c] += 1;
    this.taskCount[c] += 1;
  }

  /** Total containers being started across the table's cells. */
  startingTotal(): number {
    let sum = 0;
    for (let c = 0; c < this.size; c++) sum += this.starting[c];
    return sum;
  }

  private addInstance(processGuid: string, c: number): void {
    let entry = this.byGuid.get(processGuid);
    if (entry === undefined) {
      entry = { cells: [], counts: [] };
      this.byGuid.set(processGuid, entry);
    }
    const at = entry.cells.lastIndexOf(c);
    if (at >= 0) entry.counts[at] += 1;
    else {
      entry.cells.push(c);
      entry.counts.push(1);
    }
  }
}

function inverse(total: number): number {
  return total > 0 ? 1 / total : 0;
}
