/**
 * One LRP convergence pass of `lrps`, in slices (docs/020-control.md "Convergence works in
 * slices"). A pass over every LRP read and planned at once held the event loop for seconds at
 * 20k LRPs (40k asks resolved in one go, then one plan over every row), long enough for the
 * cluster's failure detector to take the node's peers for dead. Here a pass reads, plans and
 * sends `sliceLrps` LRPs at a time and yields to the event loop between slices.
 *
 * The plan of an LRP depends only on its own DesiredLRP and rows, the live cells and the fresh
 * domains, so planning slice by slice gives each LRP the plan a whole pass would; the counts are
 * summed, except the two that count distinct cells, which are taken over the whole pass. Every
 * slice plans at the `now` the pass started with.
 *
 * The DesiredLRPs and rows are read from the query index (`read`), not asked of the supervisors:
 * a pass with nothing to do messages no supervisor or instance, and one with work messages only
 * the LRPs its plan names. The index holds what was last made durable, so a plan may be stale by
 * the time its message arrives; every step is checked by the instance against its own rows
 * (a SUSPECT only of a placed row still on that cell, a copy removed only if it is still that
 * instance, a retry only of a row still UNCLAIMED or CRASHED, a start only where no row is).
 */
import type { Logger } from '../base/logger.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { planLrpConvergence, type LrpConvergenceCounts, type LrpConvergencePlan, type LrpConvergenceSettings } from '../models/lrp-convergence.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import { presentDuringGrace } from './convergence.protocol.js';
import { CellPlacements } from './cell-placements.js';
import type { QueryIndex } from './query-index.js';
import type { Ref } from '../runtime/kernel/protocol.js';

/** What the pass plans one LRP from: its DesiredLRP and its rows (by index, then presence). */
export interface LrpRows {
  desired: DesiredLRP | undefined;
  rows: readonly ActualLRP[];
}

export interface SlicedPassInput {
  /**
   * the process guid of every LRP with a supervisor, in the registry's order; read slice by
   * slice, so an iterable that checks each guid as it goes holds the loop for no whole list
   * (200k guids listed and checked at once took 110-200 ms)
   */
  lrps: Iterable<string>;
  presentCells: readonly string[];
  freshDomains: readonly string[];
  /** the cells heard from since the start, during the grace (convergence.protocol.ts) */
  heardCells: readonly string[] | undefined;
  /** ns */
  now: number;
  settings: Partial<LrpConvergenceSettings>;
  sliceLrps: number;
  /** resolves once the event loop had its turn (setImmediate; tests inject their own) */
  betweenSlices: () => Promise<void>;
  /** one LRP's DesiredLRP and rows: from the query index, or asked of its supervisor when unreadable there */
  read: (guid: string) => LrpRows | Promise<LrpRows>;
  /** hands one message of the plan to the supervisor of `guid` */
  send: (guid: string, msg: LrpSupervisorMsg) => void;
  log: Logger;
}

type Ask = <R>(ref: Ref<LrpSupervisorMsg>, make: (replyTo: Ref<R>) => LrpSupervisorMsg) => Promise<R>;

/**
 * How a pass reads one LRP: from the query index; from its supervisor only when the index could
 * not read its journals at start (QueryIndex.unreadable), or when there is no index.
 */
export function lrpReader(queries: QueryIndex | undefined, ask: (guid: string) => Promise<LrpRows>): SlicedPassInput['read'] {
  return (guid) => {
    if (!queries || queries.unreadable.lrp.has(guid) || queries.unreadable.instances.has(guid)) return ask(guid);
    return { desired: queries.desiredLrp(guid), rows: queries.actualLrps({ process_guid: guid }) };
  };
}

/** One LRP's DesiredLRP and rows asked of its supervisor (none when it does not answer). */
export async function askRows(ref: Ref<LrpSupervisorMsg> | undefined, ask: Ask): Promise<LrpRows> {
  if (!ref) return { desired: undefined, rows: [] };
  const [desired, rows] = await Promise.all([
    ask<DesiredLRP | undefined>(ref, (replyTo) => ({ type: 'lrp/get', replyTo })).catch(() => undefined),
    ask<ActualLRP[]>(ref, (replyTo) => ({ type: 'lrp/actuals', replyTo })).catch(() => [] as ActualLRP[]),
  ]);
  return { desired, rows };
}

/**
 * Runs `lrps`' passes outside its handler, one at a time in the order asked (docs/020 "A pass
 * does not hold lrps"): a pass inside the handler held the registry's mailbox for 4.6-44 s at
 * 50k instances under load, and desires behind it timed out. Every step of a plan is checked by
 * the instance against its own rows, so messages handled meanwhile need no ordering with it.
 */
export function passQueue(): (pass: () => Promise<void>, failed: (error: unknown) => void) => void {
  let last = Promise.resolve();
  return (pass, failed) => {
    last = last.then(pass).catch(failed);
  };
}

export interface SlicedPassResult {
  counts: LrpConvergenceCounts;
  /** where every placed row of the pass is (to replace `lrps`' placements) */
  placements: CellPlacements;
  slices: number;
  /** the longest a slice took from its first ask to its last message sent, ms */
  maxSliceMs: number;
}

