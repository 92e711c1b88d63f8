/**
 * Task: a one-off unit of work (bbs:models/task.proto, DIEGO.md 1.3), with BBS's JSON names.
 * The definition fields are flat on the task, as API.md lists them; server-set fields are
 * ignored in a request. Times (`created_at`, `updated_at`, `first_completed_at`) are ns, 0 when
 * unset. The lifecycle operations (start, complete, cancel, reject, …) live in
 * `task-lifecycle.ts` and are re-exported here; the legal transitions are tabled in
 * `transitions.ts`.
 */
import type { Action } from './actions.js';
import { checkAction } from './action-validation.js';
import type { EnvVar } from './env-var.js';
import type { Result } from '../base/errors.js';
import { checkJsonBounds } from './json-bounds.js';
import { PIDS, SIZE_MB } from './limits.js';
import {
  CPU_WEIGHT_RANGE, Fields, asRecord, compact, readAnnotation, readEnv, readHttpUrl, readRootfs, validating,
} from './validation.js';

export * from './task-lifecycle.js';

export type TaskState = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'RESOLVING';

export const TASK_STATES: readonly TaskState[] = ['PENDING', 'RUNNING', 'COMPLETED', 'RESOLVING'];

/** What a client defines. */
export interface TaskDefinition {
  rootfs: string;
  action: Action;
  env: EnvVar[];
  /** 0 = no limit */
  memory_mb: number;
  /** 0 = no quota */
  disk_mb: number;
  /** 0 = unlimited */
  max_pids: number;
  /** 0..100 */
  cpu_weight: number;
  privileged: boolean;
  /** a file in the container whose first 10 KB become `result` on success; '' = none */
  result_file: string;
  /** http(s) URL POSTed when the task completes */
  completion_callback_url?: string;
  annotation?: string;
  log_guid?: string;
  log_source?: string;
  metrics_guid?: string;
  placement_tags: string[];
}

/** A stored Task. */
export interface Task extends TaskDefinition {
  task_guid: string;
  domain: string;
  state: TaskState;
  /** the cell running it; '' unless RUNNING */
  cell_id: string;
  failed: boolean;
  /** at most 1024 bytes */
  failure_reason: string;
  /** first 10240 bytes of `result_file`, on success */
  result: string;
  rejection_count: number;
  rejection_reason: string;
  created_at: number;
  updated_at: number;
  first_completed_at: number;
}

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

type Defaulted = keyof typeof TASK_DEFAULTS;

/** A create request: guid, domain and definition, defaulted fields optional. */
export type TaskRequest = { task_guid: string; domain: string } & Omit<TaskDefinition, Defaulted> & Partial<Pick<TaskDefinition, Defaulted>>;

/** Validates a create request (parsed JSON) against BBS's rules. */
export function validateTask(input: unknown): Result<TaskRequest> {
  return validating(() => {
    const f = new Fields(asRecord(input, 'task'));
    checkJsonBounds(input);
    return compact<TaskRequest>({
      task_guid: f.guid('task_guid'),
      domain: f.domain('domain'),
      rootfs: readRootfs(f),
      action: checkAction(f.record['action'], 'action'),
      env: readEnv(f),
      memory_mb: f.int('memory_mb', SIZE_MB),
      disk_mb: f.int('disk_mb', SIZE_MB),
      max_pids: f.int('max_pids', PIDS),
      cpu_weight: f.int('cpu_weight', CPU_WEIGHT_RANGE),
      privileged: f.bool('privileged'),
      result_file: f.string('result_file'),
      completion_callback_url: readHttpUrl(f, 'completion_callback_url'),
      annotation: readAnnotation(f),
      log_guid: f.string('log_guid'),
      log_source: f.string('log_source'),
      metrics_guid: f.string('metrics_guid'),
      placement_tags: f.stringArray('placement_tags'),
    });
  });
}

/** The stored PENDING task for a validated request created at `now` (ns). */
export function normalizeTask(request: TaskRequest, now: number): Task {
  const d = TASK_DEFAULTS;
  return compact<Task>({
    task_guid: request.task_guid,
    domain: request.domain,
    rootfs: request.rootfs,
    action: request.action,
    env: [...(request.env ?? d.env)],
    memory_mb: request.memory_mb ?? d.memory_mb,
    disk_mb: request.disk_mb ?? d.disk_mb,
    max_pids: request.max_pids ?? d.max_pids,
    cpu_weight: request.cpu_weight ?? d.cpu_weight,
    privileged: request.privileged ?? d.privileged,
    result_file: request.result_file ?? d.result_file,
    completion_callback_url: request.completion_callback_url,
    annotation: request.annotation,
    log_guid: request.log_guid,
    log_source: request.log_source,
    metrics_guid: request.metrics_guid,
    placement_tags: [...(request.placement_tags ?? d.placement_tags)],
    state: 'PENDING',
    cell_id: '',
    failed: false,
    failure_reason: '',
    result: '',
    rejection_count: 0,
    rejection_reason: '',
    created_at: now,
    updated_at: now,
    first_completed_at: 0,
  });
}

/** Validate then normalize: the stored Task for a create request, or why not. */
export function desireTask(input: unknown, now: number): Result<Task> {
  const result = validateTask(input);
  return result.ok ? { ok: true, value: normalizeTask(result.value, now) } : result;
}
