/**
 * Which cells may take a piece of work, and why none could (auction:auctionrunner/scheduler.go
 * `filterCells`, rep:resources.go `MatchRootFS`, `MatchPlacementTags`, `ResourceMatch`).
 *
 * Filters run in Diego's order, and a failure reports the most specific one any cell got past:
 *   1. rootfs          → `found no compatible cell for required rootfs`
 *   2. placement tags  → `found no compatible cell with placement tag "x"` (and variants)
 *   3. resources       → `insufficient resources: <containers, disk, memory>`, listing only the
 *                        problems every candidate cell has, then (Auctor's addition) the best
 *                        candidate and its shortfall: `… (best candidate cell-3 is short 512 MB of memory)`.
 * Rootfs and tags never change during an auction, so the cells passing them are computed once
 * per distinct (rootfs kind, tag set) and kept, per zone, as candidate lists.
 */
import type { CellTable } from './cell-table.js';
import { PlacementErrors, type BestCandidate, type CellState, type Shortfall } from './types.js';

const PRELOADED_SCHEMES = new Set(['preloaded', 'preloaded+layer']);

/**
 * What a rootfs needs from a cell: `P<stack>` for a preloaded stack, `S<scheme>` for any other
 * scheme, `!` when it has no scheme (no cell provides it).
 */
export function rootfsKey(rootfs: string): string {
  const colon = rootfs.indexOf(':');
  if (colon <= 0) return '!';
  const scheme = rootfs.slice(0, colon).toLowerCase();
  if (!PRELOADED_SCHEMES.has(scheme)) return `S${scheme}`;
  const rest = rootfs.slice(colon + 1);
  const end = rest.search(/[?#]/);
  return `P${end < 0 ? rest : rest.slice(0, end)}`;
}

/** The rootfs keys a cell's provider list satisfies (`preloaded:<stack>` entries, bare schemes). */
export function providedRootfsKeys(providers: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const provider of providers) {
    const colon = provider.indexOf(':');
    if (colon < 0) keys.add(`S${provider.toLowerCase()}`);
    else if (provider.slice(0, colon).toLowerCase() === 'preloaded') keys.add(`P${provider.slice(colon + 1)}`);
  }
  keys.delete('Spreloaded');
  keys.delete('Spreloaded+layer');
  return keys;
}

/** True if the cell can run work with this rootfs. */
export function matchRootfs(cell: CellState, rootfs: string): boolean {
  return providedRootfsKeys(cell.rootfs_providers).has(rootfsKey(rootfs));
}

/** `required ⊆ desired ⊆ required ∪ optional`, with required = the cell's placement_tags. */
export function matchPlacementTags(cell: CellState, desired: readonly string[] = []): boolean {
  return tagsMatch(new Set(cell.placement_tags), new Set([...cell.placement_tags, ...cell.optional_placement_tags]), new Set(desired));
}

function tagsMatch(required: ReadonlySet<string>, allowed: ReadonlySet<string>, desired: ReadonlySet<string>): boolean {
  for (const tag of required) if (!desired.has(tag)) return false;
  for (const tag of desired) if (!allowed.has(tag)) return false;
  return true;
}

/** Diego's `PlacementTagMismatchError` text; tags appear in the order the work lists them. */
export function placementTagMismatchError(tags: readonly string[] = []): string {
  if (tags.length === 0) return 'found no compatible cell with no placement tags';
  if (tags.length === 1) return `found no compatible cell with placement tag "${tags[0]}"`;
  const quoted = tags.map((t) => `"${t}"`);
  return `found no compatible cell with placement tags ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/** Resource problems as a bit set; `RESOURCE_NAMES` lists them in Diego's (sorted) order. */
export const Problem = Object.freeze({ containers: 1, disk: 2, memory: 4, all: 7 });
const RESOURCE_NAMES: ReadonlyArray<[bit: number, name: string]> = [[Problem.containers, 'containers'], [Problem.disk, 'disk'], [Problem.memory, 'memory']];

/** `insufficient resources: <sorted problems>`, or just `insufficient resources` for none. */
export function insufficientResourcesError(problems: number): string {
  const names = RESOURCE_NAMES.filter(([bit]) => (problems & bit) !== 0).map(([, name]) => name);
  return names.length === 0 ? PlacementErrors.insufficientResources : `${PlacementErrors.insufficientResources}: ${names.join(', ')}`;
}

/** The problems cell `c` has with `memoryMb` (including any proxy memory) and `diskMb`. */
export function resourceProblemsAt(t: CellTable, c: number, memoryMb: number, diskMb: number): number {
  let problems = 0;
  if (t.availableContainers[c] < 1) problems |= Problem.containers;
  if (t.availableDisk[c] < diskMb) problems |= Problem.disk;
  if (t.availableMemory[c] < memoryMb) problems |= Problem.memory;
  return problems;
}

/** The cells past the rootfs and tag filters, or the error saying why there are none. */
export interface Candidates {
  /** Rootfs or tag error; null when there are candidates. */
  readonly error: string | null;
  /** Candidate cells per zone (indexed like `CellTable.zoneNames`), in table order. */
  readonly byZone: readonly Int32Array[];
  /** All candidate cells, in table order. */
  readonly all: Int32Array;
}

interface CellFilterInfo {
  rootfs: Set<string>;
  required: Set<string>;
  allowed: Set<string>;
}

/** Computes and caches `Candidates` per distinct (rootfs key, tag set) for one auction. */
export class CandidateIndex {
  private readonly info: CellFilterInfo[];
  private readonly cache = new Map<string, Candidates>();
  private lastRootfs: string | undefined;
  private lastTags: readonly string[] | undefined;
  private last: Candidates | undefined;

  constructor(private readonly table: CellTable, cells: readonly CellState[]) {
    this.info = cells.map((cell) => ({
      rootfs: providedRootfsKeys(cell.rootfs_providers),
      required: new Set(cell.placement_tags),
      allowed: new Set([...cell.placement_tags, ...cell.optional_placement_tags]),
    }));
  }

  /** Candidates for work with this rootfs and these desired tags. */
  get(rootfs: string, tags: readonly string[] | undefined): Candidates {
    if (this.last !== undefined && rootfs === this.lastRootfs && tags === this.lastTags) return this.last;
    const rk = rootfsKey(rootfs);
    const desired = new Set(tags ?? []);
    const key = `${rk}\u0000${[...desired].sort().join('\u0000')}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found = this.compute(rk, desired, tags ?? []);
      this.cache.set(key, found);
    }
    this.lastRootfs = rootfs;
    this.lastTags = tags;
    this.last = found;
    return found;
  }

  private compute(rk: string, desired: Set<string>, tags: readonly string[]): Candidates {
    const zones = this.table.zoneNames.map(() => [] as number[]);
    const all: number[] = [];
    let rootfsMatched = false;
    this.info.forEach((cell, c) => {
      if (!cell.rootfs.has(rk)) return;
      rootfsMatched = true;
      if (!tagsMatch(cell.required, cell.allowed, desired)) return;
      all.push(c);
      zones[this.table.zoneOf[c]].push(c);
    });
    const error = all.length > 0 ? null : rootfsMatched ? placementTagMismatchError(tags) : PlacementErrors.rootfsMismatch;
    return { error, byZone: zones.map((z) => Int32Array.from(z)), all: Int32Array.from(all) };
  }
}

