/**
 * Why work was placed on no cell, cell by cell: for each cell the auction could have considered,
 * what it lacked (rootfs, placement tags, memory, disk, a container slot, or it was draining) and
 * by how much. Pure, like the rest of the auction: the auctioneer calls it for a failure, over the
 * cell states the round fetched less what the round placed on them (`debitPlacements`), so it
 * describes the cells as the round left them.
 *
 * `schedule` keeps its own failure text (Diego's, with the best candidate); this is the longer
 * answer the operator console asks for ("why not this cell").
 */
import { providedRootfsKeys, rootfsKey } from './filter.js';
import type { CellState, Placement, LrpStartRequest, TaskStartRequest } from './types.js';

/** What a cell lacked for the work, in this order; `unreachable`: it did not answer the round (the auctioneer adds those). */
export type Lack = 'unreachable' | 'evacuating' | 'rootfs' | 'placement_tags' | 'memory' | 'disk' | 'containers';

/** One cell's answer: what it lacked and how far it was from fitting (0 where it had enough). */
export interface CellShortfall {
  cell_id: string;
  zone: string;
  /** empty for a cell that had room (the round gave it other work first, or refused it itself); shared and frozen */
  lacked: readonly Lack[];
  shortfall: { memory_mb: number; disk_mb: number; containers: number };
}

/** The need of one LRP instance or task. */
export interface WorkNeed {
  memory_mb: number;
  disk_mb: number;
  rootfs: string;
  placement_tags?: readonly string[] | undefined;
  /** an LRP instance also takes the cell's proxy memory */
  lrp: boolean;
}

/** The explanation with at most `maxCells` rows and the count of the rest. */
export interface PlacementExplanation {
  /** closest first: cells with only resource lacks by summed shortfall, then the others by cell id */
  cells: CellShortfall[];
  /** cells left out past the cap */
  omitted_cells: number;
}

// at most 2^6 distinct lists: each kept once, frozen (explanations are kept by the control)
const LACKS = new Map<string, readonly Lack[]>();
function interned(lacked: Lack[]): readonly Lack[] {
  const key = lacked.join();
  let found = LACKS.get(key);
  if (!found) LACKS.set(key, (found = Object.freeze(lacked)));
  return found;
}

/** The cell states less what the round placed on them (each placement debited as `CellTable` does). */
export function debitPlacements(
  cells: readonly CellState[], lrps: readonly Placement<LrpStartRequest>[], tasks: readonly Placement<TaskStartRequest>[],
): CellState[] {
  const debits = new Map<string, { memory_mb: number; disk_mb: number; containers: number }>();
  const proxyOf = new Map(cells.map((c) => [c.cell_id, c.proxy_memory_allocation_mb ?? 0]));
  const debit = (cellId: string, memory: number, disk: number, proxy: boolean) => {
    const d = debits.get(cellId) ?? { memory_mb: 0, disk_mb: 0, containers: 0 };
    d.memory_mb += memory + (proxy ? proxyOf.get(cellId) ?? 0 : 0);
    d.disk_mb += disk;
    d.containers += 1;
    debits.set(cellId, d);
  };
  for (const p of lrps) debit(p.cell_id, p.request.memory_mb, p.request.disk_mb, true);
  for (const p of tasks) debit(p.cell_id, p.request.memory_mb, p.request.disk_mb, false);
  if (debits.size === 0) return [...cells];
  return cells.map((c) => {
    const d = debits.get(c.cell_id);
    if (!d) return c;
    const a = c.available_resources;
    return { ...c, available_resources: { memory_mb: a.memory_mb - d.memory_mb, disk_mb: a.disk_mb - d.disk_mb, containers: a.containers - d.containers } };
  });
}

/** Each cell's lacks and shortfall for `need`, closest first, at most `maxCells` rows. */
export function explainPlacement(need: WorkNeed, cells: readonly CellState[], maxCells: number): PlacementExplanation {
  return new CellExplainer(cells).explain(need, maxCells);
}

/**
 * Explains needs over one set of cells: what does not depend on the need (each cell's rootfs
 * keys and tag sets) is read once, and rows are built only for the cells kept, so a round with
 * many failures pays O(cells) numbers per distinct need (~0.1 ms at 1000 cells).
 */
export class CellExplainer {
  private readonly rootfs: Array<Set<string>>;
  private readonly required: Array<Set<string>>;
  private readonly allowed: Array<Set<string>>;

  constructor(private readonly cells: readonly CellState[]) {
    this.rootfs = cells.map((c) => providedRootfsKeys(c.rootfs_providers));
    this.required = cells.map((c) => new Set(c.placement_tags));
    this.allowed = cells.map((c) => new Set([...c.placement_tags, ...c.optional_placement_tags]));
  }

  explain(need: WorkNeed, maxCells: number): PlacementExplanation {
    const { cells } = this;
    const wanted = rootfsKey(need.rootfs);
    const desired = new Set(need.placement_tags ?? []);
    const distance = new Float64Array(cells.length);
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c]!;
      if (cell.evacuating || !this.rootfs[c]!.has(wanted) || !tagsFit(this.required[c]!, this.allowed[c]!, desired)) {
        distance[c] = Infinity;
        continue;
      }
      // as the auction's best candidate: each dimension's shortfall as a fraction of the cell's total
      const s = this.shortfall(c, need);
      const total = cell.total_resources;
      distance[c] = s.memory_mb / (total.memory_mb || 1) + s.disk_mb / (total.disk_mb || 1) + s.containers / (total.containers || 1);
    }
    const order = Array.from({ length: cells.length }, (_, c) => c);
    const id = (c: number) => cells[c]!.cell_id;
    order.sort((a, b) => distance[a]! - distance[b]! || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
    const kept = order.slice(0, Math.max(0, maxCells)).map((c) => this.row(c, need, desired, wanted));
    return { cells: kept, omitted_cells: cells.length - kept.length };
  }

  private shortfall(c: number, need: WorkNeed): CellShortfall['shortfall'] {
    const cell = this.cells[c]!;
    const available = cell.available_resources;
    const memory = need.memory_mb + (need.lrp ? cell.proxy_memory_allocation_mb ?? 0 : 0);
    return {
      memory_mb: Math.max(0, memory - available.memory_mb),
      disk_mb: Math.max(0, need.disk_mb - available.disk_mb),
      containers: Math.max(0, 1 - available.containers),
    };
  }

  private row(c: number, need: WorkNeed, desired: Set<string>, wanted: string): CellShortfall {
    const cell = this.cells[c]!;
    const lacked: Lack[] = [];
    if (cell.evacuating) lacked.push('evacuating');
    if (!this.rootfs[c]!.has(wanted)) lacked.push('rootfs');
    if (!tagsFit(this.required[c]!, this.allowed[c]!, desired)) lacked.push('placement_tags');
    const shortfall = this.shortfall(c, need);
    if (shortfall.memory_mb > 0) lacked.push('memory');
    if (shortfall.disk_mb > 0) lacked.push('disk');
    if (shortfall.containers > 0) lacked.push('containers');
    return { cell_id: cell.cell_id, zone: cell.zone, lacked: interned(lacked), shortfall };
  }
}

/** `required ⊆ desired ⊆ allowed` (filter.ts's placement tag rule). */
function tagsFit(required: ReadonlySet<string>, allowed: ReadonlySet<string>, desired: ReadonlySet<string>): boolean {
  for (const tag of required) if (!desired.has(tag)) return false;
  for (const tag of desired) if (!allowed.has(tag)) return false;
  return true;
}
