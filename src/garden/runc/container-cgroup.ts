/**
 * Reads a runc container's cgroup from the host: which processes are in it, how often the kernel
 * killed one for memory, memory and CPU used. runc creates the cgroup (`cgroupsPath`
 * `/<scope>/<handle>`, the cgroupfs driver) and `runc delete` removes it; `remove` only sweeps
 * what a delete could not. cgroup v2 where /sys/fs/cgroup is the unified hierarchy, else v1
 * (runc's own rule); a hybrid machine's empty v2 hierarchy holds no controllers we read.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ContainerCgroup {
  readonly version: 1 | 2;
  /** host pids of every process in the container (its init's too) */
  pids(): number[];
  /** kills the kernel made in the container because its memory limit was hit */
  oomKills(): number;
  memoryBytes(): number;
  /** cumulative CPU time, ns */
  cpuNs(): number;
  /** the container's cgroup directories that still exist */
  leftovers(): string[];
  /** rmdir's the directories left (empty ones only: the kernel refuses others) */
  remove(): void;
}

export function containerCgroup(cgroupsPath: string, root = '/sys/fs/cgroup'): ContainerCgroup {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const v2 = existsSync(join(root, 'cgroup.controllers'));
  const memory = v2 ? join(root, rel) : join(root, 'memory', rel);
  const pidsDirs = v2 ? [memory] : [memory, join(root, 'pids', rel)];
  const candidates = (): string[] => {
    if (v2) return [join(root, rel)];
    const dirs: string[] = [];
    for (const hierarchy of safeReaddir(root)) {
      const dir = join(root, hierarchy, rel);
      if (isDir(join(root, hierarchy))) dirs.push(dir);
    }
    return dirs;
  };
  return {
    version: v2 ? 2 : 1,
    pids: () => {
      for (const dir of pidsDirs) {
        const text = readOr(join(dir, 'cgroup.procs'));
        if (text !== undefined) return text.split('\n').filter(Boolean).map(Number);
      }
      return [];
    },
    oomKills: () => {
      const text = readOr(join(memory, v2 ? 'memory.events' : 'memory.oom_control')) ?? '';
      return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
    },
    memoryBytes: () => Number(readOr(join(memory, v2 ? 'memory.current' : 'memory.usage_in_bytes'))?.trim() || 0),
    cpuNs: () => {
      if (v2) return Number(/^usage_usec (\d+)/m.exec(readOr(join(memory, 'cpu.stat')) ?? '')?.[1] ?? 0) * 1000;
      return Number(readOr(join(root, 'cpuacct', rel, 'cpuacct.usage'))?.trim() || 0);
    },
    leftovers: () => candidates().filter(isDir),
    remove: () => {
      for (const dir of candidates().filter(isDir)) {
        try {
          rmdirSync(dir);
        } catch {
          // still holds a process (dying): the caller retries
        }
      }
    },
  };
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
