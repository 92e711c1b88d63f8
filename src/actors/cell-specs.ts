/**
 * What the cell puts into a container (pure): the ContainerSpec for an LRP instance or a task
 * (handle, identity, ports, env, limits, properties), what its container actor runs, and the
 * part of an LRP's definition kept in the container's `run` property so a restarted cell can
 * monitor an adopted instance again.
 */
import { open } from 'node:fs/promises';
import { Texts, type StepResult } from '../executor/actions/index.js';
import type { ContainerInfo, ContainerSpec } from '../garden/backend.js';
import type { Slot } from './cell-ledger.js';
import type { CheckDefinition } from '../executor/health/check-definition.js';
import type { Action } from '../models/actions.js';
import type { LrpWork, TaskWork } from './cell.protocol.js';

/** What an LRP container runs; stored in the container's `health` property for adoption. */
export interface LrpRun {
  index: number;
  log_source?: string;
  setup?: Action;
  /** absent for an adopted container: its processes already run */
  action?: Action;
  monitor?: Action;
  check_definition?: CheckDefinition;
  start_timeout_ms: number;
}

export interface TaskRun {
  action?: Action;
  log_source?: string;
  result_file: string;
}

export type ContainerJob = { kind: 'lrp'; run: LrpRun } | { kind: 'task'; run: TaskRun };

function limitsOf(item: { memory_mb: number; disk_mb: number; max_pids: number; cpu_weight: number }): ContainerSpec['limits'] {
  return {
    ...(item.memory_mb > 0 ? { memoryMb: item.memory_mb } : {}),
    ...(item.disk_mb > 0 ? { diskMb: item.disk_mb } : {}),
    ...(item.max_pids > 0 ? { maxPids: item.max_pids } : {}),
    ...(item.cpu_weight > 0 ? { cpuWeight: item.cpu_weight } : {}),
  };
}

export function lrpRun(work: LrpWork): LrpRun {
  const d = work.desired;
  return {
    index: work.index,
    action: d.action,
    start_timeout_ms: d.start_timeout_ms,
    ...(d.log_source ? { log_source: d.log_source } : {}),
    ...(d.setup ? { setup: d.setup } : {}),
    ...(d.monitor ? { monitor: d.monitor } : {}),
    ...(d.check_definition ? { check_definition: d.check_definition } : {}),
  };
}

/** The health part of an LRP's run, kept in the container's `run` property for adoption. */
function storedRun(run: LrpRun): string {
  const { index: _index, setup: _setup, action: _action, ...health } = run;
  return JSON.stringify(health);
}

/**
 * The slot and the job of a container found on the backend at start, from its properties; undefined
 * for a container the cell did not make. An LRP starts CLAIMED (reported running again once
 * healthy), a task RUNNING (reported completed again when its processes have ended).
 */
export function adoptedSlot(handle: string, info: ContainerInfo): { slot: Slot; job: ContainerJob } | undefined {
  const p = info.properties;
  const memory_mb = info.limits.memoryMb ?? 0;
  const disk_mb = info.limits.diskMb ?? 0;
  if (p.kind === 'lrp' && p.process_guid && p.instance_guid) {
    const index = Number(p.index);
    return {
      slot: { kind: 'lrp', handle, process_guid: p.process_guid, index, instance_guid: p.instance_guid, memory_mb, disk_mb, state: 'CLAIMED' },
      job: { kind: 'lrp', run: parseRun(p.run, index) },
    };
  }
  if (p.kind === 'task' && p.task_guid) {
    return {
      slot: { kind: 'task', handle, task_guid: p.task_guid, memory_mb, disk_mb, state: 'RUNNING' },
      job: { kind: 'task', run: { result_file: p.result_file ?? '', ...(p.log_source ? { log_source: p.log_source } : {}) } },
    };
  }
  return undefined;
}

function parseRun(stored: string | undefined, index: number): LrpRun {
  try {
    const health = JSON.parse(stored ?? '{}') as Partial<LrpRun>;
    return { start_timeout_ms: 0, ...health, index };
  } catch {
    return { start_timeout_ms: 0, index };
  }
}

export function lrpSpec(work: LrpWork): ContainerSpec {
  const d = work.desired;
  return {
    handle: work.instance_guid,
    rootfs: d.rootfs,
    identity: { index: work.index, guid: work.instance_guid },
    ports: [...d.ports],
    env: [...d.env],
    limits: limitsOf(d),
    privileged: d.privileged,
    properties: {
      kind: 'lrp',
      process_guid: d.process_guid,
      index: String(work.index),
      domain: d.domain,
      instance_guid: work.instance_guid,
      run: storedRun(lrpRun(work)),
    },
  };
}

export function taskRun({ task }: TaskWork): TaskRun {
  return { action: task.action, result_file: task.result_file, ...(task.log_source ? { log_source: task.log_source } : {}) };
}

export function taskSpec({ task }: TaskWork): ContainerSpec {
  return {
    handle: task.task_guid,
    rootfs: task.rootfs,
    identity: { guid: task.task_guid },
    env: [...task.env],
    limits: limitsOf(task),
    privileged: task.privileged,
    properties: {
      kind: 'task',
      task_guid: task.task_guid,
      domain: task.domain,
      result_file: task.result_file,
      ...(task.log_source ? { log_source: task.log_source } : {}),
    },
  };
}

export function exitResult(status: { code: number; oom: boolean }): StepResult {
  return status.code === 0 ? { ok: true } : { ok: false, error: Texts.exited(status.code, status.oom) };
}

/** The first `limit` bytes of a file, as UTF-8. */
export async function readHead(path: string, limit: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await file.read(buffer, 0, limit, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
