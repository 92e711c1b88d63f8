/**
 * JSON Schemas of the models (draft 2020-12, as OpenAPI 3.1 uses them), by component name: the
 * routes refer to them, `/openapi.json` lists them, and they are the validators: `schema-check.ts`
 * runs the request schemas through ajv for `desired-lrp.ts`, `task.ts`, `domain.ts` and
 * `action-validation.ts`. Where JSON Schema cannot say a rule (a limit in UTF-8 bytes, a field
 * that must equal another, URL parsing) the schema is looser, its `description` says what the
 * server checks besides, and the model checks it in code. When several fields are bad, the first
 * in a schema's property order is named: keep the order the models always checked in.
 *
 * Stored models (`DesiredLRP`, `Task`, `ActualLRP`, `Cell`) describe what the server answers:
 * every defaulted field is present and none is null.
 */
import { ACTION_SCHEMAS } from './action-schema.js';
import { ACTUAL_LRP_STATES, type ActualLrpPresence } from './actual-lrp.js';
import { ENFORCEABLE } from './cell-state.js';
import { CRASH_POLICY_SCHEMA } from './crash-policy.js';
import type { ErrorCode } from '../base/errors.js';
import { EVENT_SCHEMAS } from './event-schemas.js';
import {
  DEFAULT_MAX_INSTANCES, DOMAIN_PATTERN, DOMAIN_TTL_S, MAX_DOMAIN_BYTES, MAX_GUID_LENGTH, MAX_JSON_DEPTH, MAX_METRIC_TAGS_BYTES, MAX_PORTS,
  PIDS, SIZE_MB, TIMER_MS,
} from './limits.js';
import { arrayOf, componentRef as ref, flag, integer, objectSchema, text, textList, type JsonSchema } from './json-schema.js';
import { MAX_REASON_BYTES } from './text.js';
import { DESIRED_LRP_DEFAULTS, DESIRED_LRP_UPDATE_KEYS, TASK_DEFAULTS } from './record-fields.js';
import { MAX_TASK_RESULT_BYTES, TASK_STATES } from './task-lifecycle.js';
import {
  CPU_WEIGHT_RANGE, GUID_PATTERN, MAX_ANNOTATION_BYTES, MAX_ROUTES_BYTES, NON_NEGATIVE, PORT_RANGE, ROOTFS_PATTERN,
} from './validation.js';

export type { JsonSchema } from './json-schema.js';

const request = { nullable: true };
const guid: JsonSchema = { type: 'string', pattern: GUID_PATTERN.source, maxLength: MAX_GUID_LENGTH };
const domain: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_DOMAIN_BYTES,
  pattern: DOMAIN_PATTERN.source,
  description: `no control characters, not only white space; at most ${MAX_DOMAIN_BYTES} bytes of UTF-8 (maxLength counts characters: the server checks bytes)`,
};
const rootfs: JsonSchema = { type: 'string', pattern: ROOTFS_PATTERN.source, description: 'a URL with a scheme: preloaded:host, preloaded:busybox, docker:///org/image' };
const annotation: JsonSchema = {
  type: 'string',
  maxLength: MAX_ANNOTATION_BYTES,
  description: `at most ${MAX_ANNOTATION_BYTES} bytes of UTF-8; maxLength counts characters, so the server also rejects shorter non-ASCII text over the byte limit`,
};
const routes: JsonSchema = {
  type: 'object',
  description: `opaque, keyed by router; the router reads routes["cf-router"] = [{"hostnames": [...], "port": P}]. All values together at most ${MAX_ROUTES_BYTES} bytes as JSON, nested at most ${MAX_JSON_DEPTH} levels from the top of the body (the server checks; JSON Schema cannot)`,
};
const metricTags: JsonSchema = { type: 'object', additionalProperties: ref('MetricTagValue') };
const instances = (max: number): JsonSchema => integer({ min: 0, max }, "at most this node's --max-instances");
const count = integer(NON_NEGATIVE);
const ns = integer(NON_NEGATIVE, 'nanoseconds since the epoch');
const reason: JsonSchema = { type: 'string', description: `at most ${MAX_REASON_BYTES} bytes` };
const resources = {
  memory_mb: integer(SIZE_MB, '0 = no limit'),
  disk_mb: integer(SIZE_MB, '0 = no quota'),
  max_pids: integer(PIDS, '0 = unlimited'),
  cpu_weight: integer(CPU_WEIGHT_RANGE, '0 = the default share'),
  privileged: flag,
};
const logging = { log_guid: text, log_source: text, metrics_guid: text };

