/**
 * DesiredLRP: what a client asks to keep running (bbs:models/desired_lrp.proto, DIEGO.md 1.1),
 * with BBS's JSON field names. Validation follows `DesiredLRP.Validate` and
 * `DesiredLRPUpdate.Validate`: the `DesiredLRPRequest` and `DesiredLRPUpdate` schemas
 * (`schemas.ts`, through `schema-check.ts`), and below the rules JSON Schema cannot say; see
 * `validation.ts` for how messages name the field.
 *
 * Stored shape: `normalizeDesiredLrp` keeps only the fields below, fills the defaults of
 * `DESIRED_LRP_DEFAULTS` (so readers never need `?? 0`), and attaches the `modification_tag`.
 * Unknown request fields are dropped (BBS ignores unknown JSON keys too); server-set fields in a
 * request are ignored.
 *
 * Updates (`PATCH`): only `instances`, `routes`, `annotation`, `metric_tags`, `crash_policy`; any
 * other key is rejected naming it (`invalid field: rootfs: cannot be updated`). Every update bumps
 * the modification index, as BBS does.
 *
 * `crash_policy` (crash-policy.ts) is Auctor's, not BBS's: stored as given (only the fields the
 * user set), so the node's flags still decide the others; a PATCH replaces it whole.
 */
import type { Action } from './actions.js';
import { checkDefinitionOf, type CheckDefinition } from './check-definition.js';
import { checkBackoffWithinCap, type CrashPolicy } from './crash-policy.js';
import { envOf, type EnvVar } from './env-var.js';
import type { Result } from '../base/errors.js';
import { DEFAULT_LIMITS, MAX_DOMAIN_BYTES, MAX_METRIC_TAGS_BYTES, type ModelLimits } from './limits.js';
import { incrementModificationTag, type ModificationTag } from './modification-tag.js';
import { DESIRED_LRP_DEFAULTS } from './record-fields.js';
import { checkRequest, schemaFields, type FieldRule } from './schema-check.js';
import { MAX_ANNOTATION_BYTES, MAX_ROUTES_BYTES, checkJsonBytes, checkUtf8Bytes, compact, isRecord, reject, validating } from './validation.js';

export type { CheckDefinition } from './check-definition.js';
export type { CrashPolicy } from './crash-policy.js';
export { DESIRED_LRP_DEFAULTS, DESIRED_LRP_UPDATE_KEYS } from './record-fields.js';

/** Opaque routes, keyed by router; all values together at most 128 KiB as JSON. */
export type Routes = Record<string, unknown>;

/** BBS `MetricTagValue`: a fixed string or one of the instance's own values. */
export type MetricTagValue = { static: string; dynamic?: undefined } | { dynamic: 'INDEX' | 'INSTANCE_GUID'; static?: undefined };

/** A stored DesiredLRP. */
export interface DesiredLRP {
  process_guid: string;
  domain: string;
  rootfs: string;
  instances: number;
  action: Action;
  setup?: Action;
  monitor?: Action;
  check_definition?: CheckDefinition;
  /** 0 = no start timeout */
  start_timeout_ms: number;
  /** 0 = no limit */
  memory_mb: number;
  /** 0 = no quota */
  disk_mb: number;
  /** 0..100; 0 = the default share */
  cpu_weight: number;
  /** 0 = unlimited */
  max_pids: number;
  privileged: boolean;
  /** container ports */
  ports: number[];
  /** opaque; the router reads `routes["cf-router"]` */
  routes: Routes;
  env: EnvVar[];
  log_guid?: string;
  log_source?: string;
  metrics_guid?: string;
  metric_tags: Record<string, MetricTagValue>;
  annotation?: string;
  placement_tags: string[];
  /** this LRP's own restart settings; absent fields fall back to the node's flags */
  crash_policy?: CrashPolicy;
  modification_tag: ModificationTag;
}

type Defaulted = keyof typeof DESIRED_LRP_DEFAULTS;

