/**
 * How a refusal says why (`invalid field: <path>: <reason>`), for the fault `schema-check.ts`
 * locates: a missing or wrongly typed field has no reason (`invalid field: process_guid`); a
 * present value that breaks a rule says which (`must be in 1..65535, got 0`). Most reasons follow
 * from the schema keyword that failed; the fields below word theirs as the models always have,
 * keyed by field name (the names are unique across the request schemas).
 */
import type { ErrorObject } from 'ajv/dist/2020.js';
import { MAX_DOMAIN_BYTES, MAX_PORTS } from './limits.js';
import { utf8Length } from './text.js';
import { MAX_ANNOTATION_BYTES } from './validation.js';

type Reason = (value: any) => string | undefined;
/** A field's own reasons, by the keyword that failed; `absent` when it is missing or null (or '', when it has one). */
type Wording = { absent?: () => string } & Partial<Record<string, Reason>>;

const bytes = (max: number): Reason => (text: string) => `${utf8Length(text)} bytes, at most ${max}`;
const EMPTY = 'must not be empty';

const FIELDS: Readonly<Record<string, Wording>> = {
  // maxLength counts characters: past it, the bytes are past the limit too
  domain: {
    maxLength: bytes(MAX_DOMAIN_BYTES),
    pattern: (text: string) => (/\S/.test(text) ? 'must not contain control characters' : 'must not be only white space'),
  },
  annotation: { maxLength: bytes(MAX_ANNOTATION_BYTES) },
  rootfs: { pattern: () => 'must be a URL with a scheme' },
  completion_callback_url: { pattern: () => 'must be an http or https URL' },
  ports: { maxItems: (ports: unknown[]) => `${ports.length} ports, at most ${MAX_PORTS}` },
  actions: { absent: () => EMPTY, minItems: () => EMPTY },
  dynamic: { enum: () => 'must be INDEX or INSTANCE_GUID' },
  // a download's checksum: both or neither (an empty string counts as neither)
  checksum_algorithm: { absent: () => 'required with checksum_value', enum: () => 'must be md5, sha1 or sha256' },
  checksum_value: { absent: () => 'required with checksum_algorithm' },
};

/** How a `oneOf` of one-key branches words a value with no key or several (`count`), or an unknown one. */
export const UNIONS: Readonly<Record<string, { count: string; unknown: string }>> = {
  Action: { count: 'must have exactly one action key', unknown: 'unknown action' },
};

/** How a closed object (`additionalProperties: false`) words a key it does not have. */
export const STRAY_KEY: Readonly<Record<string, string>> = {
  DesiredLRPUpdate: 'cannot be updated',
  CrashPolicy: 'unknown',
};

/** Why `value` at `field` fails `error` (`undefined` error: the field is missing). */
export function reasonFor(error: ErrorObject | undefined, field: string | undefined, value: unknown): string | undefined {
  const wording = field === undefined ? undefined : FIELDS[field];
  if (error === undefined || value === undefined || value === null || (value === '' && wording?.absent)) return wording?.absent?.();
  // an empty string where text is required (a guid, rootfs) is named bare, as a missing one is
  if (value === '' && error.keyword === 'pattern') return undefined;
  const own = wording?.[error.keyword];
  if (own) return own(value);
  const schema = error.parentSchema as { minimum?: number; maximum?: number } | undefined;
  switch (error.keyword) {
    case 'type':
      return String(error.params['type']).includes('integer') && typeof value === 'number' ? `must be an integer, got ${value}` : undefined;
    case 'minimum':
    case 'maximum':
      return rangeReason(schema?.minimum, schema?.maximum, value);
    case 'maxLength':
      return `${(value as string).length} characters, at most ${error.params['limit']}`;
    case 'pattern':
      return `must match ${error.params['pattern']}`;
    case 'minLength':
      return undefined;
    case 'enum':
      return `must be one of ${(error.params['allowedValues'] as unknown[]).join(', ')}`;
    default:
      return error.message;
  }
}

function rangeReason(min: number | undefined, max: number | undefined, value: unknown): string {
  if (min !== undefined && max !== undefined) return `must be in ${min}..${max}, got ${value}`;
  return min !== undefined ? `must be at least ${min}, got ${value}` : `must be at most ${max}, got ${value}`;
}