/** `keys` of `fields`, and the rest. */
function split(fields: Record<string, JsonSchema>, keys: readonly string[]): [Record<string, JsonSchema>, Record<string, JsonSchema>] {
  const picked = Object.entries(fields).filter(([key]) => keys.includes(key));
  const rest = Object.entries(fields).filter(([key]) => !keys.includes(key));
  return [Object.fromEntries(picked), Object.fromEntries(rest)];
}

// DesiredLRP: what the request requires, and what it may leave out (the stored LRP fills the defaulted ones)
const lrpRequired = { process_guid: guid, domain, rootfs, instances: instances(DEFAULT_MAX_INSTANCES), action: ref('Action') };
const lrpOptional = {
  setup: ref('Action'),
  monitor: ref('Action'),
  check_definition: ref('CheckDefinition'),
  metrics_guid: logging.metrics_guid,
  metric_tags: { ...metricTags, description: `a static source_id must equal metrics_guid when both are set; all tags together at most ${MAX_METRIC_TAGS_BYTES} bytes as JSON (the server checks; JSON Schema cannot)` },
  start_timeout_ms: integer(TIMER_MS, '0 = no start timeout'),
  memory_mb: resources.memory_mb,
  disk_mb: resources.disk_mb,
  cpu_weight: resources.cpu_weight,
  max_pids: resources.max_pids,
  privileged: resources.privileged,
  ports: arrayOf(integer(PORT_RANGE), { maxItems: MAX_PORTS, description: 'container ports' }),
  routes,
  env: arrayOf(ref('EnvVar')),
  log_guid: logging.log_guid,
  log_source: logging.log_source,
  annotation,
  placement_tags: textList,
  crash_policy: ref('CrashPolicy'),
};
const [lrpDefaulted, lrpRest] = split(lrpOptional, Object.keys(DESIRED_LRP_DEFAULTS));
const lrpFields = { ...lrpRequired, ...lrpOptional };

// Task: the same split
const taskRequired = { task_guid: guid, domain, rootfs, action: ref('Action') };
const taskOptional = {
  env: arrayOf(ref('EnvVar')),
  ...resources,
  result_file: { type: 'string', description: `a file whose first ${MAX_TASK_RESULT_BYTES} bytes become result on success` },
  completion_callback_url: {
    type: 'string',
    // a necessary condition only: the server parses the URL (WHATWG) and wants http: or https:
    pattern: '^$|^[\\x00-\\x20]*[Hh][Tt][Tt][Pp][Ss]?:',
    description: 'an http or https URL, POSTed the task when it completes; empty = none. The server parses it as a URL (JSON Schema cannot)',
  },
  annotation,
  ...logging,
  placement_tags: textList,
};
const [taskDefaulted, taskRest] = split(taskOptional, Object.keys(TASK_DEFAULTS));
const taskServerSet = {
  state: { type: 'string', enum: [...TASK_STATES] },
  cell_id: { type: 'string', description: 'the cell running it; "" unless RUNNING' },
  failed: flag,
  failure_reason: reason,
  result: { type: 'string', description: `first ${MAX_TASK_RESULT_BYTES} bytes of result_file, on success` },
  rejection_count: count,
  rejection_reason: text,
  created_at: ns,
  updated_at: ns,
  first_completed_at: integer(NON_NEGATIVE, 'nanoseconds since the epoch; 0 until completed'),
};

