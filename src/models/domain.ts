/**
 * Domains and their freshness (bbs:db/sqldb/domain_db.go; DIEGO.md 1.7, 3.6). A client marks a
 * domain fresh for `ttl` seconds (0 = forever); while fresh, convergence may retire extra and
 * orphaned instances in it. `expire_time` is ns; "forever" is `Number.MAX_SAFE_INTEGER` so it
 * survives JSON.
 */
import type { Result } from '../base/errors.js';
import { checkJsonBounds } from './json-bounds.js';
import { MAX_DOMAIN_BYTES } from './limits.js';
import { checkSchema } from './schema-check.js';
import { checkUtf8Bytes, validating } from './validation.js';

/** A stored domain row. */
export interface DomainRecord {
  domain: string;
  /** ns; fresh while `expire_time > now` */
  expire_time: number;
}

/** `expire_time` of a domain that never expires. */
export const DOMAIN_FOREVER = Number.MAX_SAFE_INTEGER;

/**
 * Validates `PUT /v1/domains/:domain` with body `{ttl}`: the name as a DesiredLRP's `domain` (1..255
 * bytes, no control character, not only white space), the body by the `DomainRequest` schema:
 * ttl an integer 0..2^32-1 seconds as BBS's `uint32` (absent = 0), so `expire_time` is always a
 * finite number.
 */
export function validateDomainUpsert(domain: string, body: unknown): Result<{ domain: string; ttl: number }> {
  return validating(() => {
    checkJsonBounds(domain, 'domain');
    checkUtf8Bytes(domain, MAX_DOMAIN_BYTES, 'domain');
    checkSchema('DesiredLRPRequest', domain, { name: 'domain' }, undefined, 'domain');
    checkJsonBounds(body, 'body');
    if (body === undefined || body === null) return { domain, ttl: 0 };
    checkSchema('DomainRequest', body, { name: 'body' });
    return { domain, ttl: ((body as { ttl?: number | null }).ttl ?? 0) };
  });
}

/** The row for marking `domain` fresh at `now` (ns) for `ttlSeconds` (0 = forever). */
export function upsertDomain(domain: string, ttlSeconds: number, now: number): DomainRecord {
  return { domain, expire_time: ttlSeconds === 0 ? DOMAIN_FOREVER : now + ttlSeconds * 1e9 };
}

/**
 * Whether the domain is fresh at `now` (ns). "Forever" is checked by name: ns epochs (~1.7e18)
 * are beyond 2^53, so no number JSON keeps exact is larger than every `now`.
 */
export function isDomainFresh(record: DomainRecord, now: number): boolean {
  return record.expire_time === DOMAIN_FOREVER || record.expire_time > now;
}

/** The fresh domain names at `now`, sorted. */
export function freshDomains(records: Iterable<DomainRecord>, now: number): string[] {
  return [...records].filter((r) => isDomainFresh(r, now)).map((r) => r.domain).sort();
}
