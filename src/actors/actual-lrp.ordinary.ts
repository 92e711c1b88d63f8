/**
 * The ORDINARY row of an index (actual-lrp.rows.ts): claims, the crash policy and its retries, a
 * placement that failed, and the reports of the cells about it.
 *
 * `pending` is the instance guid of the placement asked for and not yet claimed: only its
 * placement failure counts. An UNCLAIMED row accepts the first instance that claims it (BBS's
 * rule); once placed, a report from any other instance is one nobody accounts for and is stopped.
 *
 * | row       | message                                 | becomes                                        |
 * |-----------|-----------------------------------------|------------------------------------------------|
 * | UNCLAIMED | claimed (by any instance)               | CLAIMED                                        |
 * | UNCLAIMED | placement failed (the pending guid)     | UNCLAIMED, with the placement error            |
 * | CLAIMED   | running (its instance)                  | RUNNING; its SUSPECT/EVACUATING copies dropped |
 * | placed    | crashed (its instance)                  | as `applyCrash` says (under the LRP's          |
 * |           |                                         | `crash_policy` over the node's flags):         |
 * |           |                                         | UNCLAIMED and auctioned, or CRASHED with the   |
 * |           |                                         | retry timer armed                              |
 * | placed    | stopped (its instance)                  | UNCLAIMED and auctioned                        |
 * | CRASHED   | retry, once `shouldRestartCrashed`      | UNCLAIMED and auctioned (else the timer again) |
 * | placed    | claimed/running from another instance   | unchanged; that instance is stopped            |
 */
import { assertNever } from '../runtime/kernel/protocol.js';
import { claimActualLrp, failActualLrp, startActualLrp, unclaimActualLrp } from '../models/actual-lrp.js';
import { Events, crashEvents } from '../models/events.js';
import { applyCrash, shouldRestartCrashed } from '../models/restart-policy.js';
import type { InstanceReport, LrpContainer } from './actual-lrp.protocol.js';
import { onCopyReport, dropCopiesReplacedBy } from './actual-lrp.copies.js';
import { sameKey, type ActualLrpState } from './actual-lrp.rows.js';
import type { Turn } from './actual-lrp.turn.js';

/** `actual-lrp/retry`: the restart timer fired (or an UNCLAIMED row is to be auctioned again). */
export async function retry(t: Turn, unclaimed: boolean | undefined): Promise<ActualLrpState> {
  const actual = t.state.actual;
  if (!actual) return t.state;
  if (actual.state === 'UNCLAIMED' && unclaimed) return t.auction(actual, []);
  if (actual.state !== 'CRASHED') return t.state;
  if (!shouldRestartCrashed(actual, t.now(), t.restartSettings())) {
    t.armRestart(actual);
    return t.state;
  }
  const result = unclaimActualLrp(actual, t.now());
  if (!result.ok) return t.state;
  return t.auction(result.value, [Events.actualLrpChanged(actual, result.value)]);
}

/**
 * `auction/lrp-failed`: counts only for the placement still pending. Cells that appeared while
 * it was auctioned may not have been asked (the round took the cells it knew): it is auctioned
 * again at once rather than left to convergence.
 */
export async function placementFailed(t: Turn, instanceGuid: string, placementError: string): Promise<ActualLrpState> {
  const actual = t.state.actual;
  if (!actual || actual.state !== 'UNCLAIMED' || instanceGuid !== t.state.pending) return t.state;
  if (t.rt.cellsAppearedDuring === instanceGuid) {
    t.rt.cellsAppearedDuring = undefined;
    t.ctx.log.info({ instance_guid: instanceGuid, placement_error: placementError }, 'actual-lrp.auction-again-cells-appeared');
    return t.auction(actual, []);
  }
  return t.applied(actual, failActualLrp(actual, placementError, t.now()), '');
}

/**
 * `actual-lrp/reconcile`: the cell lists an instance of this index (Diego's rep bulk loop). The
 * list also stands in for reports that were lost (sent to a control node that died, or while
 * the cell could reach none): the placement this row asked for, listed, is its claim; an
 * instance listed RUNNING with its address is its RUNNING report. A list arrives in order with
 * the cell's reports, so it never undoes a later one. Anything no row accounts for is stopped;
 * an UNCLAIMED row still takes the first instance that claims it, so candidates are left running.
 */
export async function onListed(t: Turn, c: LrpContainer): Promise<ActualLrpState> {
  const { state } = t;
  const actual = state.actual;
  if (sameKey(state.suspect, c) || sameKey(state.evacuating, c)) return state;
  if (!actual || (actual.state !== 'UNCLAIMED' && !sameKey(actual, c))) {
    t.stopStray(c);
    return state;
  }
  const key = { process_guid: c.process_guid, index: c.index, instance_guid: c.instance_guid, cell_id: c.cell_id };
  const asked = actual.state === 'UNCLAIMED' && c.instance_guid === state.pending;
  const running = c.state === 'RUNNING' && c.address !== undefined && c.ports !== undefined && actual.state !== 'RUNNING';
  if (!asked && !(running && actual.state === 'CLAIMED')) return state;
  t.ctx.log.info({ ...key, state: c.state }, 'actual-lrp.caught-up-from-list');
  return running
    ? onReport(t, { type: 'cell-report/lrp-running', ...key, address: c.address!, ports: c.ports! })
    : onReport(t, { type: 'cell-report/lrp-claimed', ...key });
}

/** `actual-lrp/report`: a cell's report about an instance of this index. */
export async function onReport(t: Turn, r: InstanceReport): Promise<ActualLrpState> {
  const { state } = t;
  const actual = state.actual;
  const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
  if (sameKey(state.suspect, key)) return onCopyReport(t, r, state.suspect, 'suspect');
  if (sameKey(state.evacuating, key)) return onCopyReport(t, r, state.evacuating, 'evacuating');
  // as BBS does, an UNCLAIMED row accepts a claim from any placement (the one asked for, or
  // one from a round lost in a restart): the first wins, any other is stopped when it reports
  const expected = !!actual && (actual.state === 'UNCLAIMED' || sameKey(actual, key));
  if (r.type === 'cell-report/lrp-stopped') {
    // stopped on request is the end of a placement we already let go of; otherwise the cell
    // gave it up on its own: place it again
    if (!actual || !expected || actual.state === 'UNCLAIMED') return state;
    const result = unclaimActualLrp(actual, t.now());
    return result.ok ? t.auction(result.value, [Events.actualLrpChanged(actual, result.value)]) : state;
  }
  if (!actual || !expected) {
    if (r.type !== 'cell-report/lrp-crashed') t.stopStray(r);
    return state;
  }
  switch (r.type) {
    case 'cell-report/lrp-claimed':
      return t.applied(actual, claimActualLrp(actual, key, t.now()), '');
    case 'cell-report/lrp-running': {
      const next = await t.applied(actual, startActualLrp(actual, key, { address: r.address, ports: r.ports }, t.now()), '');
      return dropCopiesReplacedBy(t, next);
    }
    case 'cell-report/lrp-crashed': {
      const crash = applyCrash(actual, r.reason, t.now(), t.restartSettings(), key);
      if (!crash.ok) return state;
      const outcome = crash.value;
      const events = crashEvents(actual, outcome);
      if (outcome.outcome === 'restart') return t.auction(outcome.actual, events);
      if (outcome.outcome === 'remove') return state;
      const next = await t.save(outcome.actual, '', events);
      t.armRestart(outcome.actual);
      return next;
    }
    default:
      return assertNever(r);
  }
}
