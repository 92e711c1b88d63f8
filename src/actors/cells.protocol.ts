import type { Ref } from '../runtime/kernel/protocol.js';
import type { CellClient } from './cell.protocol.js';
import type { CellPresence, CellState } from '../models/cell-state.js';

export type CellsMsg =
  /** a cell's heartbeat (routed from `cell-report/heartbeat`): (re)starts its TTL */
  | { type: 'cells/heartbeat'; presence: CellPresence }
  /** the live presences, by cell id */
  | { type: 'cells/list'; replyTo: Ref<CellPresence[]> }
  /** the clients of the live cells this node can reach (for an auction round) */
  | { type: 'cells/clients'; replyTo: Ref<CellClient[]> };

/** A live cell as `GET /v1/cells` shows it: its presence and, when it answered in time, its state. */
export interface CellView {
  presence: CellPresence;
  state?: CellState;
}

export const CellsMsg = {
  heartbeat: (presence: CellPresence): CellsMsg => ({ type: 'cells/heartbeat', presence }),
  list: (replyTo: Ref<CellPresence[]>): CellsMsg => ({ type: 'cells/list', replyTo }),
  clients: (replyTo: Ref<CellClient[]>): CellsMsg => ({ type: 'cells/clients', replyTo }),
};
