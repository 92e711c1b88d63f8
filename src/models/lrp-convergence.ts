/**
 * One LRP convergence pass as a plan (bbs:db/sqldb/lrp_convergence.go, bbs:controllers/
 * lrp_convergence_controller.go; DIEGO.md 3.3, 3.6-3.8). Pure: the caller reads the rows, calls
 * `planLrpConvergence`, and performs the plan; `now` is ns, settings ms.
 *
 * Per index (`process_guid/index`) there are up to three rows: ORDINARY, SUSPECT, EVACUATING.
 * "in range" = a DesiredLRP exists and `index < instances`; "fresh" = the domain is fresh.
 *
 * | list                   | rows                                                         | caller does                          |
 * |------------------------|--------------------------------------------------------------|--------------------------------------|
 * | pruneEvacuating        | EVACUATING on a cell not present                             | delete row                           |
 * | reauctionStaleUnclaimed| ORDINARY UNCLAIMED in range, `now - since > staleUnclaimedMs`| auction again                        |
 * | suspectAndReplace      | ORDINARY CLAIMED/RUNNING in range on a missing cell, no suspect yet | mark SUSPECT, create UNCLAIMED, auction |
 * | unclaimReplacements    | same, but the index already has a suspect (the replacement's cell vanished too) | unclaim, auction |
 * | startMissing           | indices in `[0, instances)` with no ORDINARY row (nor a suspect being promoted) | create UNCLAIMED, auction |
 * | retireExtra            | ORDINARY with `index ≥ instances`, fresh domain only         | retire (stop / delete)               |
 * | retireOrphaned         | ORDINARY with no DesiredLRP, fresh domain only               | retire                               |
 * | restartCrashed         | ORDINARY CRASHED in range whose backoff is due (its LRP's crash_policy over the settings) | unclaim, auction |
 * | removeSuspects         | SUSPECT orphaned, extra, or whose ORDINARY twin RUNS on a present cell | delete row           |
 * | promoteSuspects        | SUSPECT in range whose cell is back (twin not running)       | presence ORDINARY; delete `replacement` |
 *
 * Freshness gates only the two retire lists (DIEGO.md 3.6); removing a suspect row kills
 * nothing (its cell is gone), so it is not gated. Every list is sorted by process_guid, index.
 */
import type { ActualLRP } from './actual-lrp.js';
import { lrpIndexKey } from './actual-lrp.js';
import type { DesiredLRP } from './desired-lrp.js';
import { restartSettingsFor } from './crash-policy.js';
import { DEFAULT_RESTART_SETTINGS, shouldRestartCrashed, type RestartSettings } from './restart-policy.js';
import { msToNs } from './time.js';

export interface LrpConvergenceSettings extends RestartSettings {
  /** UNCLAIMED longer than this is auctioned again (BBS `StaleUnclaimedActualLRPDuration`) */
  staleUnclaimedMs: number;
}

export const DEFAULT_LRP_CONVERGENCE_SETTINGS: Readonly<LrpConvergenceSettings> = Object.freeze({ ...DEFAULT_RESTART_SETTINGS, staleUnclaimedMs: 30_000 });

export interface LrpConvergenceInput {
  desiredLrps: readonly Pick<DesiredLRP, 'process_guid' | 'domain' | 'instances' | 'crash_policy'>[];
  actualLrps: readonly ActualLRP[];
  presentCellIds: Iterable<string>;
  freshDomains: Iterable<string>;
}

/** Indices of one LRP to create and auction. */
export interface LrpStart {
  process_guid: string;
  domain: string;
  indices: number[];
}

export type SuspectRemovalReason = 'orphaned' | 'extra' | 'replaced';

export interface LrpConvergenceCounts {
  /** sum of desired instances (LRPsDesired) */
  desired: number;
  /** indices created this pass (LRPsMissing) */
  missing: number;
  /** rows retired this pass, extra and orphaned (LRPsExtra, as BBS counts it) */
  extra: number;
  /** ORDINARY rows by state */
  unclaimed: number;
  claimed: number;
  running: number;
  crashed: number;
  /** LRPs with at least one CRASHED instance (CrashingDesiredLRPs) */
  crashingDesired: number;
  /** SUSPECT rows, and of those CLAIMED / RUNNING */
  suspect: number;
  suspectClaimed: number;
  suspectRunning: number;
  presentCells: number;
  /** distinct cells of CLAIMED/RUNNING ORDINARY rows that are not present (SuspectCells) */
  missingCells: number;
}