/** A create request: the stored shape without the tag, defaulted fields optional. */
export type DesiredLRPDefinition = Omit<DesiredLRP, Defaulted | 'modification_tag'> & Partial<Pick<DesiredLRP, Defaulted>>;

/** The fields a `PATCH` may change. */
export interface DesiredLRPUpdate {
  instances?: number;
  routes?: Routes;
  annotation?: string;
  metric_tags?: Record<string, MetricTagValue>;
  /** replaces the whole policy; `{}` goes back to the node's flags */
  crash_policy?: CrashPolicy;
}

/** The rules of a create or a PATCH that JSON Schema cannot say, in the schemas' field order. */
const domainBytes: FieldRule = { field: 'domain', first: true, check: (r) => checkUtf8Bytes(r['domain'], MAX_DOMAIN_BYTES, 'domain') };
const metricTagsBytes: FieldRule = {
  field: 'metric_tags',
  first: true,
  check: (r) => isRecord(r['metric_tags']) && checkJsonBytes([r['metric_tags']], MAX_METRIC_TAGS_BYTES, 'metric_tags'),
};
const sourceIdIsMetricsGuid: FieldRule = {
  field: 'metric_tags',
  check: (r) => {
    const source = (r['metric_tags'] as Record<string, { static?: unknown }> | null | undefined)?.['source_id']?.static;
    const metricsGuid = r['metrics_guid'];
    if (metricsGuid && typeof source === 'string' && source !== metricsGuid) reject('metric_tags', 'source_id must equal metrics_guid');
  },
};
const routesBytes: FieldRule = {
  field: 'routes',
  first: true,
  check: (r) => isRecord(r['routes']) && checkJsonBytes(Object.values(r['routes']), MAX_ROUTES_BYTES, 'routes'),
};
const annotationBytes: FieldRule = { field: 'annotation', first: true, check: (r) => checkUtf8Bytes(r['annotation'], MAX_ANNOTATION_BYTES, 'annotation') };
const backoffWithinCap: FieldRule = {
  field: 'crash_policy',
  check: (r) => isRecord(r['crash_policy']) && checkBackoffWithinCap(schemaFields('CrashPolicy', r['crash_policy']), 'crash_policy'),
};
const CREATE_RULES = [domainBytes, metricTagsBytes, sourceIdIsMetricsGuid, routesBytes, annotationBytes, backoffWithinCap];
const UPDATE_RULES = [routesBytes, annotationBytes, metricTagsBytes, backoffWithinCap];

/**
 * Validates a create request (parsed JSON) against the `DesiredLRPRequest` schema and the node's
 * `limits`, and what the schema cannot say: the domain, metric tags, routes and annotation in
 * bytes, a static `source_id` tag equal to `metrics_guid`, the crash policy's backoff within its cap.
 */
export function validateDesiredLrp(input: unknown, limits: ModelLimits = DEFAULT_LIMITS): Result<DesiredLRPDefinition> {
  return validating(() => {
    const request = checkRequest('DesiredLRPRequest', input, { name: 'desired_lrp' }, limits, CREATE_RULES);
    if (request['check_definition'] !== undefined) request['check_definition'] = checkDefinitionOf(request['check_definition'] as Record<string, unknown>);
    if (request['env'] !== undefined) request['env'] = envOf(request['env'] as EnvVar[]);
    return withStoredForms(request) as unknown as DesiredLRPDefinition;
  });
}

/** Validates a `PATCH` body against the `DesiredLRPUpdate` schema (only the updatable keys), and the create rules JSON Schema cannot say. */
export function validateDesiredLrpUpdate(input: unknown, limits: ModelLimits = DEFAULT_LIMITS): Result<DesiredLRPUpdate> {
  return validating(() => withStoredForms(checkRequest('DesiredLRPUpdate', input, { name: 'update' }, limits, UPDATE_RULES)) as DesiredLRPUpdate);
}

