/**
 * Validation shared by the models, after BBS's `Validate` methods (bbs:models/*.go). The JSON
 * Schemas of `schemas.ts` check the structure (`schema-check.ts` runs them through ajv); what
 * JSON Schema cannot say stays here as code: sizes in UTF-8 bytes, URL parsing, and (beside
 * their models) rules that tie one field to another.
 *
 * Messages are `invalid field: <path>` for a missing or wrongly typed field and `invalid field:
 * <path>: <reason>` when a present value breaks a rule, with `<path>` naming the field from the
 * top of the request: `process_guid`, `ports[1]`, `action.serial.actions[0].run.user`. `null`
 * counts as absent, as a Go client's zero value would. The first problem found is reported.
 *
 * Internally the checks throw the `InvalidRequest` error; `validating()` turns that into a
 * `Result` at the public boundary, so callers only ever see data. Any other throw is a bug and
 * escapes.
 */
import { AuctorError, failed, invalidField, ok, type Result } from '../base/errors.js';
import { isRecord } from '../base/guards.js';
import { utf8Length } from './text.js';

/** BBS `processGuidPattern`, also used for task guids. */
export const GUID_PATTERN = /^[a-zA-Z0-9_-]+$/;
/** BBS `maximumAnnotationLength`: 10 KiB. */
export const MAX_ANNOTATION_BYTES = 10 * 1024;
/** BBS `maximumRouteLength`: all route values together, 128 KiB. */
export const MAX_ROUTES_BYTES = 128 * 1024;
/** `rootfs`: a URL with a scheme (`preloaded:host`, `docker:///org/img`); `ploop` is not. */
export const ROOTFS_PATTERN = /^[a-zA-Z][a-zA-Z0-9+.-]*:./;

export interface IntRange {
  min?: number;
  max?: number;
}

/** A port number, 1..65535. */
export const PORT_RANGE: IntRange = { min: 1, max: 65535 };
/** A count that may be 0 (server-set fields; request fields have the tighter ranges of `limits.ts`). */
export const NON_NEGATIVE: IntRange = { min: 0 };
/** BBS `cpu_weight`: at most 100; 0 means the default share. */
export const CPU_WEIGHT_RANGE: IntRange = { min: 0, max: 100 };

/** Throws the `InvalidRequest` error for `path` (caught by `validating`). */
export function reject(path: string, reason?: string): never {
  throw invalidField(path, reason);
}

/** Runs a validator that throws `InvalidRequest` errors and returns its outcome as data. */
export function validating<T>(fn: () => T): Result<T> {
  try {
    return ok(fn());
  } catch (error) {
    if (error instanceof AuctorError && error.code === 'InvalidRequest') return failed(error);
    throw error;
  }
}

export { isRecord };

/** The error for `path` when `text` is longer than `max` bytes of UTF-8 (the schema's maxLength counts characters). */
export function checkUtf8Bytes(text: unknown, max: number, path: string): void {
  if (typeof text !== 'string') return;
  const bytes = utf8Length(text);
  if (bytes > max) reject(path, `${bytes} bytes, at most ${max}`);
}

/** The error for `path` when `values` written as JSON take more than `max` bytes together. */
export function checkJsonBytes(values: readonly unknown[], max: number, path: string): void {
  let bytes = 0;
  for (const value of values) bytes += utf8Length(JSON.stringify(value) ?? 'null');
  if (bytes > max) reject(path, `${bytes} bytes, at most ${max}`);
}

/** The error for `path` unless `text` (when set) parses as an http or https URL (the schema checks the scheme only). */
export function checkHttpUrl(text: unknown, path: string): void {
  if (typeof text !== 'string' || text === '') return;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reject(path, 'must be an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') reject(path, 'must be an http or https URL');
}

/** `obj` without the keys whose value is `undefined` (so stored JSON has no holes). */
export function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined)) as T;
}
