/** Builders for model tests: valid defaults, overridden per case. Times are ns. */
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import type { Task } from '../../src/models/task.js';

export const MS = 1_000_000;
export const SEC = 1_000 * MS;
export const MIN = 60 * SEC;
/** A small epoch so 1 ns steps stay exact in a double. */
export const T0 = 1_000_000 * SEC;

export const TAG = { epoch: 'epoch-1', index: 0 };

/** A create request that passes validation. */
export function desiredLrpRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    process_guid: 'web',
    domain: 'apps',
    rootfs: 'preloaded:host',
    instances: 2,
    action: { run: { path: '/bin/sh', args: ['-c', 'sleep 1000'], user: 'vcap' } },
    ...overrides,
  };
}

/** A stored DesiredLRP. */
export function buildDesiredLrp(overrides: Partial<DesiredLRP> = {}): DesiredLRP {
  return {
    process_guid: 'web', domain: 'apps', rootfs: 'preloaded:host', instances: 2,
    action: { run: { path: '/bin/sh', user: 'vcap' } },
    start_timeout_ms: 0, memory_mb: 0, disk_mb: 0, cpu_weight: 0, max_pids: 0, privileged: false,
    ports: [], routes: {}, env: [], metric_tags: {}, placement_tags: [], modification_tag: TAG,
    ...overrides,
  };
}

/** A stored ActualLRP; CLAIMED/RUNNING rows get a placement on `cell-1` unless overridden. */
export function buildActualLrp(overrides: Partial<ActualLRP> = {}): ActualLRP {
  const state = overrides.state ?? 'UNCLAIMED';
  const placed = state === 'CLAIMED' || state === 'RUNNING';
  return {
    process_guid: 'web', index: 0, domain: 'apps',
    instance_guid: placed ? 'ig-1' : '', cell_id: placed ? 'cell-1' : '',
    address: state === 'RUNNING' ? '10.0.0.1' : '',
    ports: state === 'RUNNING' ? [{ container_port: 8080, host_port: 61000 }] : [],
    state, crash_count: 0, crash_reason: '', placement_error: '',
    since: T0, modification_tag: TAG, presence: 'ORDINARY',
    ...overrides,
  };
}

/** A task request that passes validation. */
export function taskRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_guid: 'task-1',
    domain: 'jobs',
    rootfs: 'preloaded:host',
    action: { run: { path: '/bin/echo', args: ['hi'], user: 'vcap' } },
    ...overrides,
  };
}

/** A stored task. */
export function buildTask(overrides: Partial<Task> = {}): Task {
  return {
    task_guid: 'task-1', domain: 'jobs', rootfs: 'preloaded:host',
    action: { run: { path: '/bin/echo', user: 'vcap' } },
    env: [], memory_mb: 0, disk_mb: 0, max_pids: 0, cpu_weight: 0, privileged: false, result_file: '', placement_tags: [],
    state: 'PENDING', cell_id: '', failed: false, failure_reason: '', result: '',
    rejection_count: 0, rejection_reason: '', created_at: T0, updated_at: T0, first_completed_at: 0,
    ...overrides,
  };
}

/** The error message of a failed outcome, or 'ok'. */
export function messageOf(result: { ok: true } | { ok: false; error: { message: string } }): string {
  return result.ok ? 'ok' : result.error.message;
}

/** The error code of a failed outcome, or 'ok'. */
export function codeOf(result: { ok: true } | { ok: false; error: { code: string } }): string {
  return result.ok ? 'ok' : result.error.code;
}
