/** What convergence accepts from operators: a pass now. */
import { defineProtocol } from '../runtime/kernel/protocol-schema.js';
import type { ConvergenceMsg } from './convergence.protocol.js';

export const CONVERGENCE_PROTOCOL = defineProtocol<ConvergenceMsg>('convergence', {
  'convergence/run': { description: 'one convergence pass now; asked, the reply is the pass number and the LRP counts', reply: 'optional' },
});