const checkMs = integer(TIMER_MS, '0 = the default');
const check = (port: JsonSchema, fields: Record<string, JsonSchema>) => objectSchema({ port }, fields, request);
const capacity = objectSchema({ memory_mb: count, disk_mb: count, containers: count });
const cellPresence = {
  cell_id: text,
  rep_address: { type: 'string', description: 'host:port the cell listens on for remoting' },
  rep_url: text,
  zone: text,
  capacity: ref('CellCapacity'),
  rootfs_providers: { ...textList, description: 'preloaded:<name>, or a bare scheme' },
  placement_tags: textList,
  optional_placement_tags: textList,
};
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

const PRESENCES = Object.keys({ ORDINARY: 0, EVACUATING: 0, SUSPECT: 0 } satisfies Record<ActualLrpPresence, 0>);
// the types an error body can carry: BBS's, with a Timeout answered as Unavailable, and a handler's bug
const ERROR_TYPES = Object.keys({
  InvalidRequest: 0, InvalidJSON: 0, Unauthorized: 0, ResourceNotFound: 0, ResourceExists: 0, ResourceConflict: 0,
  InvalidStateTransition: 0, ResourceQuarantined: 0, Unavailable: 0, InternalError: 0,
} satisfies Record<Exclude<ErrorCode, 'Timeout'> | 'InternalError', 0>);

