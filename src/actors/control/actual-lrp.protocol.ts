import type { Ref } from '../kernel/protocol.js';
import type { CellContainer, CellReport } from '../cell.protocol.js';
import type { ActualLRP } from '../../models/actual-lrp.js';
import type { DesiredLRP } from '../../models/desired-lrp.js';
import type { LrpAuctionResult } from './auctioneer.protocol.js';

/** The reports about one instance, as the router hands them on. */
export type InstanceReport = Extract<CellReport, { type: 'cell-report/lrp-claimed' | 'cell-report/lrp-running' | 'cell-report/lrp-crashed' | 'cell-report/lrp-stopped' }>;

export type LrpContainer = Extract<CellContainer, { kind: 'lrp' }> & { cell_id: string };

export type ActualLrpMsg =
  /** after spawn: create the UNCLAIMED row (first time) or resume its effects (after recovery) */
  | { type: 'actual-lrp/init'; desired: DesiredLRP }
  /** the DesiredLRP changed (routes, annotation): future placements use it */
  | { type: 'actual-lrp/desired-changed'; desired: DesiredLRP }
  | { type: 'actual-lrp/get'; replyTo: Ref<ActualLRP | undefined> }
  /** scale down or delete: stop the instance on its cell, remove the row, answer once durable */
  | { type: 'actual-lrp/remove'; replyTo: Ref<true> }
  /** a CRASHED instance whose backoff may be over; with `unclaimed`, also an UNCLAIMED one to auction again (convergence found it stale) */
  | { type: 'actual-lrp/retry'; unclaimed?: boolean }
  | { type: 'actual-lrp/report'; report: InstanceReport }
  /** convergence: the cell is gone; an instance placed there is placed again */
  | { type: 'actual-lrp/cell-lost'; cell_id: string }
  /** convergence found no row for this index: create it if it is missing */
  | { type: 'actual-lrp/ensure-row' }
  /** a cell says it runs this instance: stop it unless it is the one this row accounts for */
  | { type: 'actual-lrp/reconcile'; container: LrpContainer }
  | LrpAuctionResult;

export const ActualLrpMsg = {
  init: (desired: DesiredLRP): ActualLrpMsg => ({ type: 'actual-lrp/init', desired }),
  desiredChanged: (desired: DesiredLRP): ActualLrpMsg => ({ type: 'actual-lrp/desired-changed', desired }),
  get: (replyTo: Ref<ActualLRP | undefined>): ActualLrpMsg => ({ type: 'actual-lrp/get', replyTo }),
  remove: (replyTo: Ref<true>): ActualLrpMsg => ({ type: 'actual-lrp/remove', replyTo }),
  retry: (unclaimed = false): ActualLrpMsg => (unclaimed ? { type: 'actual-lrp/retry', unclaimed } : { type: 'actual-lrp/retry' }),
  report: (report: InstanceReport): ActualLrpMsg => ({ type: 'actual-lrp/report', report }),
};
