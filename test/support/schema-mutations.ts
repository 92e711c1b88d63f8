/**
 * One-field breakages of a valid body, for the property tests: each mutation changes one value
 * the schema describes (or one key) and says which field that is, named as the validators name
 * fields (`action.serial.actions[0].run.user`). Whether the schema still accepts the result is
 * for the caller to ask (ajv): a wrong type or a number out of range it refuses; a 200,000
 * character string, a 10,000-deep `routes` or a lone surrogate it may accept (JSON Schema cannot
 * say "not too deep"), or a key `__proto__`, and then the server must either refuse it naming
 * the field or keep it exactly.
 */
import fc from 'fast-check';
import { intersect, jsonType, resolve, typesOf, type Schema } from './schema-arbitrary.js';

export const MUTATION_KINDS = ['missing', 'unknown-key', 'wrong-type', 'out-of-range', 'too-long', 'too-deep', 'lone-surrogate', 'reserved-key'] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

export type Path = Array<string | number>;

export interface Mutation {
  kind: MutationKind;
  /** the broken field, as the validators name it; '' is the body itself */
  field: string;
  path: Path;
  body: unknown;
}

interface Site {
  path: Path;
  /** the schema of the value there, its `oneOf`/`anyOf` branch chosen */
  schema: Schema;
  /** the schema as written there, resolved (to recognise a recursive component) */
  declared: Schema;
  value: unknown;
  /** the key is required in its object */
  required: boolean;
}

export const DEEP = 10_000;
const LONG = [3_000, 200_000];
/** copies of a list's first item: well past any sane list, well under the 1 MiB body limit */
const LONG_LIST = 5_000;

/** `path` as the validators write it: `a.b[0].c`. */
export function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const mergedBranches = new WeakMap<Schema, Schema[]>();

/** The branch of a `oneOf`/`anyOf` that `value` took (its types fit and its required keys are set). */
function branchOf(schema: Schema, value: unknown, components: Record<string, Schema>): Schema {
  const branches = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (!branches) return schema;
  if (!mergedBranches.has(schema)) {
    const { oneOf: _o, anyOf: _a, ...rest } = schema;
    mergedBranches.set(schema, branches.map((branch) => resolve(intersect(rest, branch, components), components)));
  }
  for (const merged of mergedBranches.get(schema)!) {
    const fits = (typesOf(merged)?.includes(jsonType(value)) ?? true) && (merged.required ?? []).every((k: string) => isRecord(value) && value[k] !== undefined && value[k] !== null);
    if (fits) return branchOf(merged, value, components);
  }
  return schema;
}

/** Every value of `body` the schema describes, outermost first; opaque values are not entered. */
function sitesOf(body: unknown, schema: Schema, components: Record<string, Schema>): Site[] {
  const sites: Site[] = [];
  const walk = (value: unknown, written: Schema, path: Path, required: boolean) => {
    const declared = resolve(written, components);
    const chosen = branchOf(declared, value, components);
    sites.push({ path, schema: chosen, declared, value, required });
    if (isRecord(value)) {
      const properties = (chosen.properties ?? {}) as Record<string, Schema>;
      for (const [key, child] of Object.entries(value)) {
        const sub = properties[key] ?? (isRecord(chosen.additionalProperties) ? chosen.additionalProperties : undefined);
        if (sub && child !== null && child !== undefined) walk(child, sub, [...path, key], (chosen.required ?? []).includes(key));
      }
    } else if (Array.isArray(value) && chosen.items) value.forEach((item, i) => walk(item, chosen.items, [...path, i], true));
  };
  walk(body, schema, [], true);
  return sites;
}

/** `body` with the value at `path` replaced (or removed, for `undefined`). */
function replaced(body: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(body)) return body.map((item, i) => (i === head ? replaced(item, rest, value) : item));
  const copy = { ...(body as Record<string, unknown>) };
  const next = replaced(copy[head as string], rest, value);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/**
 * A value `DEEP` levels deep: `open` × DEEP, `leaf`, `close` × DEEP. JSON.stringify, ajv and
 * chai all recurse and overflow the stack long before 10,000 levels, so the body holds a
 * two-level stand-in of the same shape (the schema's verdict on it is the same) and `wire()`
 * writes the full depth out as text.
 */
export interface DeepValue {
  open: string;
  close: string;
  leaf: unknown;
  /** one level down, or undefined when `value` is not one more level of it */
  unwrap(value: unknown): unknown;
}

const DEEP_VALUES = new WeakMap<object, DeepValue>();

function deep(spec: DeepValue): object {
  const standIn = JSON.parse(`${spec.open.repeat(2)}${JSON.stringify(spec.leaf)}${spec.close.repeat(2)}`) as object;
  DEEP_VALUES.set(standIn, spec);
  return standIn;
}

/** The deep value `standIn` stands for, if it is one. */
export function deepValueOf(standIn: unknown): DeepValue | undefined {
  return typeof standIn === 'object' && standIn !== null ? DEEP_VALUES.get(standIn) : undefined;
}

