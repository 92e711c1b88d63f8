/**
 * What one instance's actor accepts from operators: its rows, and a retry that only does
 * something when a CRASHED instance's backoff is over (the actor checks, as for convergence).
 * Retrying an UNCLAIMED instance, reports, auction results and row surgery stay internal.
 */
import { defineProtocol } from '../runtime/kernel/protocol-schema.js';
import type { ActualLrpMsg } from './actual-lrp.protocol.js';

export const ACTUAL_LRP_PROTOCOL = defineProtocol<ActualLrpMsg>('actual-lrp', {
  'actual-lrp/get': { description: 'the ORDINARY row (null when there is none)', reply: 'required' },
  'actual-lrp/rows': { description: 'every row of this index: ORDINARY, SUSPECT, EVACUATING', reply: 'required' },
  'actual-lrp/retry': { description: 'restart a CRASHED instance whose backoff is over; nothing otherwise. No reply', reply: 'none' },
});
