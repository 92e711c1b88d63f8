/**
 * The models' JSON Schemas (`schemas.ts`, the ones `/openapi.json` serves) as their validators:
 * ajv decides whether a value is valid, compiled once per node limit (`--max-instances`) on first
 * use. When it is not, `locate` names the field at fault, as `invalid field: <path>[: <reason>]`
 * (`refusals.ts` words the reason). ajv's own first error will not do for that: it reports a
 * missing field before a wrong one listed earlier, and a `oneOf` (an action, a check, a metric
 * tag) as the errors of every branch. So `locate` walks the schema beside the value, asking ajv
 * (one compiled validator per schema node) which part fails:
 * - an object's fields in the schema's order, a missing required one where it is listed; a key
 *   the schema closes out (`additionalProperties: false`) before any field; a map's values
 *   (`additionalProperties: {schema}`) in the value's order;
 * - a `oneOf` whose branches each require one key: the value must hold exactly one of those keys
 *   (not null), then the fault is in that key's branch;
 * - a list's own bounds, then its first failing item; a `$ref` or an `anyOf` (a nullable field)
 *   by the branch for the value's type; anything else by ajv's first error there.
 * When several fields are bad, the first in the schema's order is named.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { invalidField } from '../base/errors.js';
import { checkJsonBounds } from './json-bounds.js';
import { DEFAULT_LIMITS, type ModelLimits } from './limits.js';
import { reasonFor, STRAY_KEY, UNIONS } from './refusals.js';
import { MODEL_SCHEMAS, withMaxInstances, type JsonSchema } from './schemas.js';
import { isRecord } from './validation.js';

export type ModelComponent = keyof typeof MODEL_SCHEMAS;

/** How a refusal names what was checked. */
export interface Naming {
  /** the name of the value itself, when it is at fault (`desired_lrp`, `action`, `body`) */
  name: string;
  /** what its fields are named under: `action` gives `action.run.user`; '' names them bare (the default) */
  prefix?: string;
}

/** A refusal: the field's path from the top of the value ('' for the value itself) and why. */
interface Fault {
  path: string;
  reason?: string;
}

/**
 * A schema of the document `{components: {schemas}}` and where it is: a JSON Pointer without its
 * `#/` (schema keys hold no `/` or `~`), from where ajv compiles it on first use.
 */
interface Place {
  node: JsonSchema;
  at: string;
}

/** The `$id` of the document; refs (`#/components/schemas/X`) resolve against it. */
const ROOT = 'urn:auctor:models';
/** ajv errors about the value itself rather than about a part of it. */
const OWN_KEYWORDS: ReadonlySet<string> = new Set(['type', 'enum', 'const', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems']);

class CompiledSchemas {
  private readonly ajv: Ajv2020;
  // by schema object: one object (`text`, a list action) may sit in many places, with one meaning
  private readonly validators = new WeakMap<JsonSchema, ValidateFunction>();

  constructor(private readonly schemas: Record<string, JsonSchema>) {
    // as the tests compile the served document: strict, with union types (["string", "null"]);
    // strictTypes off as `oneOf` branches name properties without repeating `type: object`
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, allowUnionTypes: true, allErrors: false, verbose: true });
    this.ajv.addKeyword('components');
    this.ajv.addSchema({ $id: ROOT, components: { schemas } });
  }

  /** The validator of the schema at `place`, compiled on first use. */
  validator({ node, at }: Place): ValidateFunction {
    let validate = this.validators.get(node);
    if (!validate) {
      validate = this.ajv.getSchema(`${ROOT}#/${at.split('/').map(encodeURIComponent).join('/')}`);
      if (!validate) throw new Error(`no schema at /${at}`);
      this.validators.set(node, validate);
    }
    return validate;
  }

  /** The schema of the component `name`. */
  component(name: string): Place {
    return { node: this.schemas[name]!, at: `components/schemas/${name}` };
  }
}

const compiled = new Map<number, CompiledSchemas>();

function schemasFor({ maxInstances }: ModelLimits): CompiledSchemas {
  let set = compiled.get(maxInstances);
  if (!set) {
    set = new CompiledSchemas(withMaxInstances(MODEL_SCHEMAS, maxInstances));
    compiled.set(maxInstances, set);
  }
  return set;
}

/**
 * Checks `value` against the model schema `component` (or its field `field`); throws the
 * `InvalidRequest` error naming the first field at fault (use inside `validating`).
 */
