/**
 * Field validation shared by the models, after BBS's `Validate` methods (bbs:models/*.go).
 *
 * Inputs are `unknown` (parsed JSON), so every reader checks the JSON type too. Messages are
 * `invalid field: <path>` for a missing or wrongly typed field and `invalid field: <path>:
 * <reason>` when a present value breaks a rule, with `<path>` naming the field from the top of
 * the request: `process_guid`, `ports[1]`, `action.serial.actions[0].run.user`. `null` counts as
 * absent, as a Go client's zero value would. The first problem found is reported.
 *
 * Internally the readers throw the `InvalidRequest` error; `validating()` turns that into a
 * `Result` at the public boundary, so callers only ever see data. Any other throw is a bug and
 * escapes.
 */
import { AuctorError, failed, invalidField, ok, type Result } from '../base/errors.js';
import { isRecord } from '../base/guards.js';
import type { EnvVar } from './env-var.js';
import { DOMAIN_PATTERN, MAX_DOMAIN_BYTES, MAX_GUID_LENGTH, MAX_METRIC_TAGS_BYTES, MAX_PORTS } from './limits.js';
import { utf8Length } from './text.js';

/** BBS `processGuidPattern`, also used for task guids. */
export const GUID_PATTERN = /^[a-zA-Z0-9_-]+$/;
/** BBS `maximumAnnotationLength`: 10 KiB. */
export const MAX_ANNOTATION_BYTES = 10 * 1024;
/** BBS `maximumRouteLength`: all route values together, 128 KiB. */
export const MAX_ROUTES_BYTES = 128 * 1024;
/** `rootfs`: a URL with a scheme. */
export const ROOTFS_PATTERN = /^[a-zA-Z][a-zA-Z0-9+.-]*:./;

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

/** `value` as an object, or the `invalid field: <path>` error. */
export function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) reject(path);
  return value;
}

/** `parent.key`, or `key` at the top. */
export function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

const present = (value: unknown): boolean => value !== undefined && value !== null;

export interface IntRange {
  min?: number;
  max?: number;
}

/**
 * Reads typed fields of one JSON object; `prefix` is the object's own path. Each reader returns
 * the value (or `undefined` when absent and optional) or throws the field's error.
 */
export class Fields {
  constructor(readonly record: Record<string, unknown>, readonly prefix = '') {}

  /** The path of `key` inside this object. */
  path(key: string): string {
    return join(this.prefix, key);
  }

  /** Whether `key` is set (not absent, not null). */
  has(key: string): boolean {
    return present(this.record[key]);
  }

  /** A string, or `undefined`. */
  string(key: string): string | undefined {
    const value = this.record[key];
    if (!present(value)) return undefined;
    if (typeof value !== 'string') reject(this.path(key));
    return value;
  }

  /** A non-empty string; missing or empty is an error. */
  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') reject(this.path(key));
    return value;
  }

  /** A required string matching BBS's guid pattern, at most 128 characters (it becomes a key). */
  guid(key: string): string {
    const value = this.requiredString(key);
    if (value.length > MAX_GUID_LENGTH) reject(this.path(key), `${value.length} characters, at most ${MAX_GUID_LENGTH}`);
    if (!GUID_PATTERN.test(value)) reject(this.path(key), `must match ${GUID_PATTERN.source}`);
    return value;
  }

  /** A required domain name (see `checkDomain`). */
  domain(key: string): string {
    const value = this.string(key);
    if (value === undefined) reject(this.path(key));
    return checkDomain(value, this.path(key));
  }

  /** A boolean, or `undefined`. */
  bool(key: string): boolean | undefined {
    const value = this.record[key];
    if (!present(value)) return undefined;
    if (typeof value !== 'boolean') reject(this.path(key));
    return value;
  }

  /** An integer within `range`, or `undefined`. */
  int(key: string, range: IntRange = {}): number | undefined {
    const value = this.record[key];
    if (!present(value)) return undefined;
    return checkInt(value, this.path(key), range);
  }

  /** A required integer within `range`. */
  requiredInt(key: string, range: IntRange = {}): number {
    const value = this.int(key, range);
    if (value === undefined) reject(this.path(key));
    return value;
  }

  /** An array, or `undefined`. */
  array(key: string): unknown[] | undefined {
    const value = this.record[key];
    if (!present(value)) return undefined;
    if (!Array.isArray(value)) reject(this.path(key));
    return value;
  }

  /** An array of strings, or `undefined`. */
  stringArray(key: string): string[] | undefined {
    const items = this.array(key);
    items?.forEach((item, i) => {
      if (typeof item !== 'string') reject(`${this.path(key)}[${i}]`);
    });
    return items as string[] | undefined;
  }

  /** A nested object, or `undefined`. */
  object(key: string): Record<string, unknown> | undefined {
    const value = this.record[key];
    if (!present(value)) return undefined;
    return asRecord(value, this.path(key));
  }
}

/** `value` as an integer in `range`, or the error for `path`. */
export function checkInt(value: unknown, path: string, { min, max }: IntRange = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) reject(path);
  if (!Number.isInteger(value)) reject(path, `must be an integer, got ${value}`);
  const outside = (min !== undefined && value < min) || (max !== undefined && value > max);
  if (outside) {
    if (min !== undefined && max !== undefined) reject(path, `must be in ${min}..${max}, got ${value}`);
    if (min !== undefined) reject(path, `must be at least ${min}, got ${value}`);
    reject(path, `must be at most ${max}, got ${value}`);
  }
  return value;
}

/**
 * A domain name: 1..255 bytes of UTF-8, no control character (CR, LF, NUL, ...), not only white
 * space; else the error for `path`.
 */
