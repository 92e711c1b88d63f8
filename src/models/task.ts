/**
 * Task: a one-off unit of work (bbs:models/task.proto, DIEGO.md 1.3), with BBS's JSON names.
 * The definition fields are flat on the task, as API.md lists them; server-set fields are
 * ignored in a request. Times (`created_at`, `updated_at`, `first_completed_at`) are ns, 0 when
 * unset. The lifecycle operations (start, complete, cancel, reject, …) live in
 * `task-lifecycle.ts` and are re-exported here; the legal transitions are tabled in
 * `transitions.ts`.
 */
import type { Action } from './actions.js';
import { envOf, type EnvVar } from './env-var.js';
import type { Result } from '../base/errors.js';
import { MAX_DOMAIN_BYTES } from './limits.js';
import { TASK_DEFAULTS } from './record-fields.js';
import { checkRequest, type FieldRule } from './schema-check.js';
import type { TaskState } from './task-lifecycle.js';
import { MAX_ANNOTATION_BYTES, checkHttpUrl, checkUtf8Bytes, compact, validating } from './validation.js';

export * from './task-lifecycle.js';
export { TASK_DEFAULTS } from './record-fields.js';

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

type Defaulted = keyof typeof TASK_DEFAULTS;

/** A create request: guid, domain and definition, defaulted fields optional. */
export type TaskRequest = { task_guid: string; domain: string } & Omit<TaskDefinition, Defaulted> & Partial<Pick<TaskDefinition, Defaulted>>;

/** The rules of a create that JSON Schema cannot say, in the schema's field order. */
const TASK_RULES: FieldRule[] = [
  { field: 'domain', first: true, check: (r) => checkUtf8Bytes(r['domain'], MAX_DOMAIN_BYTES, 'domain') },
  { field: 'completion_callback_url', check: (r) => checkHttpUrl(r['completion_callback_url'], 'completion_callback_url') },
  { field: 'annotation', first: true, check: (r) => checkUtf8Bytes(r['annotation'], MAX_ANNOTATION_BYTES, 'annotation') },
];

/**
 * Validates a create request (parsed JSON) against the `TaskRequest` schema, and what the schema
 * cannot say: the domain and annotation in bytes, the callback parsed as a URL.
 */
export function validateTask(input: unknown): Result<TaskRequest> {
  return validating(() => {
    const request = checkRequest('TaskRequest', input, { name: 'task' }, undefined, TASK_RULES);
    if (request['env'] !== undefined) request['env'] = envOf(request['env'] as EnvVar[]);
    // '' = none
    if (request['completion_callback_url'] === '') delete request['completion_callback_url'];
    return request as unknown as TaskRequest;
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
