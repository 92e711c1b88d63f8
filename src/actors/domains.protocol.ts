import type { Ref } from '../runtime/kernel/protocol.js';
import type { DomainRecord } from '../models/domain.js';
import type { Result } from '../base/errors.js';

export type DomainsMsg =
  /** `PUT /v1/domains/:domain` with `{ttl}` (seconds, 0 = forever) */
  | { type: 'domains/upsert'; domain: string; body: unknown; replyTo: Ref<Result<DomainRecord>> }
  /** the fresh domain names, sorted */
  | { type: 'domains/fresh'; replyTo: Ref<string[]> };

export const DomainsMsg = {
  upsert: (domain: string, body: unknown, replyTo: Ref<Result<DomainRecord>>): DomainsMsg => ({ type: 'domains/upsert', domain, body, replyTo }),
  fresh: (replyTo: Ref<string[]>): DomainsMsg => ({ type: 'domains/fresh', replyTo }),
};
