/**
 * What the domains registry accepts from operators: what `/v1/domains` offers, bounded as there
 * (a name of at most 255 characters without control characters, ttl 0..2^32-1 s); the actor's
 * validator checks the same again, and the name's UTF-8 bytes.
 */
import { DOMAIN_PATTERN, DOMAIN_TTL_S, MAX_DOMAIN_BYTES } from '../models/limits.js';
import { defineProtocol, type JsonSchema } from '../runtime/kernel/protocol-schema.js';
import type { DomainsMsg } from './domains.protocol.js';

/** a domain name, as the models bound it (the actor also counts its UTF-8 bytes) */
const domain: JsonSchema = { type: 'string', minLength: 1, maxLength: MAX_DOMAIN_BYTES, pattern: DOMAIN_PATTERN.source };

export const DOMAINS_PROTOCOL = defineProtocol<DomainsMsg>('domains', {
  'domains/fresh': { description: 'the fresh domain names', reply: 'required' },
  'domains/upsert': {
    description: 'mark a domain fresh, as PUT /v1/domains/:domain (body: {"ttl": seconds})',
    reply: 'required',
    properties: {
      domain,
      body: { type: 'object', properties: { ttl: { anyOf: [{ type: 'integer', minimum: DOMAIN_TTL_S.min, maximum: DOMAIN_TTL_S.max }, { type: 'null' }] } } },
    },
    required: ['domain', 'body'],
  },
});
