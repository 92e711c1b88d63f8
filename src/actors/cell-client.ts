/**
 * The CellClient over a local cell actor: queries for state and perform, dispatches for the
 * rest. The cluster issue adds one over remoting with the same interface.
 */
import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { CellPresence, CellState } from '../models/cell-state.js';
import { CellMsg, type CellClient, type Work, type WorkResult } from './cell.protocol.js';

export function localCellClient(system: ActorSystem, cellRef: Ref<CellMsg>, cellId: string): CellClient {
  return {
    cellId,
    state: (timeoutMs) => system.query<CellMsg, CellState>(cellRef, (replyTo) => CellMsg.state(replyTo), timeoutMs),
    perform: (work: Work, timeoutMs) => system.query<CellMsg, WorkResult>(cellRef, (replyTo) => CellMsg.perform(work, replyTo), timeoutMs),
    stopInstance: (process_guid, index, instance_guid) => void system.dispatch(cellRef, CellMsg.stopInstance(process_guid, index, instance_guid)),
    cancelTask: (task_guid) => void system.dispatch(cellRef, CellMsg.cancelTask(task_guid)),
    deleteTask: (task_guid) => void system.dispatch(cellRef, CellMsg.deleteTask(task_guid)),
    reconcile: () => void system.dispatch(cellRef, CellMsg.reconcile()),
    evacuate: (timeoutMs) => system.query<CellMsg, CellPresence>(cellRef, (accepted) => CellMsg.evacuate({ accepted }), timeoutMs),
  };
}