export async function convergeInSlices(input: SlicedPassInput): Promise<SlicedPassResult> {
  const { lrps, presentCells, heardCells } = input;
  const size = Math.max(1, input.sliceLrps);
  const placements = new CellPlacements();
  const cellsOfRows = new Set<string>();
  const missingCells = new Set<string>();
  let counts: LrpConvergenceCounts | undefined;
  let retired = { extra: 0, orphaned: 0 };
  let slices = 0;
  let maxSliceMs = 0;
  let livePresent: Set<string> | undefined;
  const guids = lrps[Symbol.iterator]();
  // one guid read ahead, so the pass knows it is over without a yield more
  let ahead = guids.next();
  // (a pass over no LRP still plans once: its counts are the zeros of an empty plan)
  while (slices === 0 || !ahead.done) {
    if (slices > 0) await input.betweenSlices();
    const started = performance.now();
    const next: string[] = [];
    for (; !ahead.done && next.length < size; ahead = guids.next()) next.push(ahead.value);
    const read = next.map(input.read);
    // only records the index could not read are asked (and awaited)
    const slice = read.some((r) => r instanceof Promise) ? await Promise.all(read) : (read as LrpRows[]);
    const desired = slice.map((r) => r.desired);
    const rows = slice.flatMap((r) => r.rows);
    const sliceCells = new Set(rows.map((a) => a.cell_id));
    // the same cells count as present for these rows as over every row of the pass (outside the
    // grace that is the live cells, the same Set for every slice)
    const present = heardCells ? new Set(presentDuringGrace(presentCells, heardCells, sliceCells)) : (livePresent ??= new Set(presentCells));
    const plan = planLrpConvergence({
      desiredLrps: desired.filter((d): d is DesiredLRP => d !== undefined),
      actualLrps: rows,
      presentCellIds: present,
      freshDomains: input.freshDomains,
    }, input.now, input.settings);
    sendPlan(plan, input.send, input.log);
    placements.addRows(rows);
    for (const cell of sliceCells) cellsOfRows.add(cell);
    for (const a of rows) {
      const placed = a.presence === 'ORDINARY' && (a.state === 'CLAIMED' || a.state === 'RUNNING');
      if (placed && !present.has(a.cell_id)) missingCells.add(a.cell_id);
    }
    counts = counts ? addCounts(counts, plan.counts) : plan.counts;
    retired = { extra: retired.extra + plan.retireExtra.length, orphaned: retired.orphaned + plan.retireOrphaned.length };
    slices++;
    maxSliceMs = Math.max(maxSliceMs, performance.now() - started);
  }
  // extra and orphaned rows cannot outlive their supervisor here; a cell's stray containers
  // are stopped by reconciliation instead
  if (retired.extra + retired.orphaned > 0) input.log.warn(retired, 'lrps.unexpected-extra');
  const total = { ...counts!, presentCells: presentDuringGrace(presentCells, heardCells, cellsOfRows).length, missingCells: missingCells.size };
  return { counts: total, placements, slices, maxSliceMs };
}

function addCounts(a: LrpConvergenceCounts, b: LrpConvergenceCounts): LrpConvergenceCounts {
  const sum = { ...a };
  for (const key of Object.keys(b) as (keyof LrpConvergenceCounts)[]) sum[key] += b[key];
  return sum;
}

/** Hands a plan's steps to the supervisors (the lists are in process_guid, index order). */
function sendPlan(plan: LrpConvergencePlan, send: SlicedPassInput['send'], log: Logger): void {
  for (const s of plan.startMissing) send(s.process_guid, { type: 'lrp/start-missing', indices: s.indices });
  for (const a of plan.reauctionStaleUnclaimed) send(a.process_guid, { type: 'lrp/retry', index: a.index, unclaimed: true });
  for (const a of plan.restartCrashed) send(a.process_guid, { type: 'lrp/retry', index: a.index, unclaimed: false });
  // missing cells (DIEGO.md 3.7): the instance becomes SUSPECT and a replacement is auctioned,
  // or, when the index already has a suspect, the replacement is placed again
  const byCell = (rows: readonly ActualLRP[], type: 'lrp/cell-lost' | 'lrp/cell-back') => {
    const groups = new Map<string, { guid: string; cell_id: string; indices: number[] }>();
    for (const a of rows) {
      const key = `${a.process_guid}\n${a.cell_id}`;
      const group = groups.get(key) ?? { guid: a.process_guid, cell_id: a.cell_id, indices: [] };
      group.indices.push(a.index);
      groups.set(key, group);
    }
    for (const g of groups.values()) {
      send(g.guid, type === 'lrp/cell-lost' ? { type, cell_id: g.cell_id, indices: g.indices } : { type, cell_ids: [g.cell_id], indices: g.indices });
    }
  };
  byCell([...plan.suspectAndReplace, ...plan.unclaimReplacements], 'lrp/cell-lost');
  byCell(plan.promoteSuspects.map((p) => p.suspect), 'lrp/cell-back');
  for (const { actual: a, reason } of plan.removeSuspects) {
    log.info({ process_guid: a.process_guid, index: a.index, instance_guid: a.instance_guid, reason }, 'lrps.remove-suspect');
    send(a.process_guid, { type: 'lrp/remove-suspect', index: a.index, instance_guid: a.instance_guid });
  }
  for (const a of plan.pruneEvacuating) send(a.process_guid, { type: 'lrp/prune-evacuating', index: a.index, instance_guid: a.instance_guid });
}