export interface LrpConvergencePlan {
  startMissing: LrpStart[];
  retireExtra: ActualLRP[];
  retireOrphaned: ActualLRP[];
  reauctionStaleUnclaimed: ActualLRP[];
  restartCrashed: ActualLRP[];
  suspectAndReplace: ActualLRP[];
  unclaimReplacements: ActualLRP[];
  removeSuspects: { actual: ActualLRP; reason: SuspectRemovalReason }[];
  /** `replacement`: the ORDINARY row started in the suspect's place, to delete */
  promoteSuspects: { suspect: ActualLRP; replacement?: ActualLRP }[];
  pruneEvacuating: ActualLRP[];
  counts: LrpConvergenceCounts;
}

interface Slot {
  ordinary?: ActualLRP;
  suspect?: ActualLRP;
  evacuating?: ActualLRP;
}

const byKey = (a: Pick<ActualLRP, 'process_guid' | 'index'>, b: Pick<ActualLRP, 'process_guid' | 'index'>) =>
  a.process_guid < b.process_guid ? -1 : a.process_guid > b.process_guid ? 1 : a.index - b.index;

const byGuid = (a: { process_guid: string }, b: { process_guid: string }) => (a.process_guid < b.process_guid ? -1 : a.process_guid > b.process_guid ? 1 : 0);

