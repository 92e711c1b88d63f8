/**
 * What a stored DesiredLRP or Task holds where its request left a field out, and which fields a
 * `PATCH` may change. The models fill records from these and their JSON Schemas (`schemas.ts`)
 * read them to say which fields a stored record always has; kept apart from `desired-lrp.ts` and
 * `task.ts`, which validate through those schemas, so that no import goes round in a circle.
 */
import type { DesiredLRPUpdate, MetricTagValue, Routes } from './desired-lrp.js';
import type { EnvVar } from './env-var.js';

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

/** Keys a `DesiredLRPUpdate` may carry. */
export const DESIRED_LRP_UPDATE_KEYS: readonly (keyof DesiredLRPUpdate)[] = ['instances', 'routes', 'annotation', 'metric_tags', 'crash_policy'];

/** The definition fields `normalizeTask` fills when a request leaves them out. */
export const TASK_DEFAULTS = Object.freeze({
  env: Object.freeze([]) as readonly EnvVar[],
  memory_mb: 0,
  disk_mb: 0,
  max_pids: 0,
  cpu_weight: 0,
  privileged: false,
  result_file: '',
  placement_tags: Object.freeze([]) as readonly string[],
});
