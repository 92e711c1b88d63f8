/**
 * A process in a runc container: a `runc exec` run under a keeper (../keeper/kept-process.ts),
 * which records its output and exit status in files so a cell that restarts adopts it.
 *
 * Signals are sent from the host straight to the processes inside, found through the container's
 * cgroup, not through `runc exec`: runc exec forwards a signal it receives to the process it ran,
 * but only to that one process (not its process group), and a KILL can only end runc exec
 * itself, which leaves the process running inside, orphaned to the container's init. So:
 * TERM/INT/HUP go to the process's process group inside the container (runc exec makes the
 * process a session and group leader), KILL to that group and every descendant of it, wherever
 * its group. What has left the tree (orphaned to the init) only `Container.stop` reaches.
 *
 * runc exec returns once the process has exited and its stdout/stderr are closed: a background
 * child that inherited them delays the exit status until it has ended too (or is killed).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExitStatus, Process, ProcessIO } from '../backend.js';
import type { KeptProcess } from '../keeper/kept-process.js';

/** Where runc exec writes the host pid of the process it started, in the process directory. */
export const PID_FILE = 'pid';

export class RuncProcess implements Process {
  constructor(
    readonly kept: KeptProcess,
    private readonly dir: string,
    /** host pids in the container, its init excluded */
    private readonly containerPids: () => number[],
  ) {}

  get id(): string {
    return this.kept.id;
  }

  get exitStatus(): ExitStatus | undefined {
    return this.kept.exitStatus;
  }

  wait(signal?: AbortSignal): Promise<ExitStatus> {
    return this.kept.wait(signal);
  }

  attach(io: ProcessIO): void {
    this.kept.attach(io);
  }

  /** Stops following the process, which goes on running for the next backend to adopt. */
  release(): Promise<void> {
    return this.kept.release();
  }

  /** The host pid of the process once runc has started it. */
  hostPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dir, PID_FILE), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async signal(sig: 'TERM' | 'KILL' | 'INT' | 'HUP'): Promise<void> {
    if (this.kept.exitStatus) return;
    const leader = this.hostPid();
    if (leader === undefined) {
      // runc has not started it (or never will): runc exec and its keeper are all there is
      await this.kept.signal(sig);
      return;
    }
    const targets = sig === 'KILL' ? treeOf(leader, this.containerPids()) : groupOf(leader, this.containerPids());
    for (const pid of targets) {
      try {
        process.kill(pid, `SIG${sig}`);
      } catch {
        // exited meanwhile
      }
    }
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count from the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    return { pid, ppid: Number(fields[1]), pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks): tells a live process from a reused pid. */
export function startTimeOf(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return null;
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** The process group of `pid`, or undefined once it has exited. */
export function processGroupOf(pid: number): number | undefined {
  return stat(pid)?.pgrp;
}

/** The members of process group `leader` among `pids`. */
export function groupOf(leader: number, pids: number[]): number[] {
  return pids.map(stat).filter((s): s is ProcStat => s?.pgrp === leader).map((s) => s.pid);
}

/** The members of process group `leader` among `pids` and all their descendants. */
export function treeOf(leader: number, pids: number[]): number[] {
  const stats = pids.map(stat).filter((s): s is ProcStat => s !== undefined);
  const found = new Set(stats.filter((s) => s.pgrp === leader || s.pid === leader).map((s) => s.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (!found.has(s.pid) && found.has(s.ppid)) {
        found.add(s.pid);
        grew = true;
      }
    }
  }
  return [...found];
}
