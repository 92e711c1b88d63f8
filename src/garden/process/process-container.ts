/**
 * One container of the process backend: a directory on the host (its root, with the home
 * directory at `/home/vcap`), host ports, an optional cgroup, and kept processes. There is no
 * filesystem or network isolation: a process sees the host, runs as the node's user, and
 * listens on the host port it is given in `PORT`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type {
  Container, ContainerInfo, ContainerMetrics, ContainerSpec, Enforceable,
  EnvVar, MemoryLimitInfo, PortMapping, Process, ProcessIO, ProcessSpec,
} from '../backend.js';
import { writeFileAtomic } from '../atomic-file.js';
import { containerVariables, mergeEnv } from '../env.js';
import { killKeepersUnder } from '../keeper/find-keepers.js';
import { KeptProcess } from '../keeper/kept-process.js';
import type { Logger } from '../../base/logger.js';
import type { DamagedFile } from '../records.js';
import { IgnoredFields } from '../ignored-fields.js';
import type { ContainerCgroup } from './cgroup.js';
import { delay, waitUntil } from '../wait.js';

export const HOME = '/home/vcap';
/** Exited processes kept per container (their directories too); older ones are pruned. */
const KEEP_EXITED = 10;

/** What container.json holds: enough to adopt the container after a restart. */
export interface ContainerRecord {
  spec: ContainerSpec;
  ports: PortMapping[];
  memory: MemoryLimitInfo;
  properties: Record<string, string>;
  createdAt: number;
}

export interface ContainerDeps {
  dir: string;
  externalIp: string;
  gracefulStopMs: number;
  cgroup: ContainerCgroup | undefined;
  /** the node's own variables every process starts from (PATH, ...) */
  baseEnv: EnvVar[];
  /** what the backend enforces: the rest of a spec is named once in the log as ignored */
  enforces: Enforceable[];
  logger?: Logger;
}

export class ProcessContainer implements Container {
  readonly handle: string;
  private readonly kept = new Map<string, KeptProcess>();
  private stopped = false;
  private readonly ignored: IgnoredFields;

  constructor(
    private readonly record: ContainerRecord,
    private readonly deps: ContainerDeps,
    readonly adopted: boolean,
  ) {
    this.handle = record.spec.handle;
    this.ignored = new IgnoredFields(deps.enforces);
  }

  /** Creates the container's directories and record on disk. */
  static make(record: ContainerRecord, deps: ContainerDeps): ProcessContainer {
    const container = new ProcessContainer(record, deps, false);
    mkdirSync(container.hostPath(HOME), { recursive: true });
    mkdirSync(container.hostPath('/tmp'), { recursive: true });
    mkdirSync(join(deps.dir, 'processes'), { recursive: true });
    container.save();
    return container;
  }

  /**
   * Takes over the processes a previous run of the backend left in the container. A process
   * that was never recorded is stopped and forgotten. Answers the first record that cannot be
   * read: the container cannot be followed whole then, and the caller gives it up (after
   * `release`, for what was adopted before it).
   */
  adoptProcesses(): DamagedFile | undefined {
    const dir = join(this.deps.dir, 'processes');
    if (!existsSync(dir)) return undefined;
    for (const id of readdirSync(dir)) {
      const adoption = KeptProcess.adopt(join(dir, id), { onDamaged: this.onDamaged, ...(this.deps.cgroup ? { oomKills: this.deps.cgroup.oomKills } : {}) });
      if (adoption.kind === 'damaged') return adoption.damaged;
      if (adoption.kind === 'adopted') {
        this.kept.set(adoption.process.id, adoption.process);
        continue;
      }
      // the cell died between starting it and recording it: nobody can follow it
      const stopped = killKeepersUnder(join(dir, id));
      if (stopped) this.deps.logger?.warn({ handle: this.handle, process: id }, 'garden.unrecorded-process-stopped');
      rmSync(join(dir, id), { recursive: true, force: true });
    }
    return undefined;
  }

  get ports(): PortMapping[] {
    return this.record.ports;
  }

  get cgroup(): ContainerCgroup | undefined {
    return this.deps.cgroup;
  }