/** Why work fitted on none of its candidates: Diego's text plus the closest cell. */
export interface InsufficientResources {
  placement_error: string;
  best_candidate?: BestCandidate;
}

/**
 * Explain a resource failure over `candidates` (all failed to fit): the problems every candidate
 * shares, and the candidate with the smallest shortfall summed over dimensions as fractions of
 * the cell's totals (first in table order on ties). `withProxy` adds each cell's proxy memory.
 */
export function explainInsufficient(
  t: CellTable, candidates: Int32Array, memoryMb: number, diskMb: number, withProxy: boolean,
): InsufficientResources {
  let shared = Problem.all;
  let best = -1;
  let bestDistance = Infinity;
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k];
    const memory = memoryMb + (withProxy ? t.proxyMemory[c] : 0);
    shared &= resourceProblemsAt(t, c, memory, diskMb);
    const distance =
      Math.max(0, memory - t.availableMemory[c]) * normaliser(t.invTotalMemory[c]) +
      Math.max(0, diskMb - t.availableDisk[c]) * normaliser(t.invTotalDisk[c]) +
      Math.max(0, 1 - t.availableContainers[c]) * normaliser(t.invTotalContainers[c]);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  const prefix = insufficientResourcesError(shared);
  if (best < 0) return { placement_error: prefix };
  const memory = memoryMb + (withProxy ? t.proxyMemory[best] : 0);
  const shortfall: Shortfall = {};
  if (memory > t.availableMemory[best]) shortfall.memory_mb = memory - t.availableMemory[best];
  if (diskMb > t.availableDisk[best]) shortfall.disk_mb = diskMb - t.availableDisk[best];
  if (t.availableContainers[best] < 1) shortfall.containers = 1 - t.availableContainers[best];
  const cellId = t.cellIds[best];
  return {
    placement_error: `${prefix} (best candidate ${cellId} is short ${describeShortfall(shortfall)})`,
    best_candidate: { cell_id: cellId, shortfall },
  };
}

/** `1 container, 100 MB of disk and 512 MB of memory`, in the same order as Diego's problem list. */
export function describeShortfall(shortfall: Shortfall): string {
  const parts: string[] = [];
  if (shortfall.containers !== undefined) parts.push(`${shortfall.containers} container${shortfall.containers === 1 ? '' : 's'}`);
  if (shortfall.disk_mb !== undefined) parts.push(`${shortfall.disk_mb} MB of disk`);
  if (shortfall.memory_mb !== undefined) parts.push(`${shortfall.memory_mb} MB of memory`);
  return parts.length <= 1 ? (parts[0] ?? 'nothing') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Fractions of the total; a zero-total dimension counts its shortfall in absolute units. */
function normaliser(invTotal: number): number {
  return invTotal > 0 ? invTotal : 1;
}
