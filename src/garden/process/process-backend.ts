/**
 * The `process` backend (the default, portable): each container is a directory under
 * `<dataDir>/containers/<handle>` and each process a child process in its own process group,
 * run under a keeper (../keeper/kept-process.ts) so that it outlives a crash of the cell.
 *
 * On open, the backend adopts what a previous run on the same data directory left: every
 * container keeps its ports, cgroup and processes, running ones go on being followed (output
 * and exit status), and `info().adopted` says so. Diego keeps containers across rep restarts
 * too; adopting instead of destroying means nothing healthy restarts. Deciding which adopted
 * containers are still wanted is the cell's job (it destroys the rest).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../base/logger.js';
import type { Capacity, Container, ContainerSpec, Enforceable, EnvVar, GardenBackend, MemoryLimitInfo } from '../backend.js';
import { measureCapacity } from '../capacity.js';
import { AuctorError } from '../../base/errors.js';
import { containerExists, unknownRootfs } from '../errors.js';
import { ContainerTable } from '../container-table.js';
import { PortAllocator, type PortRange } from '../ports.js';
import { killKeepersUnder } from '../keeper/find-keepers.js';
import { containerRecordError, readRecord, type DamagedFile } from '../records.js';
import { waitUntil } from '../wait.js';
import { Cgroups } from './cgroup.js';
import { ProcessContainer, type ContainerDeps, type ContainerRecord } from './process-container.js';

export const HOST_ROOTFS = 'preloaded:host';
/** A container handle is also a directory name. */
const HANDLE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

export interface ProcessBackendOptions {
  /** the node's data directory; containers live in `<dataDir>/containers` */
  dataDir: string;
  /** TERM, then KILL after this; default 10000 (Diego's graceful_shutdown_interval) */
  gracefulStopMs?: number;
  /** cgroup directory name for this node's containers, e.g. `auctor/<node>` */
  scope?: string;
  portRange?: PortRange;
  /** flags that override what is measured */
  capacity?: Partial<Capacity>;
  /** the address processes are reached on; default 127.0.0.1 */
  externalIp?: string;
  /** where the cgroup hierarchies are mounted; default /sys/fs/cgroup */
  cgroupRoot?: string;
  logger?: Logger;
}

export class ProcessBackend implements GardenBackend {
  readonly name = 'process' as const;
  private readonly containersDir: string;
  private readonly ports: PortAllocator;
  private readonly cgroups: Cgroups;
  private readonly live = new ContainerTable<ProcessContainer>();
  /** handles being created, so a second create of the same handle fails at once */
  private readonly creating = new Set<string>();
  private readonly baseEnv: EnvVar[];
  private warnedUnenforced = false;

  private constructor(private readonly options: ProcessBackendOptions) {
    this.containersDir = join(resolve(options.dataDir), 'containers');
    mkdirSync(this.containersDir, { recursive: true });
    this.ports = new PortAllocator(options.portRange, options.scope ?? '');
    this.cgroups = Cgroups.detect(options.scope ?? 'auctor', options.cgroupRoot);
    this.baseEnv = ['PATH', 'LANG', 'TZ'].flatMap((name) => (process.env[name] ? [{ name, value: process.env[name]! }] : []));
  }

  /** Opens the backend on `dataDir`, adopting the containers a previous run left there. */
  static async open(options: ProcessBackendOptions): Promise<ProcessBackend> {
    const backend = new ProcessBackend(options);
    await backend.adoptAll();
    return backend;
  }

  /** How memory limits are applied here, and why not when they are not. */
  get memoryEnforcement(): { mechanism: MemoryLimitInfo['mechanism']; why?: string } {
    return this.cgroups.why ? { mechanism: this.cgroups.mechanism, why: this.cgroups.why } : { mechanism: this.cgroups.mechanism };
  }

  async ping(): Promise<void> {
    if (!existsSync(this.containersDir)) throw new Error(`process backend unavailable: ${this.containersDir} is missing`);
  }

  capacity(): Promise<Capacity> {
    return measureCapacity(resolve(this.options.dataDir), this.options.capacity);
  }

  rootfses(): string[] {
    return [HOST_ROOTFS];
  }

  /** nofile always (the keeper's ulimit); memory and pids where a cgroup is writable. */
  enforces(): Enforceable[] {
    const cgroup = this.cgroups.mechanism !== 'none';
    return [...(cgroup ? ['memory' as const] : []), ...(this.cgroups.limitsPids ? ['pids' as const] : []), 'nofile'];
  }

