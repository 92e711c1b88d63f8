/**
 * One auction round (auction:auctionrunner/scheduler.go `Schedule`), pure: requests and cell
 * states in, placements and failures out. Nothing is committed to cells here; the auctioneer
 * sends each winner its work and turns failures into `FailActualLRP` / `RejectTask`.
 *
 * Order: deduplicate (LRP identity process_guid + index, task identity task_guid; the first
 * occurrence wins), then all index-0 LRPs, then all tasks, then LRPs with index ≥ 1; LRPs by index
 * ascending then memory descending, tasks by memory descending. Each placement debits a working
 * copy of the winner's state, so later items in the batch see it.
 *
 * LRPs spread over zones first (zone_sorter.go): zones are ranked by how many instances of the
 * process guid they hold; zones tied on that count are scored together, and the least-loaded
 * group with any fitting cell supplies the winner. Within it the lowest score wins (score.ts);
 * ties go to the earlier cell in input order, which makes the auction deterministic (Diego's
 * tie-break follows Go map order). Tasks ignore zones.
 *
 * Cost per placement: one pass over the candidate cells of the chosen zone group (typed arrays,
 * no allocation) plus O(cells holding the same process guid). A failure costs a second pass to
 * explain itself.
 */
import { CellTable, type GuidInstances } from './cell-table.js';
import { CandidateIndex, explainInsufficient, type Candidates } from './filter.js';
import { CellScores, type ScoreWeights } from './score.js';
import {
  DEFAULT_AUCTION_SETTINGS,
  PlacementErrors,
  type AuctionBatch,
  type AuctionResults,
  type AuctionSettings,
  type CellState,
  type Failure,
  type LrpStartRequest,
  type TaskStartRequest,
} from './types.js';

/** The batch in auction order, after deduplication. */
export interface OrderedBatch {
  lrpsBeforeTasks: LrpStartRequest[];
  tasks: TaskStartRequest[];
  lrpsAfterTasks: LrpStartRequest[];
}

/** Deduplicate and order a batch as Diego does (see the file header). Does not mutate `batch`. */
export function orderBatch(batch: AuctionBatch): OrderedBatch {
  const lrps = dedupe(batch.lrps, (r) => `${r.process_guid}\u0000${r.index}`);
  const tasks = dedupe(batch.tasks, (r) => r.task_guid);
  lrps.sort((a, b) => a.index - b.index || b.memory_mb - a.memory_mb);
  tasks.sort((a, b) => b.memory_mb - a.memory_mb);
  let split = lrps.findIndex((r) => r.index > 0);
  if (split < 0) split = lrps.length;
  return { lrpsBeforeTasks: lrps.slice(0, split), tasks, lrpsAfterTasks: lrps.slice(split) };
}

function dedupe<R>(items: readonly R[], identity: (r: R) => string): R[] {
  const seen = new Set<string>();
  const out: R[] = [];
  for (const item of items) {
    const id = identity(item);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(item);
  }
  return out;
}

/**
 * Place a batch of LRP instances and tasks on cells. Cells reporting `evacuating` take no work;
 * the caller's cell states and requests are never mutated. Every deduplicated request comes back
 * once, as a placement or a failure, in auction order.
 */
export function schedule(batch: AuctionBatch, cells: readonly CellState[], settings: Partial<AuctionSettings> = {}): AuctionResults {
  const startingContainerWeight = settings.startingContainerWeight ?? DEFAULT_AUCTION_SETTINGS.startingContainerWeight;
  const binPackFirstFitWeight = settings.binPackFirstFitWeight ?? DEFAULT_AUCTION_SETTINGS.binPackFirstFitWeight;
  const startingContainerCountMaximum = settings.startingContainerCountMaximum ?? DEFAULT_AUCTION_SETTINGS.startingContainerCountMaximum;
  const ordered = orderBatch(batch);
  const results: AuctionResults = { lrpPlacements: [], taskPlacements: [], lrpFailures: [], taskFailures: [] };

  const live = cells.filter((c) => !c.evacuating);
  if (live.length === 0) {
    for (const request of [...ordered.lrpsBeforeTasks, ...ordered.lrpsAfterTasks]) results.lrpFailures.push({ request, placement_error: PlacementErrors.cellCommunication });
    for (const request of ordered.tasks) results.taskFailures.push({ request, placement_error: PlacementErrors.cellCommunication });
    return results;
  }

  const guids = new Set<string>();
  for (const r of ordered.lrpsBeforeTasks) guids.add(r.process_guid);
  for (const r of ordered.lrpsAfterTasks) guids.add(r.process_guid);
  const auction = new Auction(live, guids, { startingContainerWeight, binPackFirstFitWeight });
  let inflight = auction.table.startingTotal();
  const atLimit = (): boolean => startingContainerCountMaximum > 0 && inflight >= startingContainerCountMaximum;

  const auctionLrps = (lrps: readonly LrpStartRequest[]): void => {
    for (const request of lrps) {
      if (atLimit()) {
        results.lrpFailures.push({ request, placement_error: PlacementErrors.inflightLimit });
        continue;
      }
      const outcome = auction.placeLrp(request);
      if (typeof outcome === 'string') {
        results.lrpPlacements.push({ request, cell_id: outcome });
        inflight++;
      } else results.lrpFailures.push({ request, ...outcome });
    }
  };

  auctionLrps(ordered.lrpsBeforeTasks);
  for (const request of ordered.tasks) {
    if (atLimit()) {
      results.taskFailures.push({ request, placement_error: PlacementErrors.inflightLimit });
      continue;
    }
    const outcome = auction.placeTask(request);
    if (typeof outcome === 'string') {
      results.taskPlacements.push({ request, cell_id: outcome });
      inflight++;
    } else results.taskFailures.push({ request, ...outcome });
  }
  auctionLrps(ordered.lrpsAfterTasks);
  return results;
}

