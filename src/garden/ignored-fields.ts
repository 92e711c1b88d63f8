/**
 * Which fields of what a user asked for a backend accepts but does not enforce (the process
 * backend runs every process as the node's user, limits no disk, knows no privilege), so that
 * each container's log says so once instead of the backend ignoring them silently.
 */
import type { ContainerSpec, Enforceable, ProcessSpec } from './backend.js';

/** The fields set in `container` and `process`, by their API names, with the limit each asks for. */
function requested(container: ContainerSpec, process?: ProcessSpec): Array<[Enforceable, string]> {
  const limits = container.limits ?? {};
  const asked: Array<[Enforceable, string, unknown]> = [
    ['memory', 'memory_mb', limits.memoryMb],
    ['disk', 'disk_mb', limits.diskMb],
    ['pids', 'max_pids', limits.maxPids],
    ['cpu', 'cpu_weight', limits.cpuWeight],
    ['privileged', 'privileged', container.privileged],
    ['user', 'user', process?.user],
    ['nofile', 'nofile', process?.limits?.nofile],
  ];
  return asked.filter(([, , value]) => value !== undefined && value !== false && value !== 0 && value !== '').map(([limit, field]) => [limit, field]);
}

/** Remembers, per container, which ignored fields its log has named already. */
export class IgnoredFields {
  private readonly named = new Set<string>();

  constructor(private readonly enforces: readonly Enforceable[]) {}

  /** Fields of this run (and its container) that are ignored and not named before, sorted. */
  unnamed(container: ContainerSpec, process?: ProcessSpec): string[] {
    const fresh = requested(container, process)
      .filter(([limit, field]) => !this.enforces.includes(limit) && !this.named.has(field))
      .map(([, field]) => field);
    for (const field of fresh) this.named.add(field);
    return fresh.sort();
  }
}
