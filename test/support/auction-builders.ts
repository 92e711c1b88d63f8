/** Builders for the auction's inputs: small, explicit defaults a test overrides as it needs. */
import type { CellLrp, CellState, LrpStartRequest, Resources, TaskStartRequest } from '../../src/auction/types.js';

export const ROOTFS = 'preloaded:cflinuxfs4';

export interface CellOptions {
  zone?: string;
  /** Totals; `available` defaults to them less what `lrps` and `tasks` use. */
  total?: Partial<Resources>;
  available?: Partial<Resources>;
  lrps?: CellLrp[];
  tasks?: CellState['tasks'];
  rootfs_providers?: string[];
  placement_tags?: string[];
  optional_placement_tags?: string[];
  starting_container_count?: number;
  evacuating?: boolean;
  cell_index?: number;
  proxy_memory_allocation_mb?: number;
}

/** A cell with 4 GB memory, 16 GB disk and 100 containers unless told otherwise. */
export function buildCell(cell_id: string, options: CellOptions = {}): CellState {
  const total: Resources = { memory_mb: 4096, disk_mb: 16384, containers: 100, ...options.total };
  const lrps = options.lrps ?? [];
  const tasks = options.tasks ?? [];
  const used = [...lrps, ...tasks];
  const available: Resources = {
    memory_mb: total.memory_mb - used.reduce((s, w) => s + w.memory_mb, 0),
    disk_mb: total.disk_mb - used.reduce((s, w) => s + w.disk_mb, 0),
    containers: total.containers - used.length,
    ...options.available,
  };
  const cell: CellState = {
    cell_id,
    zone: options.zone ?? 'z1',
    rootfs_providers: options.rootfs_providers ?? [ROOTFS, 'docker'],
    placement_tags: options.placement_tags ?? [],
    optional_placement_tags: options.optional_placement_tags ?? [],
    rep_url: `http://${cell_id}.test:1800`,
    total_resources: total,
    available_resources: available,
    lrps,
    tasks,
    starting_container_count: options.starting_container_count ?? 0,
    evacuating: options.evacuating ?? false,
  };
  if (options.cell_index !== undefined) cell.cell_index = options.cell_index;
  if (options.proxy_memory_allocation_mb !== undefined) cell.proxy_memory_allocation_mb = options.proxy_memory_allocation_mb;
  return cell;
}

/** An LRP instance request: 128 MB memory and disk on the default rootfs unless told otherwise. */
export function buildLrp(process_guid: string, index = 0, overrides: Partial<LrpStartRequest> = {}): LrpStartRequest {
  return { process_guid, index, domain: 'test', memory_mb: 128, disk_mb: 128, rootfs: ROOTFS, ...overrides };
}

/** A task request: 128 MB memory and disk on the default rootfs unless told otherwise. */
export function buildTask(task_guid: string, overrides: Partial<TaskStartRequest> = {}): TaskStartRequest {
  return { task_guid, domain: 'test', memory_mb: 128, disk_mb: 128, rootfs: ROOTFS, ...overrides };
}

/** An instance already on a cell. */
export function running(process_guid: string, index = 0, memory_mb = 128, disk_mb = 128): CellLrp {
  return { process_guid, index, memory_mb, disk_mb };
}

/** How many placements each cell got, for every cell id given (0 when none). */
export function countByCell(placements: ReadonlyArray<{ cell_id: string }>, cellIds: readonly string[]): Map<string, number> {
  const counts = new Map(cellIds.map((id) => [id, 0]));
  for (const p of placements) counts.set(p.cell_id, (counts.get(p.cell_id) ?? 0) + 1);
  return counts;
}
