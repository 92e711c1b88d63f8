/**
 * What an LRP supervisor hands on to its instances: cell reports, container lists, evacuations
 * and the steps of a convergence plan, each to the index it names. An index nobody desires has
 * its instance stopped (`stopStray`); a quarantined index's instance is left alone, as its row
 * cannot be read.
 */
import type { Logger } from '../base/logger.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import { ActualLrpMsg, type InstanceReport } from './actual-lrp.protocol.js';
import type { ControlDeps } from './control-deps.js';
import { runsAsIndexed, type Instances } from './lrp-supervisor.instances.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';

/** The supervisor's messages that only go on to instances. */
export type ForwardedMsg = Extract<LrpSupervisorMsg, { type:
  'lrp/retry' | 'lrp/cell-lost' | 'lrp/cell-back' | 'lrp/remove-suspect' | 'lrp/prune-evacuating' |
  'lrp/evacuating' | 'lrp/reconcile' | 'lrp/container-missing' | 'lrp/report' }>;

/** The supervisor as of the message being handled. */
export interface ForwardingContext {
  system: ActorSystem;
  deps: ControlDeps;
  children: Instances;
  /** the desired count (0 once deleted): indices at or above it are not desired */
  desiredInstances: number;
  /** the instance of an index, if it is one (in the index) */
  instance: (index: number) => Ref<ActualLrpMsg> | undefined;
  /** the quarantined indices, by name */
  quarantined: ReadonlyMap<string, unknown>;
  /** the indices that are instances now, quarantined ones included, in order */
  known: () => number[];
  log: Logger;
}

export function forwardToInstances(c: ForwardingContext, msg: ForwardedMsg): void {
  const { system, deps, children, instance, quarantined } = c;
  switch (msg.type) {
    case 'lrp/retry': {
      const ref = instance(msg.index);
      if (ref) system.dispatch(ref, ActualLrpMsg.retry(msg.unclaimed));
      return;
    }
    case 'lrp/cell-lost':
    case 'lrp/cell-back': {
      const m: ActualLrpMsg = msg.type === 'lrp/cell-lost' ? { type: 'actual-lrp/cell-lost', cell_id: msg.cell_id } : { type: 'actual-lrp/cell-back', cell_ids: msg.cell_ids };
      // a passive instance is idle (RUNNING or CRASHED, no copy): cells appearing change nothing for it
      const concerned = (i: number) => !quarantined.has(String(i)) && (msg.type === 'lrp/cell-lost' || children.isActive(String(i)));
      const refs = (msg.indices ?? c.known().filter(concerned)).map(instance);
      for (const ref of refs) if (ref) system.dispatch(ref, m);
      return;
    }
    case 'lrp/remove-suspect': {
      const ref = instance(msg.index);
      if (ref) system.dispatch(ref, { type: 'actual-lrp/remove-suspect', instance_guid: msg.instance_guid });
      return;
    }
    case 'lrp/prune-evacuating': {
      const ref = instance(msg.index);
      if (ref) system.dispatch(ref, { type: 'actual-lrp/prune-evacuating', instance_guid: msg.instance_guid });
      return;
    }
    case 'lrp/evacuating': {
      const r = msg.report;
      const ref = instance(r.index);
      if (ref && r.index < c.desiredInstances) system.dispatch(ref, { type: 'actual-lrp/evacuating', report: r });
      else if (!quarantined.has(String(r.index))) deps.clientFor(r.cell_id)?.stopInstance(r.process_guid, r.index, r.instance_guid);
      return;
    }
    case 'lrp/reconcile':
      for (const container of msg.containers) {
        const ref = instance(container.index);
        if (ref && container.index < c.desiredInstances) {
          // an instance listed as its row says (RUNNING there) has nothing to catch up: not messaged
          if (!runsAsIndexed(deps.queries, container)) system.dispatch(ref, { type: 'actual-lrp/reconcile', container });
        }
        else if (!quarantined.has(String(container.index))) stopStray(deps, { type: 'cell-report/lrp-running', ...container }, c.log);
      }
      return;
    case 'lrp/container-missing': {
      const ref = instance(msg.index);
      if (ref && msg.index < c.desiredInstances) system.dispatch(ref, { type: 'actual-lrp/container-missing', cell_id: msg.cell_id, instance_guid: msg.instance_guid });
      return;
    }
    case 'lrp/report': {
      const ref = instance(msg.report.index);
      if (ref && msg.report.index < c.desiredInstances) system.dispatch(ref, ActualLrpMsg.report(msg.report));
      // a quarantined index's instance is left alone, as its row cannot be read
      else if (!quarantined.has(String(msg.report.index))) stopStray(deps, msg.report, c.log);
      return;
    }
  }
}

/** An instance of an index nobody desires (reported or listed by its cell): stop it (its crash or stop needs nothing). */
export function stopStray(deps: ControlDeps, r: Pick<InstanceReport, 'type' | 'cell_id' | 'process_guid' | 'index' | 'instance_guid'>, log: Logger): void {
  if (r.type === 'cell-report/lrp-crashed' || r.type === 'cell-report/lrp-stopped') return;
  log.info({ cell_id: r.cell_id, process_guid: r.process_guid, index: r.index, instance_guid: r.instance_guid }, 'lrp.stop-undesired');
  deps.clientFor(r.cell_id)?.stopInstance(r.process_guid, r.index, r.instance_guid);
}
