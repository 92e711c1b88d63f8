/**
 * A cell as the scheduler sees it: its presence (bbs:models/cells.proto `CellPresence`, what a
 * cell advertises while alive) and its auction-time state (rep:resources.go `CellState`, what it
 * reports when asked before an auction). JSON names are snake_case after BBS/rep.
 */

/** Memory, disk and container slots. */
export interface CellCapacity {
  memory_mb: number;
  disk_mb: number;
  containers: number;
}

/**
 * A limit a cell's container backend can hold a container or process to, by what the user set:
 * `memory` (memory_mb), `disk` (disk_mb), `pids` (max_pids), `cpu` (cpu_weight), `nofile` (a run
 * action's resource_limits.nofile), `user` (a run action's user), `privileged` (off means
 * unprivileged). What a backend does not enforce it accepts and ignores.
 */
export const ENFORCEABLE = ['memory', 'disk', 'pids', 'cpu', 'nofile', 'user', 'privileged'] as const;
export type Enforceable = (typeof ENFORCEABLE)[number];

/** What a live cell advertises (DIEGO.md 1.8). */
export interface CellPresence {
  cell_id: string;
  /** remoting address the cell listens on (`host:port`) */
  rep_address: string;
  /** URL of the cell's API, when it has one */
  rep_url: string;
  zone: string;
  capacity: CellCapacity;
  /** root filesystems offered, as `preloaded:<name>` (or a bare scheme such as `docker`) */
  rootfs_providers: string[];
  placement_tags: string[];
  optional_placement_tags: string[];
  /** the cell is draining (or drained): it takes no new work until it restarts (rep `Evacuating`) */
  evacuating?: boolean;
  /** the limits its backend enforces on this machine (absent from a cell that does not say: none) */
  enforces?: Enforceable[];
}

/** One LRP instance placed on a cell. */
export interface CellStateLrp {
  process_guid: string;
  index: number;
  memory_mb: number;
  disk_mb: number;
}

/** One task placed on a cell. */
export interface CellStateTask {
  task_guid: string;
  memory_mb: number;
  disk_mb: number;
}

/** A cell's state for one auction (DIEGO.md 3.1). */
export interface CellState {
  cell_id: string;
  rep_url: string;
  zone: string;
  rootfs_providers: string[];
  placement_tags: string[];
  optional_placement_tags: string[];
  available_resources: CellCapacity;
  total_resources: CellCapacity;
  lrps: CellStateLrp[];
  tasks: CellStateTask[];
  /** containers being created right now */
  starting_container_count: number;
  /** a draining cell takes no new work */
  evacuating: boolean;
  /** orders cells for the auction's bin-pack weight (rep `CellIndex`); default input order */
  cell_index?: number;
  /** memory the cell adds to every LRP for its proxy (rep `ProxyMemoryAllocationMB`) */
  proxy_memory_allocation_mb?: number;
}

/** The work on a cell, for `cellStateOf`. */
export interface CellWork {
  lrps?: CellStateLrp[];
  tasks?: CellStateTask[];
  starting_container_count?: number;
  evacuating?: boolean;
}

/**
 * A cell's auction state from its presence and the work it holds: available = capacity minus
 * what the LRPs and tasks use (one container each), never below 0.
 */
export function cellStateOf(presence: CellPresence, work: CellWork = {}): CellState {
  return cellStateOwning(presence, {
    ...work,
    lrps: (work.lrps ?? []).map((l) => ({ ...l })),
    tasks: (work.tasks ?? []).map((t) => ({ ...t })),
  });
}

/** {@link cellStateOf} keeping `work`'s arrays as the state's own (the caller made them for it). */
export function cellStateOwning(presence: CellPresence, work: CellWork): CellState {
  const lrps = work.lrps ?? [];
  const tasks = work.tasks ?? [];
  let memory = 0;
  let disk = 0;
  for (const l of lrps) {
    memory += l.memory_mb;
    disk += l.disk_mb;
  }
  for (const t of tasks) {
    memory += t.memory_mb;
    disk += t.disk_mb;
  }
  const total = { ...presence.capacity };
  return {
    cell_id: presence.cell_id,
    rep_url: presence.rep_url,
    zone: presence.zone,
    rootfs_providers: [...presence.rootfs_providers],
    placement_tags: [...presence.placement_tags],
    optional_placement_tags: [...presence.optional_placement_tags],
    available_resources: {
      memory_mb: Math.max(0, total.memory_mb - memory),
      disk_mb: Math.max(0, total.disk_mb - disk),
      containers: Math.max(0, total.containers - lrps.length - tasks.length),
    },
    total_resources: total,
    lrps,
    tasks,
    starting_container_count: work.starting_container_count ?? 0,
    evacuating: work.evacuating ?? presence.evacuating ?? false,
  };
}

/**
 * Whether the cell offers `rootfs` (auction `Zone.filterCells`): a `preloaded:<name>` rootfs must
 * be listed exactly; any other scheme (`docker:///…`) needs that scheme listed.
 */
export function supportsRootfs(cell: Pick<CellPresence, 'rootfs_providers'>, rootfs: string): boolean {
  const colon = rootfs.indexOf(':');
  if (colon <= 0) return false;
  const scheme = rootfs.slice(0, colon);
  if (scheme === 'preloaded') return cell.rootfs_providers.includes(rootfs);
  return cell.rootfs_providers.includes(scheme) || cell.rootfs_providers.includes(rootfs);
}

/**
 * rep `MatchPlacementTags`: the cell's required tags ⊆ the desired tags ⊆ required ∪ optional.
 */
export function matchesPlacementTags(cell: Pick<CellPresence, 'placement_tags' | 'optional_placement_tags'>, desired: readonly string[]): boolean {
  const wanted = new Set(desired);
  const offered = new Set([...cell.placement_tags, ...cell.optional_placement_tags]);
  return cell.placement_tags.every((tag) => wanted.has(tag)) && [...wanted].every((tag) => offered.has(tag));
}
