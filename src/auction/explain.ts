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
import { providedRootfsKeys, rootfsKey, matchPlacementTags } from './filter.js';
import type { CellState, Placement, LrpStartRequest, TaskStartRequest } from './types.js';

/** What a cell lacked for the work, in this order. */
export type Lack = 'evacuating' | 'rootfs' | 'placement_tags' | 'memory' | 'disk' | 'containers';

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
  const wanted = rootfsKey(need.rootfs);
  const rows: Array<{ row: CellShortfall; distance: number }> = [];
  for (const cell of cells) {
    const lacked: Lack[] = [];
    if (cell.evacuating) lacked.push('evacuating');
    if (!providedRootfsKeys(cell.rootfs_providers).has(wanted)) lacked.push('rootfs');
    if (!matchPlacementTags(cell, need.placement_tags ?? [])) lacked.push('placement_tags');
    const available = cell.available_resources;
    const memory = need.memory_mb + (need.lrp ? cell.proxy_memory_allocation_mb ?? 0 : 0);
    const shortfall = {
      memory_mb: Math.max(0, memory - available.memory_mb),
      disk_mb: Math.max(0, need.disk_mb - available.disk_mb),
      containers: Math.max(0, 1 - available.containers),
    };
    if (shortfall.memory_mb > 0) lacked.push('memory');
    if (shortfall.disk_mb > 0) lacked.push('disk');
    if (shortfall.containers > 0) lacked.push('containers');
    const filtered = lacked.length > 0 && (lacked[0] === 'evacuating' || lacked[0] === 'rootfs' || lacked[0] === 'placement_tags');
    // as the auction's best candidate: each dimension as a fraction of the cell's total
    const total = cell.total_resources;
    const distance = filtered ? Infinity
      : shortfall.memory_mb / (total.memory_mb || 1) + shortfall.disk_mb / (total.disk_mb || 1) + shortfall.containers / (total.containers || 1);
    rows.push({ row: { cell_id: cell.cell_id, zone: cell.zone, lacked: interned(lacked), shortfall }, distance });
  }
  rows.sort((a, b) => a.distance - b.distance || (a.row.cell_id < b.row.cell_id ? -1 : a.row.cell_id > b.row.cell_id ? 1 : 0));
  const kept = rows.slice(0, Math.max(0, maxCells)).map((r) => r.row);
  return { cells: kept, omitted_cells: rows.length - kept.length };
}