  async create(spec: ContainerSpec, signal?: AbortSignal): Promise<Container> {
    signal?.throwIfAborted();
    if (spec.rootfs !== HOST_ROOTFS) throw unknownRootfs(spec.rootfs, this.rootfses());
    if (this.live.has(spec.handle) || this.creating.has(spec.handle) || existsSync(this.dirOf(spec.handle))) {
      throw containerExists(spec.handle);
    }
    this.creating.add(spec.handle);
    let hostPorts: number[] = [];
    try {
      const containerPorts = spec.ports ?? [];
      hostPorts = await this.ports.allocate(containerPorts.length);
      signal?.throwIfAborted();
      const cgroup = this.cgroups.create(spec.handle, spec.limits ?? {});
      const memory = this.memoryInfo(spec, cgroup !== undefined);
      const record: ContainerRecord = {
        spec,
        ports: containerPorts.map((containerPort, i) => ({ containerPort, hostPort: hostPorts[i]! })),
        memory,
        properties: { ...spec.properties },
        createdAt: Date.now(),
      };
      const container = ProcessContainer.make(record, this.deps(spec.handle, cgroup));
      this.live.set(container);
      return container;
    } catch (error) {
      this.ports.release(hostPorts);
      this.cgroups.open(spec.handle)?.remove();
      rmSync(this.dirOf(spec.handle), { recursive: true, force: true });
      throw error;
    } finally {
      this.creating.delete(spec.handle);
    }
  }

  async destroy(handle: string): Promise<void> {
    const container = this.live.take(handle);
    await container.destroy();
    this.ports.release(container.ports.map((p) => p.hostPort));
  }

  containers(filter: Record<string, string> = {}): Promise<Container[]> {
    return this.live.matching(filter);
  }

  async lookup(handle: string): Promise<Container> {
    return this.live.lookup(handle);
  }

  /** Leaves every container running for the next run to adopt. */
  async close(): Promise<void> {
    await this.live.releaseAll();
    this.cgroups.removeScopeIfEmpty();
  }

  /**
   * Adopts every container found. What cannot be read costs its one container: stopped,
   * removed and logged, so the cell never sees it and the control side places it again.
   */
  private async adoptAll(): Promise<void> {
    for (const handle of readdirSync(this.containersDir)) {
      if (!HANDLE.test(handle)) {
        rmSync(join(this.containersDir, handle), { recursive: true, force: true });
        this.options.logger?.warn({ entry: handle }, 'garden.removed-stray-entry');
        continue;
      }
      const recordPath = join(this.dirOf(handle), 'container.json');
      if (!existsSync(recordPath)) {
        // a create that died half way: nothing was started in it
        rmSync(this.dirOf(handle), { recursive: true, force: true });
        continue;
      }
      const read = readRecord<ContainerRecord>(recordPath, (value) => containerRecordError(value, handle));
      if (!read.ok) {
        await this.giveUp(handle, read.damaged);
        continue;
      }
      const container = new ProcessContainer(read.value, this.deps(handle, this.cgroups.open(handle)), true);
      const damaged = container.adoptProcesses();
      if (damaged) {
        await container.release();
        await this.giveUp(handle, damaged);
        continue;
      }
      this.ports.reserve(read.value.ports.map((p) => p.hostPort));
      this.live.set(container);
      this.options.logger?.info({ handle, processes: container.processes().length }, 'garden.adopted-container');
    }
  }

  /** Stops whatever runs in a container that cannot be adopted, removes it, and says why. */
  private async giveUp(handle: string, damaged: DamagedFile): Promise<void> {
    const dir = this.dirOf(handle);
    const stopped = killKeepersUnder(join(dir, 'processes'));
    const cgroup = this.cgroups.open(handle);
    if (cgroup) {
      cgroup.killAll();
      // the kernel empties the cgroup a moment after the KILL; rmdir fails until then
      await waitUntil(() => cgroup.empty(), 2000);
      cgroup.remove();
    }
    rmSync(dir, { recursive: true, force: true });
    this.options.logger?.error({ handle, ...damaged, stopped }, 'garden.damaged-container');
  }

  private memoryInfo(spec: ContainerSpec, enforced: boolean): MemoryLimitInfo {
    const limitMb = spec.limits?.memoryMb;
    if (limitMb && !enforced && !this.warnedUnenforced) {
      this.warnedUnenforced = true;
      this.options.logger?.warn({ why: this.cgroups.why }, 'garden.memory-limit-unenforced');
    }
    return {
      ...(limitMb ? { limitMb } : {}),
      enforced: enforced && limitMb !== undefined,
      mechanism: enforced ? this.cgroups.mechanism : 'none',
    };
  }

  private deps(handle: string, cgroup: ContainerDeps['cgroup']): ContainerDeps {
    return {
      dir: this.dirOf(handle),
      externalIp: this.options.externalIp ?? '127.0.0.1',
      gracefulStopMs: this.options.gracefulStopMs ?? 10_000,
      cgroup,
      baseEnv: this.baseEnv,
      enforces: this.enforces(),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    };
  }

  private dirOf(handle: string): string {
    if (!HANDLE.test(handle)) throw new AuctorError('InvalidRequest', `invalid field: handle: ${handle}`);
    return join(this.containersDir, handle);
  }
}