/** Valid `metric_tags` and `crash_policy` as stored: each tag its one set key, the policy without null fields. */
function withStoredForms(fields: Record<string, unknown>): Record<string, unknown> {
  if (fields['metric_tags'] !== undefined) fields['metric_tags'] = metricTagsOf(fields['metric_tags']);
  if (fields['crash_policy'] !== undefined) fields['crash_policy'] = schemaFields('CrashPolicy', fields['crash_policy'] as Record<string, unknown>);
  return fields;
}

/** Valid `metric_tags` as stored: each tag its one set key. */
function metricTagsOf(tags: unknown): Record<string, MetricTagValue> {
  const entries = Object.entries(tags as Record<string, { static?: string | null; dynamic?: MetricTagValue['dynamic'] | null }>);
  return Object.fromEntries(entries.map(([name, tag]) => [name, typeof tag.static === 'string' ? { static: tag.static } : { dynamic: tag.dynamic! }]));
}

/** The stored shape of a validated definition: known fields only, defaults filled, `tag` attached. */
export function normalizeDesiredLrp(definition: DesiredLRPDefinition, tag: ModificationTag): DesiredLRP {
  const d = DESIRED_LRP_DEFAULTS;
  return compact<DesiredLRP>({
    process_guid: definition.process_guid,
    domain: definition.domain,
    rootfs: definition.rootfs,
    instances: definition.instances,
    action: definition.action,
    setup: definition.setup,
    monitor: definition.monitor,
    check_definition: definition.check_definition,
    start_timeout_ms: definition.start_timeout_ms ?? d.start_timeout_ms,
    memory_mb: definition.memory_mb ?? d.memory_mb,
    disk_mb: definition.disk_mb ?? d.disk_mb,
    cpu_weight: definition.cpu_weight ?? d.cpu_weight,
    max_pids: definition.max_pids ?? d.max_pids,
    privileged: definition.privileged ?? d.privileged,
    ports: [...(definition.ports ?? d.ports)],
    routes: { ...(definition.routes ?? d.routes) },
    env: [...(definition.env ?? d.env)],
    log_guid: definition.log_guid,
    log_source: definition.log_source,
    metrics_guid: definition.metrics_guid,
    metric_tags: { ...(definition.metric_tags ?? d.metric_tags) },
    annotation: definition.annotation,
    placement_tags: [...(definition.placement_tags ?? d.placement_tags)],
    crash_policy: definition.crash_policy && { ...definition.crash_policy },
    modification_tag: tag,
  });
}

/** Validate then normalize: the stored DesiredLRP for a create request, or why not. */
export function desireLrp(input: unknown, tag: ModificationTag, limits: ModelLimits = DEFAULT_LIMITS): Result<DesiredLRP> {
  const result = validateDesiredLrp(input, limits);
  return result.ok ? { ok: true, value: normalizeDesiredLrp(result.value, tag) } : result;
}

/** The DesiredLRP after a validated update; the modification index always goes up by one. */
export function applyDesiredLrpUpdate(desired: DesiredLRP, update: DesiredLRPUpdate): DesiredLRP {
  return {
    ...desired,
    ...(update.instances !== undefined ? { instances: update.instances } : {}),
    ...(update.routes !== undefined ? { routes: { ...update.routes } } : {}),
    ...(update.annotation !== undefined ? { annotation: update.annotation } : {}),
    ...(update.metric_tags !== undefined ? { metric_tags: { ...update.metric_tags } } : {}),
    ...(update.crash_policy !== undefined ? { crash_policy: { ...update.crash_policy } } : {}),
    modification_tag: incrementModificationTag(desired.modification_tag),
  };
}

/**
 * What a change of `instances` asks for (bbs:handlers/desired_lrp_handlers.go): scale up starts
 * the new indices; scale down stops every instance from `stopFrom` up.
 */
export function scaleChange(before: number, after: number): { start: number[]; stopFrom: number | undefined } {
  const start: number[] = [];
  for (let i = before; i < after; i++) start.push(i);
  return { start, stopFrom: after < before ? after : undefined };
}
