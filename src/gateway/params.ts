/**
 * Path and query parameters. Fastify hands them over as strings; each reader checks one and
 * throws the `InvalidRequest` error naming it (the route's error handler answers 400).
 */
import { invalidField } from '../base/errors.js';

/** A non-negative whole number such as an instance index. */
export function wholeNumber(value: string | undefined, field: string): number {
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw invalidField(field, `"${value ?? ''}" is not a whole number`);
  return Number(value);
}

/** An optional whole-number query parameter. */
export function optionalWholeNumber(value: string | undefined, field: string): number | undefined {
  return value === undefined || value === '' ? undefined : wholeNumber(value, field);
}

/** An optional boolean query parameter: `true`/`false`/`1`/`0`, absent = `fallback`. */
export function flagParam(value: string | undefined, field: string, fallback = false): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidField(field, `"${value}" is not true or false`);
}

/**
 * A list query parameter: comma lists, repeated or not (`?types=a,b&types=c` is `a, b, c`),
 * trimmed, empties dropped, duplicates kept once; `[]` when absent.
 */
export function listParam(value: string | string[] | undefined): string[] {
  const given = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const items = given.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  return [...new Set(items)];
}

/** An optional string query parameter, absent when empty. */
export function stringParam(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