/** `body` as JSON text, each deep value at its full depth. */
export function wire(body: unknown): string {
  const parts: string[] = [];
  const text = JSON.stringify(body, (_key, value: unknown) => {
    const spec = deepValueOf(value);
    if (!spec) return value;
    parts.push(`${spec.open.repeat(DEEP)}${JSON.stringify(spec.leaf)}${spec.close.repeat(DEEP)}`);
    return `\u0000deep${parts.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000deep(\d+)\\u0000"/g, (_match, i: string) => parts[Number(i)]!);
}

const asList = (value: unknown) => (Array.isArray(value) && value.length === 1 ? value[0] : undefined);
const field = (...keys: string[]) => (value: unknown) => keys.reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), value);
const deepList = () => deep({ open: '[', close: ']', leaf: 1, unwrap: asList });
const deepObject = () => deep({ open: '{"a":', close: '}', leaf: 1, unwrap: field('a') });
const deepAction = (leaf: unknown) => deep({ open: '{"try":{"action":', close: '}}', leaf, unwrap: field('try', 'action') });

const SAMPLES: Record<string, unknown> = { string: 'x', integer: 7, number: 0.5, boolean: true, array: [], object: {}, null: null };

/** The ways one site can be broken: its kind, and the new value (undefined removes the key), made only when chosen. */
function breakages(site: Site, components: Record<string, Schema>): Array<[MutationKind, () => unknown]> {
  const { schema, value } = site;
  const types = typesOf(schema);
  const out: Array<[MutationKind, () => unknown]> = [];
  const add = (kind: MutationKind, make: () => unknown) => out.push([kind, make]);
  if (site.path.length > 0 && site.required) add('missing', () => undefined);
  if (types) for (const [type, sample] of Object.entries(SAMPLES)) if (!types.includes(type)) add('wrong-type', () => sample);
  if (schema.enum || 'const' in schema) add('wrong-type', () => 'not-one-of-them');
  if (typeof value === 'number') {
    if (schema.minimum !== undefined) add('out-of-range', () => schema.minimum - 1);
    if (schema.maximum !== undefined) add('out-of-range', () => schema.maximum + 1);
    else for (const huge of [2 ** 32, 1e300]) add('out-of-range', () => huge);
  }
  if (typeof value === 'string' && !schema.enum) {
    const pad = (n: number) => (value === '' ? 'a' : value) + 'a'.repeat(Math.max(0, n - Math.max(value.length, 1)));
    for (const n of schema.maxLength !== undefined ? [schema.maxLength + 1] : LONG) add('too-long', () => pad(n));
    add('lone-surrogate', () => `${value}\ud800`);
  }
  if (Array.isArray(value) && value.length > 0) add('too-long', () => Array(schema.maxItems !== undefined ? schema.maxItems + 1 : LONG_LIST).fill(value[0]));
  if (isRecord(value)) {
    const opaque = !schema.properties && schema.additionalProperties === undefined;
    if (schema.properties) add('unknown-key', () => ({ ...value, zz_unknown_field: 1 }));
    if (opaque) {
      add('too-deep', () => ({ ...value, deep: deepObject() }));
      add('too-long', () => ({ ...value, long: 'x'.repeat(LONG[1]!) }));
      add('lone-surrogate', () => ({ ...value, '\udc00': '\ud800' }));
      // an own key "__proto__", as JSON.parse makes one
      add('reserved-key', () => Object.defineProperty({ ...value }, '__proto__', { value: 1, enumerable: true, writable: true, configurable: true }));
    }
    if (site.declared === components.Action) add('too-deep', () => deepAction(value));
  }
  if (!isRecord(value) || schema.properties) add('too-deep', deepList);
  return out;
}

/** Every one-field mutation of `body` (a value `schema` accepts), each made when `make` is called. */
export function mutationsOf(body: unknown, schema: Schema, components: Record<string, Schema>): Array<{ kind: MutationKind; make: () => Mutation }> {
  return sitesOf(body, schema, components).flatMap((site) =>
    breakages(site, components).map(([kind, value]) => ({ kind, make: () => describe({ kind, field: fieldName(site.path), path: site.path, body: replaced(body, site.path, value()) }) })),
  );
}

/** A mutation of a body from `valid`: first a kind (of `only`), then one of its breakages, so every kind is tried. */
export function mutationArbitrary(valid: fc.Arbitrary<unknown>, schema: Schema, components: Record<string, Schema>, only: readonly MutationKind[] = MUTATION_KINDS): fc.Arbitrary<Mutation> {
  // a body with nothing of the kinds asked for (no string to put a lone surrogate in) is skipped
  const breakable = valid.map((body) => mutationsOf(body, schema, components).filter((m) => only.includes(m.kind))).filter((all) => all.length > 0);
  return breakable.chain((all) => {
    const kinds = only.filter((kind) => all.some((m) => m.kind === kind));
    return fc.constantFrom(...kinds).chain((kind) => fc.constantFrom(...all.filter((m) => m.kind === kind)).map((m) => m.make()));
  });
}

/** Shown by fast-check in a counterexample: the kind, the field and the body cut to 400 characters. */
function describe(mutation: Mutation): Mutation {
  return Object.assign(mutation, {
    [fc.toStringMethod]: () => {
      const json = JSON.stringify(mutation.body, (_k, v) => {
        if (deepValueOf(v)) return `<${DEEP} levels of ${deepValueOf(v)!.open}>`;
        return typeof v === 'string' && v.length > 40 ? `${v.slice(0, 20)}…(${v.length} chars)` : v;
      });
      return `${mutation.kind} at ${mutation.field || '(body)'}: ${json.length > 400 ? `${json.slice(0, 400)}…(${json.length} chars)` : json}`;
    },
  });
}