export function checkSchema(component: ModelComponent, value: unknown, naming: Naming, limits: ModelLimits = DEFAULT_LIMITS, field?: string): void {
  const set = schemasFor(limits);
  const place = field === undefined ? set.component(component) : inside(set.component(component), 'properties', field);
  if (set.validator(place)(value)) return;
  const fault = locate(set, place, value, naming.prefix ?? '', field, component);
  throw invalidField(fault.path === '' ? naming.name : fault.path, fault.reason);
}

/** A rule JSON Schema cannot say, on one field of a request (a size in bytes, one field against another). */
export interface FieldRule {
  /** the field it checks */
  field: string;
  /** runs before the field's own schema checks (a size in bytes), not only once the field passed them */
  first?: boolean;
  /** throws the field's `InvalidRequest` error; must not assume that fields after `field` are valid */
  check(request: Record<string, unknown>): void;
}

/**
 * Checks a request body against `component`: first that it is an object at all (else the error
 * names `naming.name`), then its JSON bounds (`json-bounds.ts`: depth, lone surrogates,
 * `__proto__`; named under `bounds`, '' by default), then the schema and `rules`, listed in the
 * schema's field order, each field's in turn: the first field at fault is named. Returns the
 * body's fields that the schema names and that are set (`schemaFields`).
 */
export function checkRequest(
  component: ModelComponent, value: unknown, naming: Naming & { bounds?: string }, limits: ModelLimits = DEFAULT_LIMITS, rules: readonly FieldRule[] = [],
): Record<string, unknown> {
  if (!isRecord(value)) throw invalidField(naming.name);
  checkJsonBounds(value, naming.bounds);
  const set = schemasFor(limits);
  const place = set.component(component);
  if (set.validator(place)(value)) {
    for (const rule of rules) rule.check(value);
    return schemaFields(component, value);
  }
  const fault = locate(set, place, value, naming.prefix ?? '', undefined, component);
  // the rules of the fields before the one at fault (which the schema passed), then the fault
  const order = fieldNames(component);
  const faulty = order.indexOf(/^[^.[]*/.exec(fault.path)![0]);
  for (const rule of rules) {
    const field = order.indexOf(rule.field);
    if (field < faulty || (field === faulty && rule.first)) rule.check(value);
  }
  throw invalidField(fault.path === '' ? naming.name : fault.path, fault.reason);
}

const fieldNameCache = new Map<string, readonly string[]>();

/** The property names of the schema `component`, in its order. */
function fieldNames(component: ModelComponent): readonly string[] {
  let names = fieldNameCache.get(component);
  if (!names) {
    names = Object.keys((MODEL_SCHEMAS[component] as JsonSchema)['properties'] ?? {});
    fieldNameCache.set(component, names);
  }
  return names;
}

/** The fields of `record` that the schema of `component` names and that are set (not null), in the schema's order. */
export function schemaFields(component: ModelComponent, record: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name of fieldNames(component)) {
    const value = record[name];
    if (value !== undefined && value !== null) fields[name] = value;
  }
  return fields;
}

/** The schema at `keys` inside `place`. */
function inside(place: Place, ...keys: string[]): Place {
  let node: unknown = place.node;
  for (const key of keys) node = (node as Record<string, unknown>)[key];
  return { node: node as JsonSchema, at: `${place.at}/${keys.join('/')}` };
}

/** The fault of `value`, which fails the schema at `place`; `field` is the property the schema describes. */
function locate(set: CompiledSchemas, place: Place, value: unknown, path: string, field: string | undefined, component: string): Fault {
  const { node } = place;
  if (typeof node['$ref'] === 'string') {
    const name = node['$ref'].split('/').pop()!;
    return locate(set, set.component(name), value, path, field, name);
  }
  if (Array.isArray(node['anyOf'])) {
    const branch = Math.max(0, (node['anyOf'] as JsonSchema[]).findIndex((schema) => admitsType(schema, value)));
    return locate(set, inside(place, 'anyOf', String(branch)), value, path, field, component);
  }
  // ajv reports an object's wrong type after its `oneOf`: the type first, as for any value
  if (!admitsType(node, value)) return { path, reason: reasonFor(typeError(node), field, value) };
  const validate = set.validator(place);
  validate(value);
  const first = validate.errors?.[0];
  if (first && first.instancePath === '' && OWN_KEYWORDS.has(first.keyword)) return { path, reason: reasonFor(first, field, value) };
  const inner = isRecord(value) ? locateInObject(set, place, value, path, component)
    : Array.isArray(value) && node['items'] !== undefined ? locateInList(set, inside(place, 'items'), value, path, component)
    : undefined;
  return inner ?? (first ? faultOf(first, path, field) : { path });
}

