/**
 * fast-check arbitraries from JSON Schema (the draft 2020-12 subset `src/models/schemas.ts` and
 * `/openapi.json` use): `$ref` into the components, `type` (one or a list), `enum`, `const`,
 * `properties`/`required`/`additionalProperties`, `items`/`minItems`/`maxItems`,
 * `minLength`/`maxLength`/`pattern`, `minimum`/`maximum`, `oneOf`/`anyOf` (each branch merged
 * with the schema around it) and `if`/`then` (either the `if` fields left out, or `then` merged
 * in). Every value it makes is one the schema accepts; the property tests check that with ajv.
 *
 * Recursion (an action nesting actions) is bounded by `maxDepth` `$ref`s: past it, a `oneOf`
 * takes its first branch (a leaf: `run`), optional fields are left out and arrays are as short
 * as allowed. No library did this for fast-check 4 when written (`json-schema-fast-check` was
 * one 0.0.x release), so it is small and ours.
 */
import fc from 'fast-check';

export type Schema = { readonly [keyword: string]: any };

export interface SchemaArbitraryOptions {
  /** where `#/components/schemas/<Name>` refs point */
  components: Record<string, Schema>;
  /** arbitraries used instead of the schema's for a property of this name, at any depth */
  overrides?: Record<string, fc.Arbitrary<unknown>>;
  /** `$ref`s followed before recursion stops; default 6 */
  maxDepth?: number;
}

const REF = '#/components/schemas/';
const JSON_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const;

/** The JSON type of `value`, with whole numbers as `integer`. */
export function jsonType(value: unknown): (typeof JSON_TYPES)[number] {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as 'boolean' | 'string' | 'object';
}

/** `schema` with its `$ref` followed, as often as it takes. */
export function resolve(schema: Schema, components: Record<string, Schema>): Schema {
  let at = schema;
  while (typeof at.$ref === 'string') {
    const name = at.$ref.startsWith(REF) ? at.$ref.slice(REF.length) : undefined;
    const target = name === undefined ? undefined : components[name];
    if (!target) throw new Error(`unresolvable $ref ${at.$ref}`);
    at = target;
  }
  return at;
}

/** The JSON types a schema allows, or undefined when it does not say. */
export function typesOf(schema: Schema): string[] | undefined {
  if (schema.type !== undefined) return (Array.isArray(schema.type) ? schema.type : [schema.type]).flatMap((t: string) => (t === 'number' ? ['number', 'integer'] : [t]));
  if (schema.enum) return [...new Set((schema.enum as unknown[]).map(jsonType))];
  if ('const' in schema) return [jsonType(schema.const)];
  return undefined;
}

/** A schema both `a` and `b` accept (enough of it for the shapes the models use). */
export function intersect(a: Schema, b: Schema, components: Record<string, Schema>): Schema {
  a = resolve(a, components);
  b = resolve(b, components);
  for (const [x, y] of [[a, b], [b, a]] as const) {
    if (!x.anyOf) continue;
    const options = (x.anyOf as Schema[]).map((o) => resolve(o, components)).filter((o) => overlaps(o, y));
    if (options.length === 1) return intersect(options[0]!, y, components);
    return { anyOf: options.map((o) => intersect(o, y, components)) };
  }
  const merged: Record<string, unknown> = { ...a, ...b };
  const [ta, tb] = [typesOf(a), typesOf(b)];
  if (ta && tb) merged.type = ta.filter((t) => tb.includes(t));
  if (a.enum || b.enum) merged.enum = ((a.enum ?? b.enum) as unknown[]).filter((v) => [a, b].every((s) => (!s.enum || s.enum.includes(v)) && (typesOf(s)?.includes(jsonType(v)) ?? true)));
  if (a.properties && b.properties) {
    const props: Record<string, Schema> = { ...a.properties };
    for (const [key, schema] of Object.entries(b.properties as Record<string, Schema>)) props[key] = key in props ? intersect(props[key]!, schema, components) : schema;
    merged.properties = props;
  }
  if (a.required || b.required) merged.required = [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  if (a.minLength !== undefined && b.minLength !== undefined) merged.minLength = Math.max(a.minLength, b.minLength);
  return merged;
}

function overlaps(a: Schema, b: Schema): boolean {
  const [ta, tb] = [typesOf(a), typesOf(b)];
  return !ta || !tb || ta.some((t) => tb.includes(t));
}

/** A schema without the keywords that combine others (for merging a branch into it). */
function base(schema: Schema): Schema {
  const { oneOf: _o, anyOf: _a, if: _i, then: _t, description: _d, ...rest } = schema;
  return rest;
}

/** Every name a `required` inside `schema` lists, through `anyOf`/`oneOf`/`allOf`. */
function requiredIn(schema: Schema): string[] {
  const nested = ['anyOf', 'oneOf', 'allOf'].flatMap((k) => ((schema[k] ?? []) as Schema[]).flatMap(requiredIn));
  return [...(schema.required ?? []), ...nested];
}

/**
 * Strings of printable ASCII or of any Unicode scalar, well-formed (a lone surrogate is refused
 * by every body, docs/030 "Bounds") and with `maxLength` counted in bytes of UTF-8 as the server
 * counts it. A pattern's lookaheads (which fast-check's `stringMatching` cannot generate) are
 * left out of the generation and checked after it.
 */
function string(schema: Schema): fc.Arbitrary<string> {
  const [min, max] = [schema.minLength ?? 0, schema.maxLength as number | undefined];
  const bounds = { minLength: min, ...(max === undefined ? {} : { maxLength: max }) };
  const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern as string, 'u');
  const made = pattern
    ? fc.stringMatching(new RegExp((schema.pattern as string).replace(/\(\?=(?:[^()\\]|\\.)*\)/g, ''), 'u'), max === undefined ? {} : { maxLength: max })
    : fc.oneof(fc.string({ ...bounds, unit: 'grapheme-ascii' }), fc.string({ ...bounds, unit: 'binary' }));
  return made.filter((s) => s.length >= min && !/\p{Cs}/u.test(s) && (max === undefined || Buffer.byteLength(s) <= max) && (!pattern || pattern.test(s)));
}

