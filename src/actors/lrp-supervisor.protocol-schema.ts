/**
 * What one LRP's supervisor accepts from operators: its reads and retiring an instance. Create,
 * update and delete go through `lrps` (which validates and keeps its registry in step); the
 * convergence and report messages stay internal.
 */
import { defineProtocol, field } from '../runtime/kernel/protocol-schema.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';

export const LRP_SUPERVISOR_PROTOCOL = defineProtocol<LrpSupervisorMsg>('lrp-supervisor', {
  'lrp/get': { description: 'the DesiredLRP', reply: 'required' },
  'lrp/actuals': { description: 'every ActualLRP row of this LRP, by index', reply: 'required' },
  'lrp/retire': { description: 'stop the instance at index; convergence starts a new one', reply: 'required', properties: { index: field.index }, required: ['index'] },
});