export function checkDomain(value: string, path: string): string {
  if (value === '') reject(path);
  const bytes = utf8Length(value);
  if (bytes > MAX_DOMAIN_BYTES) reject(path, `${bytes} bytes, at most ${MAX_DOMAIN_BYTES}`);
  if (!DOMAIN_PATTERN.test(value)) reject(path, /\S/.test(value) ? 'must not contain control characters' : 'must not be only white space');
  return value;
}

/** A port number, 1..65535. */
export const PORT_RANGE: IntRange = { min: 1, max: 65535 };
/** A count that may be 0 (server-set fields; request fields have the tighter ranges of `limits.ts`). */
export const NON_NEGATIVE: IntRange = { min: 0 };
/** BBS `cpu_weight`: at most 100; 0 means the default share. */
export const CPU_WEIGHT_RANGE: IntRange = { min: 0, max: 100 };

/** `rootfs`: required, a URL with a scheme (`preloaded:host`, `docker:///org/img`); `ploop` is not. */
export function readRootfs(fields: Fields): string {
  const rootfs = fields.requiredString('rootfs');
  if (!ROOTFS_PATTERN.test(rootfs)) reject(fields.path('rootfs'), 'must be a URL with a scheme');
  return rootfs;
}

/** `annotation`: a string of at most 10240 bytes. */
export function readAnnotation(fields: Fields): string | undefined {
  const annotation = fields.string('annotation');
  if (annotation === undefined) return undefined;
  const bytes = utf8Length(annotation);
  if (bytes > MAX_ANNOTATION_BYTES) reject(fields.path('annotation'), `${bytes} bytes, at most ${MAX_ANNOTATION_BYTES}`);
  return annotation;
}

/** Opaque routes, keyed by router; all values together at most 128 KiB as JSON. */
export type Routes = Record<string, unknown>;

/** `routes`: an object whose values' JSON totals at most 131072 bytes. */
export function readRoutes(fields: Fields): Routes | undefined {
  const routes = fields.object('routes');
  if (routes === undefined) return undefined;
  let bytes = 0;
  for (const value of Object.values(routes)) bytes += utf8Length(JSON.stringify(value) ?? 'null');
  if (bytes > MAX_ROUTES_BYTES) reject(fields.path('routes'), `${bytes} bytes, at most ${MAX_ROUTES_BYTES}`);
  return routes;
}

/** An `env` list at `path`: each entry `{name, value}` with a non-empty name. */
export function checkEnv(value: unknown, path: string): EnvVar[] {
  if (!Array.isArray(value)) reject(path);
  return value.map((entry, i) => {
    const env = new Fields(asRecord(entry, `${path}[${i}]`), `${path}[${i}]`);
    return { name: env.requiredString('name'), value: env.string('value') ?? '' };
  });
}

/** `env`, or `undefined`. */
export function readEnv(fields: Fields): EnvVar[] | undefined {
  return fields.has('env') ? checkEnv(fields.record['env'], fields.path('env')) : undefined;
}

/** `ports`: at most 100 container ports, each 1..65535. */
export function readPorts(fields: Fields): number[] | undefined {
  const ports = fields.array('ports');
  if (ports !== undefined && ports.length > MAX_PORTS) reject(fields.path('ports'), `${ports.length} ports, at most ${MAX_PORTS}`);
  return ports?.map((port, i) => checkInt(port, `${fields.path('ports')}[${i}]`, PORT_RANGE));
}

/** BBS `MetricTagValue`: a fixed string or one of the instance's own values. */
export type MetricTagValue = { static: string; dynamic?: undefined } | { dynamic: 'INDEX' | 'INSTANCE_GUID'; static?: undefined };

/**
 * `metric_tags`: each value has exactly one of `static` (a string) or `dynamic` (INDEX,
 * INSTANCE_GUID); all of them together at most 16 KiB as JSON.
 */
export function readMetricTags(fields: Fields): Record<string, MetricTagValue> | undefined {
  const tags = fields.object('metric_tags');
  if (tags === undefined) return undefined;
  const bytes = utf8Length(JSON.stringify(tags));
  if (bytes > MAX_METRIC_TAGS_BYTES) reject(fields.path('metric_tags'), `${bytes} bytes, at most ${MAX_METRIC_TAGS_BYTES}`);
  const out: Record<string, MetricTagValue> = {};
  for (const [name, raw] of Object.entries(tags)) {
    const tag = new Fields(asRecord(raw, `${fields.path('metric_tags')}.${name}`), `${fields.path('metric_tags')}.${name}`);
    const fixed = tag.string('static');
    const dynamic = tag.string('dynamic');
    if ((fixed === undefined) === (dynamic === undefined)) reject(tag.prefix, 'must have exactly one of static, dynamic');
    if (dynamic !== undefined && dynamic !== 'INDEX' && dynamic !== 'INSTANCE_GUID') reject(tag.path('dynamic'), 'must be INDEX or INSTANCE_GUID');
    out[name] = fixed !== undefined ? { static: fixed } : { dynamic: dynamic as 'INDEX' | 'INSTANCE_GUID' };
  }
  return out;
}

/** An http or https URL, or `undefined`. */
export function readHttpUrl(fields: Fields, key: string): string | undefined {
  const text = fields.string(key);
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    reject(fields.path(key), 'must be an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') reject(fields.path(key), 'must be an http or https URL');
  return text;
}

/** `obj` without the keys whose value is `undefined` (so stored JSON has no holes). */
export function compact<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, value]) => value !== undefined)) as T;
}
