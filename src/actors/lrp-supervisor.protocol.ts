import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP, DesiredLRPUpdate } from '../models/desired-lrp.js';
import type { Result } from '../base/errors.js';
import type { EvacuatingReport, InstanceReport, LrpContainer } from './actual-lrp.protocol.js';

export type LrpSupervisorMsg =
  /**
   * the first message of a new LRP, whose DesiredLRP `lrps` is journaling (the supervisor starts
   * from it: `startsFrom`) and answers for: once stored, start its instances
   */
  | { type: 'lrp/create'; desired: DesiredLRP }
  /** after a control start: activate the instances with an effect to resume (lrp-supervisor.instances.ts indicesToResume) */
  | { type: 'lrp/recover' }
  /** sent by the kernel to a supervisor activated for a message to one of its instances: handling it declares them (that message waits for it) */
  | { type: 'lrp/wake' }
  | { type: 'lrp/update'; update: DesiredLRPUpdate; replyTo: Ref<Result<DesiredLRP>> }
  /** stop every instance, then answer; the registry stops the supervisor afterwards */
  | { type: 'lrp/delete'; replyTo: Ref<Result<DesiredLRP>> }
  | { type: 'lrp/get'; replyTo: Ref<DesiredLRP | undefined> }
  /** stop one instance and drop its row; convergence starts a fresh one */
  /** the retired row; undefined for a quarantined index (released, its journal deleted) */
  | { type: 'lrp/retire'; index: number; replyTo: Ref<Result<ActualLRP | undefined>> }
  | { type: 'lrp/actuals'; replyTo: Ref<ActualLRP[]> }
  /** convergence: make sure these indices have an instance actor (and a row) */
  | { type: 'lrp/start-missing'; indices: number[] }
  /** convergence: the instance at `index` retries what is due (stale UNCLAIMED, due CRASHED) */
  | { type: 'lrp/retry'; index: number; unclaimed: boolean }
  /** convergence: `cell_id` is gone; the instances at `indices` (all when absent) placed there become SUSPECT and are replaced */
  | { type: 'lrp/cell-lost'; cell_id: string; indices?: number[] }
  /** the cells `cell_ids` are present again: SUSPECT instances there are promoted (or removed if replaced) */
  | { type: 'lrp/cell-back'; cell_ids: string[]; indices?: number[] }
  /** convergence: drop a SUSPECT row */
  | { type: 'lrp/remove-suspect'; index: number; instance_guid: string }
  /** convergence: drop an EVACUATING row whose cell is gone */
  | { type: 'lrp/prune-evacuating'; index: number; instance_guid: string }
  | { type: 'lrp/evacuating'; report: EvacuatingReport }
  | { type: 'lrp/reconcile'; containers: LrpContainer[] }
  /** the container list of `cell_id` leaves out this instance, which `lrps` took to be there */
  | { type: 'lrp/container-missing'; index: number; cell_id: string; instance_guid: string }
  | { type: 'lrp/report'; report: InstanceReport };
