/**
 * What the DesiredLRP registry accepts from operators: the reads, and the writes the REST API
 * offers (the actor validates their input with the models' validators, as for `/v1/desired_lrps`).
 * Reports, reconciliation, convergence plans, `init` and `forget` stay internal: they would let an
 * operator forge a cell's word or drop an LRP without stopping its instances.
 */
import { defineProtocol, field } from '../runtime/kernel/protocol-schema.js';
import type { LrpsMsg } from './lrps.protocol.js';

export const LRPS_PROTOCOL = defineProtocol<LrpsMsg>('lrps', {
  'lrps/get': { description: 'one DesiredLRP (null when unknown)', reply: 'required', properties: { process_guid: field.nonEmpty }, required: ['process_guid'] },
  'lrps/list': {
    description: 'the DesiredLRPs, optionally of one domain',
    reply: 'required',
    properties: { filter: { type: 'object', properties: { domain: field.string }, additionalProperties: false, default: {} } },
  },
  'lrps/actuals': {
    description: 'the ActualLRPs matching the filter',
    reply: 'required',
    properties: {
      filter: {
        type: 'object',
        properties: { domain: field.string, process_guid: field.string, cell_id: field.string, index: field.index },
        additionalProperties: false,
        default: {},
      },
    },
  },
  'lrps/desire': { description: 'desire an LRP, as POST /v1/desired_lrps (input: a DesiredLRP)', reply: 'required', properties: { input: field.input }, required: ['input'] },
  'lrps/update': {
    description: 'update an LRP, as PATCH /v1/desired_lrps/:process_guid',
    reply: 'required',
    properties: { process_guid: field.nonEmpty, input: field.input },
    required: ['process_guid', 'input'],
  },
  'lrps/remove': { description: 'remove an LRP and stop its instances, as DELETE /v1/desired_lrps/:process_guid', reply: 'required', properties: { process_guid: field.nonEmpty }, required: ['process_guid'] },
  'lrps/retire': {
    description: 'stop one instance; convergence starts a new one',
    reply: 'required',
    properties: { process_guid: field.nonEmpty, index: field.index },
    required: ['process_guid', 'index'],
  },
});
