/**
 * Memory (and pids) limits for the process backend through cgroups: v2 where the unified
 * hierarchy has the memory controller and is writable, else v1's memory and pids hierarchies,
 * else none (limits recorded, reported unenforced). Each container gets
 * `<hierarchy>/<scope>/<handle>`; the keeper moves itself there before starting the command.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupMechanism = 'cgroup-v2' | 'cgroup-v1' | 'none';

export interface ContainerCgroup {
  /** the `cgroup.procs` files the keeper joins */
  procsFiles: string[];
  /** kills the kernel made because the memory limit was hit */
  oomKills(): number;
  usageBytes(): number;
  /** KILLs every process still in the cgroup, wherever its process group */
  killAll(): void;
  /** no process left in it */
  empty(): boolean;
  remove(): void;
}

export class Cgroups {
  private constructor(
    readonly mechanism: CgroupMechanism,
    /** why no cgroup is used, when none is */
    readonly why: string | undefined,
    private readonly memoryDir: string,
    private readonly pidsDir: string | undefined,
  ) {}

  /** Finds a writable hierarchy and creates `scope` in it. */
  static detect(scope: string, root = '/sys/fs/cgroup'): Cgroups {
    const failures: string[] = [];
    const v2 = existsSync(join(root, 'cgroup.controllers')) ? root : existsSync(join(root, 'unified', 'cgroup.controllers')) ? join(root, 'unified') : undefined;
    if (v2) {
      try {
        const controllers = readFileSync(join(v2, 'cgroup.controllers'), 'utf8');
        if (!/\bmemory\b/.test(controllers)) throw new Error('no memory controller');
        const dir = join(v2, scope);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(v2, 'cgroup.subtree_control'), '+memory +pids');
        writeFileSync(join(dir, 'cgroup.subtree_control'), '+memory +pids');
        return new Cgroups('cgroup-v2', undefined, dir, undefined);
      } catch (error) {
        failures.push(`cgroup v2 at ${v2}: ${(error as Error).message}`);
      }
    }
    const v1 = join(root, 'memory');
    if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
      try {
        const dir = join(v1, scope);
        // mkdir of a scope that exists succeeds without a write check (a root-made scope, a non-root node)
        mkdirSync(dir, { recursive: true });
        accessSync(dir, constants.W_OK);
        let pids: string | undefined = join(root, 'pids', scope);
        try {
          mkdirSync(pids, { recursive: true });
          accessSync(pids, constants.W_OK);
        } catch {
          pids = undefined;
        }
        return new Cgroups('cgroup-v1', undefined, dir, pids);
      } catch (error) {
        failures.push(`cgroup v1 at ${v1}: ${(error as Error).message}`);
      }
    } else {
      failures.push(`no cgroup v1 memory hierarchy at ${v1}`);
    }
    return new Cgroups('none', failures.join('; '), '', undefined);
  }

  /** Whether a container's `maxPids` is applied (v2, or v1 with a writable pids hierarchy). */
  get limitsPids(): boolean {
    return this.mechanism === 'cgroup-v2' || (this.mechanism === 'cgroup-v1' && this.pidsDir !== undefined);
  }

  /** Removes the node's scope directories if no container cgroup is left in them. */
  removeScopeIfEmpty(): void {
    for (const dir of [this.memoryDir, this.pidsDir]) {
      if (!dir) continue;
      try {
        rmdirSync(dir);
      } catch {
        // containers still have cgroups here (they are left for adoption), or it is gone
      }
    }
  }

  /** A cgroup for a new container; undefined when limits cannot be enforced here. */
  create(handle: string, limits: { memoryMb?: number; maxPids?: number }): ContainerCgroup | undefined {
    if (this.mechanism === 'none') return undefined;
    const memory = join(this.memoryDir, handle);
    mkdirSync(memory, { recursive: true });
    const bytes = limits.memoryMb ? String(limits.memoryMb * 1024 * 1024) : undefined;
    if (this.mechanism === 'cgroup-v2') {
      if (bytes) {
        writeFileSync(join(memory, 'memory.max'), bytes);
        tryWrite(join(memory, 'memory.swap.max'), '0');
      }
      if (limits.maxPids) writeFileSync(join(memory, 'pids.max'), String(limits.maxPids));
    } else {
      // what a process allocated before it joined (see the keeper) moves with it
      tryWrite(join(memory, 'memory.move_charge_at_immigrate'), '3');
      if (bytes) {
        writeFileSync(join(memory, 'memory.limit_in_bytes'), bytes);
        // no swapping past the limit either, where the kernel accounts swap
        tryWrite(join(memory, 'memory.memsw.limit_in_bytes'), bytes);
      }
      if (this.pidsDir && limits.maxPids) {
        mkdirSync(join(this.pidsDir, handle), { recursive: true });
        writeFileSync(join(this.pidsDir, handle, 'pids.max'), String(limits.maxPids));
      }
    }
    return this.open(handle);
  }

  /** The cgroup of an existing container (after a restart), if it has one. */
  open(handle: string): ContainerCgroup | undefined {
    if (this.mechanism === 'none') return undefined;
    const memory = join(this.memoryDir, handle);
    if (!existsSync(memory)) return undefined;
    const pids = this.pidsDir && existsSync(join(this.pidsDir, handle)) ? join(this.pidsDir, handle) : undefined;
    const dirs = pids ? [memory, pids] : [memory];
    const v2 = this.mechanism === 'cgroup-v2';
    return {
      procsFiles: dirs.map((d) => join(d, 'cgroup.procs')),
      oomKills: () => {
        const text = readOr(join(memory, v2 ? 'memory.events' : 'memory.oom_control'));
        return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
      },
      usageBytes: () => Number(readOr(join(memory, v2 ? 'memory.current' : 'memory.usage_in_bytes')) || 0),
      empty: () => dirs.every((dir) => readOr(join(dir, 'cgroup.procs')).trim() === ''),
      killAll: () => {
        for (const dir of dirs) {
          for (const pid of readOr(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      },
      remove: () => {
        for (const dir of dirs) {
          try {
            rmdirSync(dir);
          } catch {
            // still has processes (they die with the KILL) or already removed
          }
        }
      },
    };
  }
}

function readOr(path: string, fallback = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function tryWrite(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // optional knob this kernel does not have
  }
}