export const MODEL_SCHEMAS = {
  DesiredLRPRequest: objectSchema(lrpRequired, lrpOptional, { ...request, description: 'a DesiredLRP to create; unknown and server-set fields are ignored, null counts as absent' }),
  // stored: an LRP keeps its instances when the node's --max-instances is lowered
  DesiredLRP: objectSchema({ ...lrpRequired, instances: count, ...lrpDefaulted, modification_tag: ref('ModificationTag') }, lrpRest, { description: 'a stored DesiredLRP' }),
  DesiredLRPUpdate: objectSchema({}, Object.fromEntries(DESIRED_LRP_UPDATE_KEYS.map((key) => [key, lrpFields[key]])), {
    ...request,
    closed: true,
    description: `a PATCH: only ${DESIRED_LRP_UPDATE_KEYS.join(', ')}; any other key is rejected`,
  }),
  ActualLRP: objectSchema({
    process_guid: guid,
    index: count,
    domain: text,
    instance_guid: { type: 'string', description: 'new on every placement; "" when unplaced' },
    cell_id: text,
    address: { type: 'string', description: 'host address; "" unless RUNNING' },
    ports: arrayOf(ref('PortMapping')),
    state: { type: 'string', enum: [...ACTUAL_LRP_STATES] },
    crash_count: count,
    crash_reason: reason,
    placement_error: reason,
    since: ns,
    modification_tag: ref('ModificationTag'),
    presence: { type: 'string', enum: PRESENCES },
  }, {
    instance_address: { type: 'string', description: 'container address, when it has its own' },
    routable: { type: 'boolean', description: 'false until readiness checks pass; absent when the LRP has none' },
    availability_zone: text,
  }, { description: 'one instance of a DesiredLRP, as it is' }),
  TaskRequest: objectSchema(taskRequired, taskOptional, { ...request, description: 'a Task to create; unknown and server-set fields are ignored, null counts as absent' }),
  Task: objectSchema({ ...taskRequired, ...taskDefaulted, ...taskServerSet }, taskRest, { description: 'a stored Task' }),
  DomainRequest: {
    type: ['object', 'null'],
    description: 'an empty body is {}: fresh forever',
    properties: { ttl: { ...integer(DOMAIN_TTL_S, 'seconds; 0 or absent = forever'), type: ['integer', 'null'] } },
  },
  CellCapacity: capacity,
  CellPresence: objectSchema(cellPresence, {}, { description: 'what a live cell advertises' }),
  Cell: objectSchema({
    ...cellPresence,
    available_resources: nullable(ref('CellCapacity')),
    lrp_count: { ...count, type: ['integer', 'null'] },
    task_count: { ...count, type: ['integer', 'null'] },
    starting_container_count: { ...count, type: ['integer', 'null'] },
    evacuating: flag,
    reachable: { type: 'boolean', description: 'false when the cell did not answer in time; its figures are then null' },
    enforces: arrayOf({ type: 'string', enum: [...ENFORCEABLE] }, { description: 'limits its container backend enforces on this machine; others are accepted and ignored' }),
  }, {}, { description: 'a live cell: its presence, and its own figures when it answered' }),
  QuarantinedRecord: objectSchema({
    kind: { type: 'string', description: 'desired_lrp, actual_lrp or task (an actor kind for anything else)' },
    key: { type: 'string', description: 'process_guid, <process_guid>/<index> or task_guid' },
    error: { type: 'string', description: 'the failure that spent its restarts' },
    since: ns,
    actor: { type: 'string', description: 'its place in the supervision tree, e.g. /control/lrps/<process_guid>' },
  }, {}, { description: 'a record whose actor could not be brought back: skipped by listings, 409 ResourceQuarantined on its own routes until deleted' }),
  Error: objectSchema({
    error: objectSchema({ type: { type: 'string', enum: ERROR_TYPES }, message: { type: 'string', description: 'names the field, e.g. invalid field: process_guid' } }),
  }),
  ...ACTION_SCHEMAS,
  CheckDefinition: objectSchema({}, {
    checks: arrayOf(ref('Check'), { description: 'startup, then liveness checks' }),
    readiness_checks: arrayOf(ref('Check'), { description: 'toggle routable without crashing' }),
    log_source: text,
  }, request),
  Check: {
    ...objectSchema({}, { tcp_check: ref('TcpCheck'), http_check: ref('HttpCheck') }, request),
    description: 'exactly one of tcp_check, http_check',
    oneOf: [
      { required: ['tcp_check'], properties: { tcp_check: { type: 'object' }, http_check: { type: 'null' } } },
      { required: ['http_check'], properties: { http_check: { type: 'object' }, tcp_check: { type: 'null' } } },
    ],
  },
  TcpCheck: check(integer(PORT_RANGE), { connect_timeout_ms: checkMs, interval_ms: checkMs }),
  HttpCheck: check(integer(PORT_RANGE), { path: text, request_timeout_ms: checkMs, interval_ms: checkMs }),
  CrashPolicy: CRASH_POLICY_SCHEMA,
  MetricTagValue: {
    type: 'object',
    description: 'exactly one of static (a string) or dynamic (INDEX, INSTANCE_GUID)',
    properties: { static: { type: ['string', 'null'] }, dynamic: { type: ['string', 'null'] } },
    oneOf: [
      { required: ['static'], properties: { static: { type: 'string' }, dynamic: { type: 'null' } } },
      { required: ['dynamic'], properties: { dynamic: { enum: ['INDEX', 'INSTANCE_GUID'] }, static: { type: 'null' } } },
    ],
  },
  PortMapping: objectSchema({ container_port: integer(PORT_RANGE), host_port: count }),
  ModificationTag: objectSchema({ epoch: { type: 'string', description: 'names one incarnation of the record' }, index: { ...count, description: '0 on create, +1 on every change' } }),
  ...EVENT_SCHEMAS,
} satisfies Record<string, JsonSchema>;

/**
 * `schemas` with `instances` of the requests at most `maxInstances`: the document a node serves
 * shows that node's `--max-instances`.
 */
export function withMaxInstances<S extends Record<string, JsonSchema>>(schemas: S, maxInstances: number): S {
  const bounded = (name: string): JsonSchema => {
    const schema = schemas[name] as { properties: Record<string, JsonSchema> };
    return { ...schema, properties: { ...schema.properties, instances: { ...schema.properties['instances'], maximum: maxInstances } } };
  };
  return { ...schemas, DesiredLRPRequest: bounded('DesiredLRPRequest'), DesiredLRPUpdate: bounded('DesiredLRPUpdate') };
}
