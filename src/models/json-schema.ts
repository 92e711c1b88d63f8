/**
 * Small builders for the models' JSON Schemas (draft 2020-12, the dialect of OpenAPI 3.1). The
 * validators treat `null` like an absent field, so a request's optional fields are `orNull`;
 * stored models never hold `null` and use the plain schema.
 */
import type { IntRange } from './validation.js';

export type JsonSchema = { readonly [keyword: string]: unknown };

/** A reference to another model's schema, where OpenAPI keeps them. */
export function componentRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** `schema`, or `null` (which the validators read as absent). */
export function orNull(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema['enum'])) return { ...schema, type: [schema['type'], 'null'], enum: [...schema['enum'], null] };
  if (typeof schema['type'] === 'string') return { ...schema, type: [schema['type'], 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

/** An integer within `range` (the validators' `IntRange`). */
export function integer({ min, max }: IntRange = {}, description?: string): JsonSchema {
  return {
    type: 'integer',
    ...(min !== undefined ? { minimum: min } : {}),
    ...(max !== undefined ? { maximum: max } : {}),
    ...(description !== undefined ? { description } : {}),
  };
}

export const text: JsonSchema = { type: 'string' };
/** A string the validators require: present and not empty. */
export const requiredText: JsonSchema = { type: 'string', minLength: 1 };
export const flag: JsonSchema = { type: 'boolean' };
export const textList: JsonSchema = { type: 'array', items: text };

export function arrayOf(items: JsonSchema, extra: JsonSchema = {}): JsonSchema {
  return { type: 'array', items, ...extra };
}

/**
 * An object: every `required` field present (and not null); each `optional` field may be left
 * out, and in a request (`nullable`) may also be null.
 */
export function objectSchema(
  required: Record<string, JsonSchema>,
  optional: Record<string, JsonSchema> = {},
  { nullable = false, description, closed = false }: { nullable?: boolean; description?: string; closed?: boolean } = {},
): JsonSchema {
  const optionals = Object.fromEntries(Object.entries(optional).map(([key, schema]) => [key, nullable ? orNull(schema) : schema]));
  return {
    type: 'object',
    ...(description !== undefined ? { description } : {}),
    ...(Object.keys(required).length > 0 ? { required: Object.keys(required) } : {}),
    properties: { ...required, ...optionals },
    ...(closed ? { additionalProperties: false } : {}),
  };
}
