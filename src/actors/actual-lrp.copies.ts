/**
 * The SUSPECT and EVACUATING copies of an index (actual-lrp.rows.ts; DIEGO.md 1.2, 3.7, 3.8),
 * held beside the ORDINARY row while its replacement starts:
 * - `suspect`: the instance on a cell that vanished, kept (still listed, still routable) while
 *   the ORDINARY replacement starts. Removed when the replacement RUNS (its cell, if back, is
 *   told to stop it), when it crashes or stops, or when its LRP no longer wants the index;
 *   promoted back to ORDINARY when its cell returns first (the replacement removed and stopped);
 * - `evacuating`: the instance a draining cell keeps serving while the replacement starts;
 *   stopped and removed when the replacement RUNS, when it crashes or stops, or its cell goes.
 * Reports are matched against the SUSPECT and EVACUATING rows first (by instance key), so a
 * copy's claim or crash never touches the ORDINARY row.
 */
import { assertNever } from '../runtime/kernel/protocol.js';
import { evacuatingCopy, markSuspect, promoteSuspect, startActualLrp, unclaimActualLrp, type ActualLRP } from '../models/actual-lrp.js';
import { Events, crashEvents, type AuctorEvent } from '../models/events.js';
import { applyCrash } from '../models/restart-policy.js';
import type { EvacuatingReport, InstanceReport } from './actual-lrp.protocol.js';
import { placed, rowsOf, rowsWithout, sameKey, type ActualLrpState, type Rows } from './actual-lrp.rows.js';
import type { Turn } from './actual-lrp.turn.js';

/**
 * The ORDINARY row is RUNNING: a SUSPECT copy is no longer needed and is removed (its cell is
 * gone: should it come back, its reports or container list make it stop the instance, which
 * no row accounts for any more); an EVACUATING one is stopped on its (draining) cell and removed.
 */
export async function dropCopiesReplacedBy(t: Turn, s: ActualLrpState): Promise<ActualLrpState> {
  if (s.actual?.state !== 'RUNNING' || (!s.suspect && !s.evacuating)) return s;
  const events: AuctorEvent[] = [];
  if (s.suspect) events.push(Events.actualLrpRemoved(s.suspect));
  if (s.evacuating) {
    t.stopOn(s.evacuating, 'actual-lrp.evacuated');
    events.push(Events.actualLrpRemoved(s.evacuating));
  }
  return t.saveRows({ pending: s.pending, actual: s.actual }, events);
}

/** `actual-lrp/cell-lost`: the placed ORDINARY row's cell vanished; it becomes SUSPECT and a replacement is auctioned. */
export async function cellLost(t: Turn, cellId: string): Promise<ActualLrpState> {
  const { state } = t;
  const actual = state.actual;
  if (!placed(actual) || actual.cell_id !== cellId) return state;
  if (state.suspect) {
    // the replacement's cell vanished too: the suspect stays, the replacement is placed again
    const result = unclaimActualLrp(actual, t.now());
    return result.ok ? t.auction(result.value, [Events.actualLrpChanged(actual, result.value)]) : state;
  }
  const suspect = markSuspect(actual);
  if (!suspect.ok) return state;
  const replacement = t.newRow(actual.domain);
  t.ctx.log.warn({ cell_id: actual.cell_id, instance_guid: actual.instance_guid }, 'actual-lrp.suspect');
  return t.auctionRows({ ...rowsOf(state), actual: replacement, suspect: suspect.value },
    [Events.actualLrpChanged(actual, suspect.value), Events.actualLrpCreated(replacement)]);
}

/**
 * `actual-lrp/cell-back`: cells appeared. A SUSPECT copy whose cell returned is promoted, unless
 * its replacement already runs. An UNCLAIMED row whose last auction failed is auctioned again at
 * once, as a new cell may fit it: after a control restart the instances recover and ask for
 * places before any cell has announced itself, and would otherwise wait for convergence to take
 * them for stale (30 s). One whose auction is under way may have been placed among cells that
 * did not include these: if it fails, it is auctioned again at once (`placementFailed`).
 */
