/**
 * What the cell presence registry accepts from operators: the list. A heartbeat would forge a
 * cell's presence; `cells/clients` answers with objects that are no JSON.
 */
import { defineProtocol } from '../runtime/kernel/protocol-schema.js';
import type { CellsMsg } from './cells.protocol.js';

export const CELLS_PROTOCOL = defineProtocol<CellsMsg>('cells', {
  'cells/list': { description: "the live cells' presences", reply: 'required' },
});
