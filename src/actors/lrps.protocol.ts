import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { Result } from '../base/errors.js';
import type { EvacuatingReport, InstanceReport, LrpContainer } from './actual-lrp.protocol.js';
import type { LrpConvergenceCounts } from '../models/lrp-convergence.js';

export interface DesiredLrpFilter {
  domain?: string;
}

export interface ActualLrpFilter {
  domain?: string;
  process_guid?: string;
  cell_id?: string;
  index?: number;
}

export type LrpsMsg =
  /** after spawn (and after recovery): seed the cell placements from the query index (the supervisors with work to resume are activated on the first message) */
  | { type: 'lrps/init' }
  /** a create request as parsed JSON: validation errors come back as data */
  | { type: 'lrps/desire'; input: unknown; replyTo: Ref<Result<DesiredLRP>> }
  | { type: 'lrps/update'; process_guid: string; input: unknown; replyTo: Ref<Result<DesiredLRP>> }
  /** the removed DesiredLRP; undefined for a quarantined one (it could not be read) */
  | { type: 'lrps/remove'; process_guid: string; replyTo: Ref<Result<DesiredLRP | undefined>> }
  /** undefined when unknown; a quarantined one fails the ask (ResourceQuarantined) */
  | { type: 'lrps/get'; process_guid: string; replyTo: Ref<DesiredLRP | undefined> }
  /** `DELETE /v1/actual_lrps/:guid/index/:index`: stop that instance; convergence starts a new one */
  | { type: 'lrps/retire'; process_guid: string; index: number; replyTo: Ref<Result<ActualLRP | undefined>> }
  | { type: 'lrps/list'; filter: DesiredLrpFilter; replyTo: Ref<DesiredLRP[]> }
  | { type: 'lrps/actuals'; filter: ActualLrpFilter; replyTo: Ref<ActualLRP[]> }
  | { type: 'lrps/report'; report: InstanceReport }
  /** a supervisor recovered without a DesiredLRP (the control died between the two persists) */
  | { type: 'lrps/forget'; process_guid: string }
  /**
   * convergence: one pass of the LRP plan, given the live cells and fresh domains; during the grace
   * after a start, only the `heardCells` may be judged missing (convergence.protocol.ts)
   */
  | { type: 'lrps/converge'; presentCells: string[]; freshDomains: string[]; heardCells?: string[]; replyTo: Ref<LrpConvergenceCounts> }
  /** a cell appeared (again): SUSPECT instances on it are promoted back to ORDINARY, or removed if replaced */
  | { type: 'lrps/cell-appeared'; cell_id: string }
  /** internal: tell every supervisor of the cells that appeared since the last time */
  | { type: 'lrps/cells-back' }
  /** a draining cell evacuates an instance (`cell-report/lrp-evacuating`, routed by `control`) */
  | { type: 'lrps/evacuating'; report: EvacuatingReport }
  /** a cell's container list: anything no row accounts for is stopped; an instance on the cell the list leaves out is replaced */
  | { type: 'lrps/reconcile'; cell_id: string; containers: LrpContainer[] }
  /** internal, after `init`: the rows the supervisors hold, to seed which instances are on which cell */
  | { type: 'lrps/placements'; rows: ActualLRP[] };

export const LrpsMsg = {
  init: (): LrpsMsg => ({ type: 'lrps/init' }),
  desire: (input: unknown, replyTo: Ref<Result<DesiredLRP>>): LrpsMsg => ({ type: 'lrps/desire', input, replyTo }),
  update: (process_guid: string, input: unknown, replyTo: Ref<Result<DesiredLRP>>): LrpsMsg => ({ type: 'lrps/update', process_guid, input, replyTo }),
  remove: (process_guid: string, replyTo: Ref<Result<DesiredLRP | undefined>>): LrpsMsg => ({ type: 'lrps/remove', process_guid, replyTo }),
  get: (process_guid: string, replyTo: Ref<DesiredLRP | undefined>): LrpsMsg => ({ type: 'lrps/get', process_guid, replyTo }),
  retire: (process_guid: string, index: number, replyTo: Ref<Result<ActualLRP | undefined>>): LrpsMsg => ({ type: 'lrps/retire', process_guid, index, replyTo }),
  list: (filter: DesiredLrpFilter, replyTo: Ref<DesiredLRP[]>): LrpsMsg => ({ type: 'lrps/list', filter, replyTo }),
  actuals: (filter: ActualLrpFilter, replyTo: Ref<ActualLRP[]>): LrpsMsg => ({ type: 'lrps/actuals', filter, replyTo }),
  report: (report: InstanceReport): LrpsMsg => ({ type: 'lrps/report', report }),
  converge: (presentCells: string[], freshDomains: string[], replyTo: Ref<LrpConvergenceCounts>, heardCells?: string[]): LrpsMsg =>
    ({ type: 'lrps/converge', presentCells, freshDomains, replyTo, ...(heardCells ? { heardCells } : {}) }),
  reconcile: (cell_id: string, containers: LrpContainer[]): LrpsMsg => ({ type: 'lrps/reconcile', cell_id, containers }),
  cellAppeared: (cell_id: string): LrpsMsg => ({ type: 'lrps/cell-appeared', cell_id }),
  evacuating: (report: EvacuatingReport): LrpsMsg => ({ type: 'lrps/evacuating', report }),
};
