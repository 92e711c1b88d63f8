/**
 * Where `control` sends each report a cell makes: heartbeats to `cells`, instance reports,
 * evacuations and the LRP part of a container list to the LRP supervisors by path (lrps-routes.ts;
 * through `lrps` until it declared them), task reports and the task part of a list to `tasks`.
 */
import { assertNever } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Logger } from '../base/logger.js';
import type { LrpContainer } from './actual-lrp.protocol.js';
import type { CellReport } from './cell.protocol.js';
import { CellsMsg } from './cells.protocol.js';
import type { LrpRoutes } from './lrps-routes.js';
import { LrpsMsg } from './lrps.protocol.js';
import { TasksMsg } from './tasks.protocol.js';
import type { ControlRefs } from './control.js';

export function routeCellReport(system: ActorSystem, r: ControlRefs, lrpRoutes: LrpRoutes | undefined, msg: CellReport, log: Logger): void {
  switch (msg.type) {
    case 'cell-report/heartbeat':
      system.dispatch(r.cells, CellsMsg.heartbeat(msg.presence));
      break;
    case 'cell-report/lrp-claimed':
    case 'cell-report/lrp-running':
    case 'cell-report/lrp-crashed':
    case 'cell-report/lrp-stopped':
      if (!lrpRoutes?.report(msg, log)) system.dispatch(r.lrps, LrpsMsg.report(msg));
      break;
    case 'cell-report/lrp-evacuating':
      if (!lrpRoutes?.evacuating(msg, log)) system.dispatch(r.lrps, LrpsMsg.evacuating(msg));
      break;
    case 'cell-report/task-started':
    case 'cell-report/task-completed':
      system.dispatch(r.tasks, TasksMsg.report(msg));
      break;
    case 'cell-report/containers': {
      const lrps: LrpContainer[] = [];
      const tasks: Array<{ task_guid: string; state: 'RUNNING' | 'COMPLETED' }> = [];
      for (const c of msg.containers) {
        if (c.kind === 'lrp') lrps.push({ ...c, cell_id: msg.cell_id });
        else tasks.push({ task_guid: c.task_guid, state: c.state });
      }
      if (!lrpRoutes?.containers(msg.cell_id, lrps, log)) system.dispatch(r.lrps, LrpsMsg.reconcile(msg.cell_id, lrps));
      system.dispatch(r.tasks, { type: 'tasks/reconcile', cell_id: msg.cell_id, containers: tasks });
      break;
    }
    default:
      assertNever(msg);
  }
}
