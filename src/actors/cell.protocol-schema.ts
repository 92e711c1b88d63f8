/**
 * What a cell accepts from operators: its state, and the drain (as `POST /v1/cells/:id/evacuate`;
 * asked, it answers once the cell is drained, so give it a timeout). Perform, stop, cancel and delete change
 * containers behind the control side's back (its rows would disagree with the cell), so they stay
 * internal.
 */
import { defineProtocol } from '../runtime/kernel/protocol-schema.js';
import type { CellMsg } from './cell.protocol.js';

export const CELL_PROTOCOL = defineProtocol<CellMsg>('cell', {
  'cell/state': { description: "the cell's auction-time state: capacity, what it holds, what it is starting", reply: 'required' },
  'cell/evacuate': { description: 'drain: no new work, its instances start elsewhere first, then its containers stop', reply: 'optional' },
});