/** Plans one LRP convergence pass at `now` (ns). */
export function planLrpConvergence(input: LrpConvergenceInput, now: number, overrides: Partial<LrpConvergenceSettings> = {}): LrpConvergencePlan {
  const settings = { ...DEFAULT_LRP_CONVERGENCE_SETTINGS, ...overrides };
  // a Set is used as it is: a sliced pass plans every slice against the same live cells
  const present: ReadonlySet<string> = input.presentCellIds instanceof Set ? input.presentCellIds : new Set(input.presentCellIds);
  const fresh = new Set(input.freshDomains);
  const desired = new Map(input.desiredLrps.map((d) => [d.process_guid, d]));
  const slots = new Map<string, Slot>();
  for (const actual of [...input.actualLrps].sort(byKey)) {
    const key = lrpIndexKey(actual);
    const slot = slots.get(key) ?? {};
    if (actual.presence === 'SUSPECT') slot.suspect = actual;
    else if (actual.presence === 'EVACUATING') slot.evacuating = actual;
    else slot.ordinary = actual;
    slots.set(key, slot);
  }

  const plan: LrpConvergencePlan = {
    startMissing: [], retireExtra: [], retireOrphaned: [], reauctionStaleUnclaimed: [], restartCrashed: [],
    suspectAndReplace: [], unclaimReplacements: [], removeSuspects: [], promoteSuspects: [], pruneEvacuating: [],
    counts: {
      desired: input.desiredLrps.reduce((sum, d) => sum + d.instances, 0), missing: 0, extra: 0,
      unclaimed: 0, claimed: 0, running: 0, crashed: 0, crashingDesired: 0,
      suspect: 0, suspectClaimed: 0, suspectRunning: 0, presentCells: present.size, missingCells: 0,
    },
  };
  const occupied = new Set<string>();
  const crashing = new Set<string>();
  const missingCells = new Set<string>();
  const counts = plan.counts;

  for (const [key, { ordinary, suspect, evacuating }] of slots) {
    if (evacuating && !present.has(evacuating.cell_id)) plan.pruneEvacuating.push(evacuating);
    const ref = ordinary ?? suspect ?? evacuating!;
    const lrp = desired.get(ref.process_guid);
    const inRange = lrp !== undefined && ref.index < lrp.instances;

    let promoting = false;
    if (suspect) {
      counts.suspect++;
      if (suspect.state === 'CLAIMED') counts.suspectClaimed++;
      if (suspect.state === 'RUNNING') counts.suspectRunning++;
      const twinRunning = ordinary?.state === 'RUNNING' && present.has(ordinary.cell_id);
      if (!lrp) plan.removeSuspects.push({ actual: suspect, reason: 'orphaned' });
      else if (!inRange) plan.removeSuspects.push({ actual: suspect, reason: 'extra' });
      else if (twinRunning) plan.removeSuspects.push({ actual: suspect, reason: 'replaced' });
      else if (present.has(suspect.cell_id)) {
        promoting = true;
        plan.promoteSuspects.push(ordinary ? { suspect, replacement: ordinary } : { suspect });
        occupied.add(key);
      }
    }

    if (!ordinary) continue;
    occupied.add(key);
    counts[ordinary.state === 'UNCLAIMED' ? 'unclaimed' : ordinary.state === 'CLAIMED' ? 'claimed' : ordinary.state === 'RUNNING' ? 'running' : 'crashed']++;
    if (ordinary.state === 'CRASHED') crashing.add(ordinary.process_guid);
    const placed = ordinary.state === 'CLAIMED' || ordinary.state === 'RUNNING';
    if (placed && !present.has(ordinary.cell_id)) missingCells.add(ordinary.cell_id);

    if (!lrp) {
      if (fresh.has(ordinary.domain)) plan.retireOrphaned.push(ordinary);
      continue;
    }
    if (!inRange) {
      if (fresh.has(lrp.domain)) plan.retireExtra.push(ordinary);
      continue;
    }
    if (promoting) continue; // the replacement goes; the suspect takes its place
    switch (ordinary.state) {
      case 'UNCLAIMED':
        if (now - ordinary.since > msToNs(settings.staleUnclaimedMs)) plan.reauctionStaleUnclaimed.push(ordinary);
        break;
      case 'CLAIMED':
      case 'RUNNING':
        if (!present.has(ordinary.cell_id)) (suspect ? plan.unclaimReplacements : plan.suspectAndReplace).push(ordinary);
        break;
      case 'CRASHED':
        if (shouldRestartCrashed(ordinary, now, restartSettingsFor(settings, lrp.crash_policy))) plan.restartCrashed.push(ordinary);
        break;
    }
  }

  // by guid without copying each DesiredLRP per comparison (a copy of both per compare was most
  // of a pass's garbage: 80k LRPs planned in 375-630 ms before, see the commit)
  for (const lrp of [...input.desiredLrps].sort(byGuid)) {
    const indices: number[] = [];
    for (let index = 0; index < lrp.instances; index++) {
      if (!occupied.has(lrpIndexKey({ process_guid: lrp.process_guid, index }))) indices.push(index);
    }
    if (indices.length > 0) plan.startMissing.push({ process_guid: lrp.process_guid, domain: lrp.domain, indices });
    counts.missing += indices.length;
  }
  counts.extra = plan.retireExtra.length + plan.retireOrphaned.length;
  counts.crashingDesired = crashing.size;
  counts.missingCells = missingCells.size;
  return plan;
}

/**
 * Every index the plan asks to auction, one entry per LRP (BBS sends one batch per pass):
 * missing, stale unclaimed, suspect replacements, unclaimed replacements, due crashes.
 */
export function lrpStartsOf(plan: LrpConvergencePlan): LrpStart[] {
  const starts = new Map<string, LrpStart>();
  const add = (process_guid: string, domain: string, index: number) => {
    const start = starts.get(process_guid) ?? { process_guid, domain, indices: [] };
    if (!start.indices.includes(index)) start.indices.push(index);
    starts.set(process_guid, start);
  };
  for (const s of plan.startMissing) for (const i of s.indices) add(s.process_guid, s.domain, i);
  for (const list of [plan.reauctionStaleUnclaimed, plan.suspectAndReplace, plan.unclaimReplacements, plan.restartCrashed]) {
    for (const a of list) add(a.process_guid, a.domain, a.index);
  }
  return [...starts.values()]
    .map((s) => ({ ...s, indices: [...s.indices].sort((a, b) => a - b) }))
    .sort((a, b) => (a.process_guid < b.process_guid ? -1 : a.process_guid > b.process_guid ? 1 : 0));
}