/** Opaque JSON (a schema that says nothing, or an object without `properties`). */
export const opaqueJson = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });

export function schemaArbitrary(schema: Schema, options: SchemaArbitraryOptions): fc.Arbitrary<unknown> {
  const { components, overrides = {}, maxDepth = 6 } = options;
  const refs = new Map<string, fc.Arbitrary<unknown>>();

  const build = (schema: Schema, depth: number): fc.Arbitrary<unknown> => {
    if (typeof schema.$ref === 'string') {
      const key = `${schema.$ref}@${Math.min(depth + 1, maxDepth)}`;
      if (!refs.has(key)) refs.set(key, build(resolve(schema, components), Math.min(depth + 1, maxDepth)));
      return refs.get(key)!;
    }
    const deep = depth >= maxDepth;
    if ('const' in schema) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...(schema.enum as unknown[]));
    const branches = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
    if (branches) {
      const merged = branches.map((branch) => intersect(base(schema), branch, components));
      return deep ? build(merged[0]!, depth) : fc.oneof(...merged.map((m) => build(m, depth)));
    }
    if (schema.if && schema.then) {
      // either every field the `if` names is left out, or the `then` holds
      const named = new Set(requiredIn(schema.if));
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([key]) => !named.has(key)));
      const without = build({ ...base(schema), properties }, depth);
      return deep ? without : fc.oneof(without, build(intersect(base(schema), schema.then, components), depth));
    }
    const types = typesOf(schema);
    if (!types) return opaqueJson;
    return fc.oneof(...types.filter((t) => t !== 'integer' || !types.includes('number')).map((type) => ofType(type, schema, depth, deep)));
  };

  const ofType = (type: string, schema: Schema, depth: number, deep: boolean): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: schema.minimum ?? Number.MIN_SAFE_INTEGER, max: schema.maximum ?? Number.MAX_SAFE_INTEGER });
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true, ...(schema.minimum === undefined ? {} : { min: schema.minimum }), ...(schema.maximum === undefined ? {} : { max: schema.maximum }) });
      case 'string':
        return string(schema);
      case 'array': {
        const min = schema.minItems ?? 0;
        const items = schema.items ? build(schema.items, depth) : opaqueJson;
        return fc.array(items, { minLength: min, maxLength: deep ? min : Math.min(schema.maxItems ?? 3, 3) });
      }
      case 'object':
        return object(schema, depth, deep);
      default:
        throw new Error(`no arbitrary for type ${type}`);
    }
  };

  const object = (schema: Schema, depth: number, deep: boolean): fc.Arbitrary<unknown> => {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const required = new Set<string>(schema.required ?? []);
    const extra = schema.additionalProperties;
    if (Object.keys(properties).length === 0 && extra === undefined) return fc.dictionary(fc.string({ unit: 'binary' }), opaqueJson, { maxKeys: 3 });
    const keys = Object.keys(properties).filter((key) => required.has(key) || !deep);
    const model = Object.fromEntries(keys.map((key) => [key, overrides[key] ?? build(properties[key]!, depth)]));
    const known = fc.record(model, { requiredKeys: keys.filter((key) => required.has(key)) });
    if (extra === undefined || extra === false || deep) return known;
    const others = fc.dictionary(fc.string().filter((key) => !(key in properties)), build(extra === true ? {} : extra, depth), { maxKeys: 2 });
    return fc.tuple(others, known).map(([more, fields]) => ({ ...more, ...fields }));
  };

  return build(schema, 0);
}
