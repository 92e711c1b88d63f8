/** What the domains registry accepts from operators: what `/v1/domains` offers. */
import { defineProtocol, field } from '../kernel/protocol-schema.js';
import type { DomainsMsg } from './domains.protocol.js';

export const DOMAINS_PROTOCOL = defineProtocol<DomainsMsg>('domains', {
  'domains/fresh': { description: 'the fresh domain names', reply: 'required' },
  'domains/upsert': {
    description: 'mark a domain fresh, as PUT /v1/domains/:domain (body: {"ttl": seconds})',
    reply: 'required',
    properties: { domain: field.nonEmpty, body: { type: 'object' } },
    required: ['domain', 'body'],
  },
});
