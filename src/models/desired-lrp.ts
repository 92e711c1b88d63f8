/**
 * DesiredLRP: what a client asks to keep running (bbs:models/desired_lrp.proto, DIEGO.md 1.1),
 * with BBS's JSON field names. Validation follows `DesiredLRP.Validate` and
 * `DesiredLRPUpdate.Validate`; see `validation.ts` for how messages name the field.
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
import { checkAction } from './action-validation.js';
import { checkCheckDefinition, type CheckDefinition } from './check-definition.js';
import { readCrashPolicy, type CrashPolicy } from './crash-policy.js';
import type { EnvVar } from './env-var.js';
import type { Result } from '../base/errors.js';
import { checkJsonBounds } from './json-bounds.js';
import { DEFAULT_LIMITS, PIDS, SIZE_MB, TIMER_MS, instancesRange, type ModelLimits } from './limits.js';
import { incrementModificationTag, type ModificationTag } from './modification-tag.js';
import {
  CPU_WEIGHT_RANGE, Fields, asRecord, compact, readAnnotation, readEnv, readMetricTags, readPorts,
  readRootfs, readRoutes, reject, validating, type MetricTagValue, type Routes,
} from './validation.js';

export type { MetricTagValue, Routes } from './validation.js';
export type { CheckDefinition } from './check-definition.js';
export type { CrashPolicy } from './crash-policy.js';

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

/** The fields `normalizeDesiredLrp` fills when a request leaves them out. */
export const DESIRED_LRP_DEFAULTS = Object.freeze({
  start_timeout_ms: 0,
  memory_mb: 0,
  disk_mb: 0,
  cpu_weight: 0,
  max_pids: 0,
  privileged: false,
  ports: Object.freeze([]) as readonly number[],
  routes: Object.freeze({}) as Readonly<Routes>,
  env: Object.freeze([]) as readonly EnvVar[],
  metric_tags: Object.freeze({}) as Readonly<Record<string, MetricTagValue>>,
  placement_tags: Object.freeze([]) as readonly string[],
});

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

/** Keys a `DesiredLRPUpdate` may carry. */
export const DESIRED_LRP_UPDATE_KEYS: readonly (keyof DesiredLRPUpdate)[] = ['instances', 'routes', 'annotation', 'metric_tags', 'crash_policy'];

/** Validates a create request (parsed JSON) against BBS's rules and the node's `limits`. */
export function validateDesiredLrp(input: unknown, limits: ModelLimits = DEFAULT_LIMITS): Result<DesiredLRPDefinition> {
  return validating(() => {
    const f = new Fields(asRecord(input, 'desired_lrp'));
    checkJsonBounds(input);
    const process_guid = f.guid('process_guid');
    const domain = f.domain('domain');
    const rootfs = readRootfs(f);
    const instances = f.requiredInt('instances', instancesRange(limits));
    const action = checkAction(f.record['action'], 'action');
    const setup = f.has('setup') ? checkAction(f.record['setup'], 'setup') : undefined;
    const monitor = f.has('monitor') ? checkAction(f.record['monitor'], 'monitor') : undefined;
    const check_definition = f.has('check_definition') ? checkCheckDefinition(f.record['check_definition'], 'check_definition') : undefined;
    const metrics_guid = f.string('metrics_guid');
    const metric_tags = readMetricTags(f);
    const sourceId = metric_tags?.['source_id'];
    if (metrics_guid && sourceId?.static !== undefined && sourceId.static !== metrics_guid) {
      reject('metric_tags', 'source_id must equal metrics_guid');
    }
    return compact<DesiredLRPDefinition>({
      process_guid,
      domain,
      rootfs,
      instances,
      action,
      setup,
      monitor,
      check_definition,
      start_timeout_ms: f.int('start_timeout_ms', TIMER_MS),
      memory_mb: f.int('memory_mb', SIZE_MB),
      disk_mb: f.int('disk_mb', SIZE_MB),
      cpu_weight: f.int('cpu_weight', CPU_WEIGHT_RANGE),
      max_pids: f.int('max_pids', PIDS),
      privileged: f.bool('privileged'),
      ports: readPorts(f),
      routes: readRoutes(f),
      env: readEnv(f),
      log_guid: f.string('log_guid'),
      log_source: f.string('log_source'),
      metrics_guid,
      metric_tags,
      annotation: readAnnotation(f),
      placement_tags: f.stringArray('placement_tags'),
      crash_policy: readCrashPolicy(f),
    });
  });
}

/** Validates a `PATCH` body: only the updatable keys, each by its create rule. */
export function validateDesiredLrpUpdate(input: unknown, limits: ModelLimits = DEFAULT_LIMITS): Result<DesiredLRPUpdate> {
  return validating(() => {
    const f = new Fields(asRecord(input, 'update'));
    checkJsonBounds(input);
    const allowed: ReadonlySet<string> = new Set(DESIRED_LRP_UPDATE_KEYS);
    for (const key of Object.keys(f.record)) if (!allowed.has(key)) reject(key, 'cannot be updated');
    return compact<DesiredLRPUpdate>({
      instances: f.int('instances', instancesRange(limits)),
      routes: readRoutes(f),
      annotation: readAnnotation(f),
      metric_tags: readMetricTags(f),
      crash_policy: readCrashPolicy(f),
    });
  });
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