export async function cellBack(t: Turn, cellIds: readonly string[]): Promise<ActualLrpState> {
  const { state } = t;
  const suspect = state.suspect;
  if (!suspect || !cellIds.includes(suspect.cell_id)) {
    const actual = state.actual;
    if (actual?.state !== 'UNCLAIMED') return state;
    if (state.pending !== '') {
      t.rt.cellsAppearedDuring = state.pending;
      return state;
    }
    return actual.placement_error !== '' ? t.auction(actual, []) : state;
  }
  const replacement = state.actual;
  if (replacement?.state === 'RUNNING') {
    // the replacement won: the returning cell stops its copy
    t.stopOn(suspect, 'actual-lrp.suspect-replaced');
    return t.saveRows(rowsWithout(state, 'suspect'), [Events.actualLrpRemoved(suspect)]);
  }
  const promoted = promoteSuspect(suspect);
  if (!promoted.ok) return state;
  t.cancelRestart();
  const events: AuctorEvent[] = [];
  if (replacement) {
    if (placed(replacement)) t.stopOn(replacement, 'actual-lrp.replacement-dropped');
    events.push(Events.actualLrpRemoved(replacement));
  }
  events.push(Events.actualLrpChanged(suspect, promoted.value));
  t.ctx.log.info({ cell_id: suspect.cell_id, instance_guid: suspect.instance_guid }, 'actual-lrp.suspect-promoted');
  // a placement of the replacement still in flight is stopped when it claims (the row is placed)
  const next: Rows = { pending: '', actual: promoted.value };
  if (state.evacuating) next.evacuating = state.evacuating;
  return t.saveRows(next, events);
}

/** `actual-lrp/remove-suspect` / `actual-lrp/prune-evacuating`: drops that copy if it is still this instance. */
export async function removeCopy(t: Turn, which: 'suspect' | 'evacuating', instanceGuid: string): Promise<ActualLrpState> {
  const copy = t.state[which];
  if (!copy || copy.instance_guid !== instanceGuid) return t.state;
  return t.saveRows(rowsWithout(t.state, which), [Events.actualLrpRemoved(copy)]);
}

/** A report about the SUSPECT or EVACUATING copy (DIEGO.md 3.7, 3.8). */
export async function onCopyReport(t: Turn, r: InstanceReport, copy: ActualLRP, which: 'suspect' | 'evacuating'): Promise<ActualLrpState> {
  const { state } = t;
  const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
  switch (r.type) {
    case 'cell-report/lrp-claimed':
      return state;
    case 'cell-report/lrp-running': {
      // the copy still serves; its presence changes only by convergence, a heartbeat or its replacement
      const result = startActualLrp(copy, key, { address: r.address, ports: r.ports }, t.now());
      if (!result.ok || result.value === copy) return state;
      const rows = which === 'suspect' ? { ...rowsOf(state), suspect: result.value } : { ...rowsOf(state), evacuating: result.value };
      return t.saveRows(rows, [Events.actualLrpChanged(copy, result.value)]);
    }
    case 'cell-report/lrp-crashed': {
      // a crashed copy is just removed; the ORDINARY row carries on (BBS CrashActualLRP)
      const crash = applyCrash(copy, r.reason, t.now(), t.restartSettings(), key);
      if (!crash.ok) return state;
      return t.saveRows(rowsWithout(state, which), crashEvents(copy, crash.value));
    }
    case 'cell-report/lrp-stopped':
      return t.saveRows(rowsWithout(state, which), [Events.actualLrpRemoved(copy)]);
    default:
      return assertNever(r);
  }
}

/**
 * BBS `EvacuateRunningActualLRP` (ROLLING) / `EvacuateClaimedActualLRP`: the RUNNING instance
 * is kept as EVACUATING and the ORDINARY row goes UNCLAIMED to the auction; a CLAIMED one is
 * just unclaimed and its container dropped. Once the replacement RUNS (or there is already an
 * evacuating copy of another instance) the cell is told to drop the container.
 */
export async function onEvacuating(t: Turn, r: EvacuatingReport): Promise<ActualLrpState> {
  const { state } = t;
  const { processGuid, index } = t.scope;
  const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
  const actual = state.actual;
  const stop = () => t.deps.clientFor(r.cell_id)?.stopInstance(processGuid, index, r.instance_guid);
  if (sameKey(state.evacuating, key)) {
    // asked again: done once the replacement runs (or the index is gone)
    if (!actual || actual.state === 'RUNNING' || actual.state === 'CRASHED') {
      stop();
      return t.saveRows(rowsWithout(state, 'evacuating'), [Events.actualLrpRemoved(state.evacuating)]);
    }
    return state;
  }
  if (!sameKey(actual, key) || !placed(actual)) {
    if (!sameKey(state.suspect, key)) stop(); // an instance no row accounts for
    return state;
  }
  const unclaimed = unclaimActualLrp(actual, t.now());
  if (!unclaimed.ok) return state;
  const events: AuctorEvent[] = [];
  const rows: Rows & { actual: ActualLRP } = { ...rowsOf(state), actual: unclaimed.value };
  const copy = actual.state === 'RUNNING' && !state.evacuating ? evacuatingCopy(actual) : undefined;
  if (copy?.ok) {
    rows.evacuating = copy.value;
    events.push(Events.actualLrpCreated(copy.value));
  } else {
    stop();
  }
  events.push(Events.actualLrpChanged(actual, unclaimed.value));
  t.ctx.log.info({ cell_id: r.cell_id, instance_guid: r.instance_guid, kept: !!copy?.ok }, 'actual-lrp.evacuating');
  return t.auctionRows(rows, events);
}
