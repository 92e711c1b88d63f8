/**
 * The CellClient over a cell actor: queries for state and perform, dispatches for the rest. The
 * same client reaches a cell on another node through a remote ref (`remoteCellClient`).
 */
import { remoteRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import { isAlive } from '../runtime/cluster/member.js';
import type { Membership } from '../runtime/cluster/membership.js';
import type { CellPresence, CellState } from '../models/cell-state.js';
import type { EventHub } from './event-hub.js';
import { CellMsg, type CellClient, type Work, type WorkResult } from './cell.protocol.js';

/**
 * The control group term stamped on commands (docs/054), read at each command: it changes when a
 * read-only active wins a new term, and is below every term a cell accepts while it does not lead.
 * None for a lone control node.
 */
export type TermSource = number | (() => number);

/** `term`: see {@link TermSource}. */
export function localCellClient(system: ActorSystem, cellRef: Ref<CellMsg>, cellId: string, termSource?: TermSource): CellClient {
  const term = () => (typeof termSource === 'function' ? termSource() : termSource);
  return {
    cellId,
    state: (timeoutMs) => system.query<CellMsg, CellState>(cellRef, (replyTo) => CellMsg.state(replyTo), timeoutMs),
    perform: (work: Work, timeoutMs) => system.query<CellMsg, WorkResult>(cellRef, (replyTo) => CellMsg.perform(work, replyTo, term()), timeoutMs),
    stopInstance: (process_guid, index, instance_guid) => void system.dispatch(cellRef, CellMsg.stopInstance(process_guid, index, instance_guid, term())),
    cancelTask: (task_guid) => void system.dispatch(cellRef, CellMsg.cancelTask(task_guid, term())),
    deleteTask: (task_guid) => void system.dispatch(cellRef, CellMsg.deleteTask(task_guid, term())),
    reconcile: () => void system.dispatch(cellRef, CellMsg.reconcile()),
    evacuate: (timeoutMs) => system.query<CellMsg, CellPresence>(cellRef, (accepted) => CellMsg.evacuate({ accepted }), timeoutMs),
  };
}

/** The actor path of a cell's actor on its node (`spawnCell` names it after the cell). */
export const cellActorPath = (cellId: string): string => `/cell-${cellId}`;

/** The client of a cell on another node, while that node is a reachable member with the cell role. */
export function remoteCellClient(system: ActorSystem, membership: Pick<Membership, 'member'>, cellId: string, term?: TermSource): CellClient | undefined {
  const member = membership.member(cellId);
  if (!member || !isAlive(member.status) || !member.roles.includes('cell')) return undefined;
  return localCellClient(system, remoteRef<CellMsg>(cellId, cellActorPath(cellId)), cellId, term);
}

/**
 * How the control role reaches a cell: on the member named after the cell (`auctor start` runs
 * one cell per node, named after it), else on the live cell member listening at the cell's
 * `rep_address`, for a node that hosts many cells (bench/support/cell-simulator.ts: 1000 cells
 * in one process, which a full-mesh membership of 1000 members could not carry). The addresses
 * come from the presences of the cells as they appear: subscribe before the control starts, so
 * the control's own `cell_appeared` subscribers already find the cell. `term`: the active's term
 * in a control group, stamped on every command.
 */
export function cellRouting(system: ActorSystem, membership: Pick<Membership, 'member' | 'members'>, events: EventHub, term?: TermSource): (cellId: string) => CellClient | undefined {
  const repAddress = new Map<string, string>();
  events.events$.subscribe((e) => {
    if (e.type === 'cell_appeared') repAddress.set(e.data.cell.cell_id, e.data.cell.rep_address);
    else if (e.type === 'cell_disappeared') repAddress.delete(e.data.cell_id);
  });
  return (cellId) => {
    const own = remoteCellClient(system, membership, cellId, term);
    if (own) return own;
    const address = repAddress.get(cellId);
    const host = address && membership.members().find((m) => m.address === address && isAlive(m.status) && m.roles.includes('cell'));
    return host ? localCellClient(system, remoteRef<CellMsg>(host.name, cellActorPath(cellId)), cellId, term) : undefined;
  };
}
