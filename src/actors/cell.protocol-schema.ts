/**
 * What a cell accepts from operators: its state only. Perform, stop, cancel and delete change
 * containers behind the control side's back (its rows would disagree with the cell), so they stay
 * internal.
 */
import { defineProtocol } from './kernel/protocol-schema.js';
import type { CellMsg } from './cell.protocol.js';

export const CELL_PROTOCOL = defineProtocol<CellMsg>('cell', {
  'cell/state': { description: "the cell's auction-time state: capacity, what it holds, what it is starting", reply: 'required' },
});