function locateInObject(set: CompiledSchemas, place: Place, value: Record<string, unknown>, path: string, component: string): Fault | undefined {
  const { node } = place;
  const properties = (node['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = (node['required'] ?? []) as string[];
  if (node['additionalProperties'] === false) {
    const stray = Object.keys(value).find((key) => !Object.hasOwn(properties, key));
    if (stray !== undefined) return { path: join(path, stray), reason: STRAY_KEY[component] };
  }
  for (const key of Object.keys(properties)) {
    const child = Object.hasOwn(value, key) ? value[key] : undefined;
    if (child === undefined) {
      if (required.includes(key)) return { path: join(path, key), reason: reasonFor(undefined, key, undefined) };
      continue;
    }
    const childAt = inside(place, 'properties', key);
    if (!set.validator(childAt)(child)) return locate(set, childAt, child, join(path, key), key, component);
  }
  if (isRecord(node['additionalProperties'])) {
    // a map (`metric_tags`): its values by one schema, in the value's own order
    const restAt = inside(place, 'additionalProperties');
    const valid = set.validator(restAt);
    const key = Object.keys(value).find((k) => !Object.hasOwn(properties, k) && !valid(value[k]));
    if (key !== undefined) return locate(set, restAt, value[key], join(path, key), undefined, component);
  }
  return Array.isArray(node['oneOf']) ? locateInUnion(set, place, value, path, component) : undefined;
}

/** A `oneOf` whose branches each require one key (the tag): exactly one tag set, then that branch. */
function locateInUnion(set: CompiledSchemas, place: Place, value: Record<string, unknown>, path: string, component: string): Fault {
  const branches = place.node['oneOf'] as JsonSchema[];
  const tags = branches.map((branch) => (branch['required'] as string[])[0]!);
  // branches that close out other keys (an action's) count every key set, not only the tags
  const closed = branches.every((branch) => branch['additionalProperties'] !== undefined);
  const given = Object.keys(value).filter((key) => value[key] !== undefined && value[key] !== null && (closed || tags.includes(key)));
  const wording = UNIONS[component];
  if (given.length !== 1) return { path, reason: wording?.count ?? `must have exactly one of ${tags.join(', ')}` };
  const branch = tags.indexOf(given[0]!);
  if (branch < 0) return { path: join(path, given[0]!), reason: wording?.unknown ?? 'unknown' };
  return locate(set, inside(place, 'oneOf', String(branch)), value, path, undefined, component);
}

function locateInList(set: CompiledSchemas, items: Place, value: unknown[], path: string, component: string): Fault | undefined {
  const valid = set.validator(items);
  const index = value.findIndex((item) => !valid(item));
  return index < 0 ? undefined : locate(set, items, value[index], `${path}[${index}]`, undefined, component);
}

/** ajv's `error` as a fault: its place under `path`, the field it names, and the reason. */
function faultOf(error: ErrorObject, path: string, field: string | undefined): Fault {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const missing = error.keyword === 'required' ? String(error.params['missingProperty']) : undefined;
  if (missing !== undefined) segments.push(missing);
  let at = path;
  for (const segment of segments) at = /^\d+$/.test(segment) ? `${at}[${segment}]` : join(at, segment);
  const named = [...segments].reverse().find((s) => !/^\d+$/.test(s)) ?? field;
  return { path: at, reason: reasonFor(missing === undefined ? error : undefined, named, missing === undefined ? error.data : undefined) };
}

/** An ajv-shaped `type` error for `schema`. */
function typeError(schema: JsonSchema): ErrorObject {
  return { keyword: 'type', instancePath: '', schemaPath: '', params: { type: [schema['type']].flat().join(',') } };
}

/** Whether the `type` of `schema` (if any) admits `value`'s JSON type. */
function admitsType(schema: JsonSchema, value: unknown): boolean {
  const declared = schema['type'];
  if (declared === undefined) return true;
  const types = [declared].flat() as string[];
  if (value === null) return types.includes('null');
  if (Array.isArray(value)) return types.includes('array');
  if (typeof value === 'number') return types.includes('number') || (types.includes('integer') && Number.isInteger(value));
  return types.includes(typeof value);
}

function join(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}