  async run(spec: ProcessSpec, io?: ProcessIO, signal?: AbortSignal): Promise<Process> {
    signal?.throwIfAborted();
    if (this.stopped) throw new Error(`container ${this.handle} is stopped`);
    const ignored = this.ignored.unnamed(this.record.spec, spec);
    if (ignored.length) this.deps.logger?.info({ handle: this.handle, fields: ignored }, 'garden.fields-ignored');
    const id = randomUUID();
    const cwd = this.hostPath(spec.dir ?? HOME);
    mkdirSync(cwd, { recursive: true });
    const env = mergeEnv(
      this.deps.baseEnv,
      [{ name: 'HOME', value: this.hostPath(HOME) }, { name: 'TMPDIR', value: this.hostPath('/tmp') }],
      containerVariables(this.record.spec.identity, this.record.ports, this.deps.externalIp),
      this.record.spec.env,
      spec.env,
    );
    const kept = await KeptProcess.start({
      id,
      dir: join(this.deps.dir, 'processes', id),
      argv: [this.executable(spec.path), ...(spec.args ?? [])],
      cwd,
      env,
      ...(this.deps.cgroup ? { cgroupProcs: this.deps.cgroup.procsFiles } : {}),
      ...(spec.limits?.nofile ? { nofile: spec.limits.nofile } : {}),
      ...(io ? { io } : {}),
      ...(this.deps.cgroup ? { oomKills: this.deps.cgroup.oomKills } : {}),
      onDamaged: this.onDamaged,
    });
    this.kept.set(id, kept);
    void kept.wait().then(() => this.prune());
    return kept;
  }

  processes(): Process[] {
    return [...this.kept.values()];
  }

  async stop(kill: boolean, signal?: AbortSignal): Promise<void> {
    const live = [...this.kept.values()].filter((p) => !p.exitStatus);
    const all = Promise.all(live.map((p) => p.wait()));
    if (!kill) {
      await Promise.all(live.map((p) => p.signal('TERM')));
      const graceOver = await Promise.race([all.then(() => false), delay(this.deps.gracefulStopMs, signal).then(() => true)]);
      if (!graceOver) return;
    }
    await Promise.all(live.map((p) => p.signal('KILL')));
    // a process that left its process group is still in the cgroup
    this.deps.cgroup?.killAll();
    await all;
  }

  /** Stops following the processes, which keep running for the next backend to adopt. */
  async release(): Promise<void> {
    await Promise.all([...this.kept.values()].map((p) => p.release()));
  }

  /** Stops for good: KILL, cgroup removed, files deleted. */
  async destroy(): Promise<void> {
    this.stopped = true;
    await this.stop(true);
    if (this.deps.cgroup) {
      // the kernel empties the cgroup a moment after the KILL; rmdir fails until then
      await waitUntil(() => this.deps.cgroup!.empty(), 2000);
      this.deps.cgroup.remove();
    }
    rmSync(this.deps.dir, { recursive: true, force: true });
  }

  async info(): Promise<ContainerInfo> {
    const live = [...this.kept.values()].filter((p) => !p.exitStatus);
    return {
      handle: this.handle,
      state: this.stopped || live.length === 0 ? 'stopped' : 'active',
      path: this.deps.dir,
      externalIp: this.deps.externalIp,
      ports: this.record.ports,
      memory: this.record.memory,
      limits: this.record.spec.limits ?? {},
      properties: { ...this.record.properties },
      processes: live.map((p) => p.id),
      adopted: this.adopted,
    };
  }

  async metrics(): Promise<ContainerMetrics> {
    return { memoryBytes: this.deps.cgroup?.usageBytes() ?? 0, cpuNs: 0 };
  }

  async setProperty(name: string, value: string): Promise<void> {
    this.record.properties[name] = value;
    this.save();
  }

  hostPath(containerPath: string): string {
    const inside = normalize(isAbsolute(containerPath) ? containerPath : join(HOME, containerPath));
    if (inside.startsWith('..')) throw new Error(`path escapes the container: ${containerPath}`);
    return join(this.deps.dir, 'rootfs', inside);
  }

  /** An absolute path that exists inside the container (a downloaded app) runs from there; others are the host's. */
  private executable(path: string): string {
    if (!isAbsolute(path)) return path;
    const inside = this.hostPath(path);
    return existsSync(inside) ? inside : path;
  }

  /** A file of a process could not be read (offsets, exit status): it is treated as absent. */
  private readonly onDamaged = (damaged: DamagedFile) => this.deps.logger?.warn({ handle: this.handle, ...damaged }, 'garden.damaged-file');

  private save(): void {
    writeFileAtomic(join(this.deps.dir, 'container.json'), JSON.stringify(this.record));
  }

  private prune(): void {
    const exited = [...this.kept.values()].filter((p) => p.exitStatus);
    for (const old of exited.slice(0, Math.max(0, exited.length - KEEP_EXITED))) {
      this.kept.delete(old.id);
      rmSync(join(this.deps.dir, 'processes', old.id), { recursive: true, force: true });
    }
  }
}
