import type { Ref } from '../runtime/kernel/protocol.js';
import type { CellContainer, CellReport } from './cell.protocol.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { LrpAuctionResult } from './auctioneer.protocol.js';

/** The reports about one instance, as the router hands them on. */
export type InstanceReport = Extract<CellReport, { type: 'cell-report/lrp-claimed' | 'cell-report/lrp-running' | 'cell-report/lrp-crashed' | 'cell-report/lrp-stopped' }>;

export type LrpContainer = Extract<CellContainer, { kind: 'lrp' }> & { cell_id: string };

/**
 * A draining cell says it is evacuating one of its instances (Diego's `EvacuateRunningActualLRP` /
 * `EvacuateClaimedActualLRP`); `control` routes it to `lrps/evacuating`.
 */
export type EvacuatingReport = Extract<CellReport, { type: 'cell-report/lrp-evacuating' }>;

export type ActualLrpMsg =
  /** after spawn: create the UNCLAIMED row (first time) or resume its effects (after recovery) */
  | { type: 'actual-lrp/init'; desired: DesiredLRP }
  /** the DesiredLRP changed (routes, annotation): future placements use it */
  | { type: 'actual-lrp/desired-changed'; desired: DesiredLRP }
  /** the ORDINARY row */
  | { type: 'actual-lrp/get'; replyTo: Ref<ActualLRP | undefined> }
  /** every row of the index: ORDINARY, then SUSPECT, then EVACUATING */
  | { type: 'actual-lrp/rows'; replyTo: Ref<ActualLRP[]> }
  /** scale down, delete or retire: stop the instances on their cells, remove every row, answer once durable */
  | { type: 'actual-lrp/remove'; replyTo: Ref<true> }
  /** a CRASHED instance whose backoff may be over; with `unclaimed`, also an UNCLAIMED one to auction again (convergence found it stale) */
  | { type: 'actual-lrp/retry'; unclaimed?: boolean }
  | { type: 'actual-lrp/report'; report: InstanceReport }
  /**
   * convergence: the cell is gone. An ORDINARY instance placed there becomes SUSPECT and a
   * replacement is auctioned; if the index already has a suspect, the (replacement) instance is
   * unclaimed and auctioned again
   */
  | { type: 'actual-lrp/cell-lost'; cell_id: string }
  /**
   * the cells are present again: a SUSPECT instance on one of them is promoted back to ORDINARY
   * (the replacement removed and stopped), or removed and stopped if its replacement already runs
   */
  | { type: 'actual-lrp/cell-back'; cell_ids: readonly string[] }
  /** convergence: drop the SUSPECT row of this instance (orphaned, extra or replaced) */
  | { type: 'actual-lrp/remove-suspect'; instance_guid: string }
  /** convergence: drop the EVACUATING row of this instance (its cell is gone) */
  | { type: 'actual-lrp/prune-evacuating'; instance_guid: string }
  /** a cell evacuates this instance: keep it as EVACUATING while a replacement starts */
  | { type: 'actual-lrp/evacuating'; report: EvacuatingReport }
  /** convergence found no row for this index: create it if it is missing */
  | { type: 'actual-lrp/ensure-row' }
  /** a cell says it runs this instance: stop it unless it is the one this row accounts for */
  | { type: 'actual-lrp/reconcile'; container: LrpContainer }
  /** the cell's container list leaves this instance out: a row of it is gone (actual-lrp.missing.ts) */
  | { type: 'actual-lrp/container-missing'; cell_id: string; instance_guid: string }
  | LrpAuctionResult;

export const ActualLrpMsg = {
  init: (desired: DesiredLRP): ActualLrpMsg => ({ type: 'actual-lrp/init', desired }),
  desiredChanged: (desired: DesiredLRP): ActualLrpMsg => ({ type: 'actual-lrp/desired-changed', desired }),
  get: (replyTo: Ref<ActualLRP | undefined>): ActualLrpMsg => ({ type: 'actual-lrp/get', replyTo }),
  rows: (replyTo: Ref<ActualLRP[]>): ActualLrpMsg => ({ type: 'actual-lrp/rows', replyTo }),
  remove: (replyTo: Ref<true>): ActualLrpMsg => ({ type: 'actual-lrp/remove', replyTo }),
  retry: (unclaimed = false): ActualLrpMsg => (unclaimed ? { type: 'actual-lrp/retry', unclaimed } : { type: 'actual-lrp/retry' }),
  report: (report: InstanceReport): ActualLrpMsg => ({ type: 'actual-lrp/report', report }),
};