type Refusal = Omit<Failure<unknown>, 'request'>;

/** The working state of one auction: the cell table, its candidate cache and scratch space. */
class Auction {
  readonly table: CellTable;
  private readonly candidates: CandidateIndex;
  private readonly scores: CellScores;
  private readonly zoneInstances: Float64Array;
  private readonly zoneOrder: Int32Array;
  /** Bumped by every reservation; a refusal stays valid while it is unchanged. */
  private epoch = 0;
  private lastRefusal: { found: Candidates; memoryMb: number; diskMb: number; lrp: boolean; epoch: number; refusal: Refusal } | undefined;

  /** `guids`: the process guids of the batch's LRPs (the only ones whose locality is asked). */
  constructor(cells: readonly CellState[], guids: ReadonlySet<string>, weights: ScoreWeights) {
    this.table = new CellTable(cells, guids);
    this.scores = new CellScores(this.table, weights);
    this.candidates = new CandidateIndex(this.table, cells);
    this.zoneInstances = new Float64Array(this.table.zoneNames.length);
    this.zoneOrder = new Int32Array(this.table.zoneNames.length);
  }

  /** Reserve a cell for an LRP instance; returns its cell id or why none would do. */
  placeLrp(request: LrpStartRequest): string | Refusal {
    const t = this.table;
    const found = this.candidates.get(request.rootfs, request.placement_tags);
    if (found.error !== null) return { placement_error: found.error };
    const repeated = this.repeatedRefusal(found, request.memory_mb, request.disk_mb, true);
    if (repeated !== undefined) return repeated;
    const instances = t.instancesOf(request.process_guid);
    if (instances !== undefined) t.loadLocal(instances);
    const winner = this.bestLrpCell(found, request, instances);
    if (instances !== undefined) t.clearLocal(instances);
    if (winner < 0) return this.refuse(found, request.memory_mb, request.disk_mb, true);
    this.epoch++;
    t.reserveLrp(winner, request.process_guid, request.memory_mb, request.disk_mb);
    this.scores.refresh(winner);
    return t.cellIds[winner];
  }

  /** Reserve a cell for a task; returns its cell id or why none would do. */
  placeTask(request: TaskStartRequest): string | Refusal {
    const t = this.table;
    const found = this.candidates.get(request.rootfs, request.placement_tags);
    if (found.error !== null) return { placement_error: found.error };
    const repeated = this.repeatedRefusal(found, request.memory_mb, request.disk_mb, false);
    if (repeated !== undefined) return repeated;
    const scores = this.scores;
    scores.beginScan();
    scores.scanTask(found.all, request.memory_mb, request.disk_mb);
    const winner = scores.winner;
    if (winner < 0) return this.refuse(found, request.memory_mb, request.disk_mb, false);
    this.epoch++;
    t.reserveTask(winner, request.memory_mb, request.disk_mb);
    this.scores.refresh(winner);
    return t.cellIds[winner];
  }

  /**
   * The refusal of an identical request (same candidates and need) since the last reservation:
   * nothing has changed, so nothing fits now either. Saves the scans when a full cluster refuses
   * a run of same-size work.
   */
  private repeatedRefusal(found: Candidates, memoryMb: number, diskMb: number, lrp: boolean): Refusal | undefined {
    const last = this.lastRefusal;
    if (last === undefined || last.epoch !== this.epoch || last.found !== found || last.memoryMb !== memoryMb || last.diskMb !== diskMb || last.lrp !== lrp) return undefined;
    return last.refusal;
  }

  private refuse(found: Candidates, memoryMb: number, diskMb: number, lrp: boolean): Refusal {
    const explained = explainInsufficient(this.table, found.all, memoryMb, diskMb, lrp);
    const refusal: Refusal = explained.best_candidate === undefined
      ? { placement_error: explained.placement_error }
      : { placement_error: explained.placement_error, best_candidate: Object.freeze({ ...explained.best_candidate, shortfall: Object.freeze(explained.best_candidate.shortfall) }) };
    this.lastRefusal = { found, memoryMb, diskMb, lrp, epoch: this.epoch, refusal };
    return refusal;
  }

  /** Zone-spread choice of cell for an LRP (`t.local` already holds its instance counts). */
  private bestLrpCell(found: Candidates, request: LrpStartRequest, instances: GuidInstances | undefined): number {
    const t = this.table;
    const perZone = this.zoneInstances;
    const order = this.zoneOrder;
    perZone.fill(0);
    if (instances !== undefined) {
      const { cells, counts } = instances;
      for (let k = 0; k < cells.length; k++) perZone[t.zoneOf[cells[k]]] += counts[k];
    }
    // Zones with candidates, by instances ascending (insertion sort: there are few zones).
    let zones = 0;
    for (let z = 0; z < found.byZone.length; z++) {
      if (found.byZone[z].length === 0) continue;
      let at = zones++;
      while (at > 0 && perZone[order[at - 1]] > perZone[z]) {
        order[at] = order[at - 1];
        at--;
      }
      order[at] = z;
    }

    const scores = this.scores;
    scores.beginScan();
    for (let i = 0; i < zones && scores.winner < 0; ) {
      const groupInstances = perZone[order[i]];
      for (; i < zones && perZone[order[i]] === groupInstances; i++) {
        scores.scanLrp(found.byZone[order[i]], request.memory_mb, request.disk_mb);
      }
    }
    return scores.winner;
  }
}
