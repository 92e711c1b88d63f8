/**
 * What the domains registry accepts from operators: what `/v1/domains` offers, bounded as there
 * (a name of at most 255 characters without control characters, ttl 0..2^32-1 s); the actor's
 * validator checks the same again, and the name's UTF-8 bytes.
 */
import { DOMAIN_TTL_S } from '../models/limits.js';
import { defineProtocol, field } from '../runtime/kernel/protocol-schema.js';
import type { DomainsMsg } from './domains.protocol.js';

export const DOMAINS_PROTOCOL = defineProtocol<DomainsMsg>('domains', {
  'domains/fresh': { description: 'the fresh domain names', reply: 'required' },
  'domains/upsert': {
    description: 'mark a domain fresh, as PUT /v1/domains/:domain (body: {"ttl": seconds})',
    reply: 'required',
    properties: {
      domain: field.domain,
      body: { type: 'object', properties: { ttl: { anyOf: [{ type: 'integer', minimum: DOMAIN_TTL_S.min, maximum: DOMAIN_TTL_S.max }, { type: 'null' }] } } },
    },
    required: ['domain', 'body'],
  },
});
