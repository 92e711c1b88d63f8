/**
 * The `runc` backend: each container an OCI bundle under `<dataDir>/containers/<handle>` over a
 * preloaded root filesystem (`--rootfs busybox=DIR`; scripts/build-busybox-rootfs.sh builds
 * one), run by Debian's `runc` with pid, mount, ipc and uts namespaces and the host's network,
 * and each process a `runc exec` under a keeper. Needs root and `runc` on PATH.
 *
 * On open, the backend adopts what a previous run on the same data directory left: a container
 * whose runc container still runs keeps its ports and processes (output and exit status go on
 * being followed, `info().adopted` says so); one whose runc container is gone or stopped, or
 * whose create died half way, is removed, as is a runc container without a bundle. Deciding
 * which adopted containers are still wanted is the cell's job, as with the process backend.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../../base/logger.js';
import { AuctorError } from '../../base/errors.js';
import type { Capacity, Container, ContainerSpec, Enforceable, GardenBackend } from '../backend.js';
import { measureCapacity } from '../capacity.js';
import { backendUnavailable, containerExists, unknownRootfs } from '../errors.js';
import { ContainerTable } from '../container-table.js';
import { PortAllocator, type PortRange } from '../ports.js';
import { killKeepersUnder } from '../keeper/find-keepers.js';
import { containerRecordError, readRecord, type DamagedFile } from '../records.js';
import { containerCgroup } from './container-cgroup.js';
import { cgroupsPath, ociConfig } from './oci-config.js';
import { Runc, findOnPath } from './runc-cli.js';
import { RuncContainer, type ContainerRecord, type RuncContainerDeps } from './runc-container.js';

const PRELOADED = 'preloaded:';
/** runc's rule for container ids, minus leading dots: a handle is also a directory name. */
const HANDLE = /^[A-Za-z0-9_+-][A-Za-z0-9_+.-]{0,127}$/;

export interface RuncBackendOptions {
  /** the node's data directory; bundles live in `<dataDir>/containers` */
  dataDir: string;
  /** root filesystems offered, name -> directory (`--rootfs busybox=DIR`): `preloaded:<name>` */
  rootfses: Record<string, string>;
  /** TERM, then KILL after this; default 10000 (Diego's graceful_shutdown_interval) */
  gracefulStopMs?: number;
  /** cgroup parent of this node's containers, e.g. `auctor/<node>`; default `auctor` */
  scope?: string;
  portRange?: PortRange;
  /** flags that override what is measured */
  capacity?: Partial<Capacity>;
  /** the address processes are reached on (CF_INSTANCE_IP); default 127.0.0.1 */
  externalIp?: string;
  /** the runc binary: a name looked up on PATH, or a path; default `runc` */
  runc?: string;
  /** runc's state root (`runc --root`); default `<dataDir>/runc` */
  runcRoot?: string;
  /** where the cgroup hierarchies are mounted; default /sys/fs/cgroup */
  cgroupRoot?: string;
  logger?: Logger;
}

export class RuncBackend implements GardenBackend {
  readonly name = 'runc' as const;
  private readonly dataDir: string;
  private readonly containersDir: string;
  private readonly runcRoot: string;
  private readonly scope: string;
  private readonly ports: PortAllocator;
  private readonly live = new ContainerTable<RuncContainer>();
  /** handles being created, so a second create of the same handle fails at once */
  private readonly creating = new Set<string>();

  private constructor(private readonly options: RuncBackendOptions) {
    this.dataDir = resolve(options.dataDir);
    this.containersDir = join(this.dataDir, 'containers');
    this.runcRoot = resolve(options.runcRoot ?? join(this.dataDir, 'runc'));
    this.scope = options.scope ?? 'auctor';
    mkdirSync(this.containersDir, { recursive: true });
    mkdirSync(this.runcRoot, { recursive: true, mode: 0o700 });
    this.ports = new PortAllocator(options.portRange, options.scope ?? '');
  }

  /** Opens the backend on `dataDir`, adopting the containers a previous run left there. */
  static async open(options: RuncBackendOptions): Promise<RuncBackend> {
    const backend = new RuncBackend(options);
    await backend.adoptAll();
    return backend;
  }

  async ping(): Promise<void> {
    this.runc();
    const names = Object.keys(this.options.rootfses);
    if (names.length === 0) {
      throw backendUnavailable('runc', 'no root filesystem configured: pass --rootfs busybox=DIR (scripts/build-busybox-rootfs.sh DIR builds one)');
    }
    for (const name of names) {
      const dir = resolve(this.options.rootfses[name]!);
      if (!existsSync(join(dir, 'bin', 'sh'))) {
        throw backendUnavailable('runc', `rootfs ${name}: ${dir} has no /bin/sh (scripts/build-busybox-rootfs.sh ${dir} builds one)`);
      }
    }
    if (process.getuid?.() !== 0) throw backendUnavailable('runc', `runc containers need root; this node runs as uid ${process.getuid?.()}`);
  }

  capacity(): Promise<Capacity> {
    return measureCapacity(this.dataDir, this.options.capacity);
  }

  rootfses(): string[] {
    return Object.keys(this.options.rootfses).map((name) => `${PRELOADED}${name}`);
  }

  /** runc's cgroups and rlimits (oci-config.ts); processes run as root inside, disk is not limited. */
  enforces(): Enforceable[] {
    return ['memory', 'pids', 'cpu', 'nofile'];
  }

  async create(spec: ContainerSpec, signal?: AbortSignal): Promise<Container> {
    signal?.throwIfAborted();
    const rootfsDir = this.rootfsDir(spec.rootfs);
    const dir = this.dirOf(spec.handle);
    if (this.live.has(spec.handle) || this.creating.has(spec.handle) || existsSync(dir)) throw containerExists(spec.handle);
    const runc = this.runc();
    this.creating.add(spec.handle);
    let hostPorts: number[] = [];
    try {
      const containerPorts = spec.ports ?? [];
      hostPorts = await this.ports.allocate(containerPorts.length);
      signal?.throwIfAborted();
      const limitMb = spec.limits?.memoryMb;
      const record: ContainerRecord = {
        spec,
        ports: containerPorts.map((containerPort, i) => ({ containerPort, hostPort: hostPorts[i]! })),
        memory: { ...(limitMb ? { limitMb } : {}), enforced: Boolean(limitMb), mechanism: 'runc' },
        properties: { ...spec.properties },
        createdAt: Date.now(),
      };
      const config = ociConfig({
        handle: spec.handle,
        rootfsDir,
        homeDir: join(dir, 'home'),
        tmpDir: join(dir, 'tmp'),
        scope: this.scope,
        ...(limitMb ? { memoryMb: limitMb } : {}),
        ...(spec.limits?.maxPids ? { maxPids: spec.limits.maxPids } : {}),
        ...(spec.limits?.cpuWeight ? { cpuWeight: spec.limits.cpuWeight } : {}),
      });
      const container = await RuncContainer.make(record, this.deps(spec.handle, runc), config);
      if (signal?.aborted) {
        await container.destroy();
        signal.throwIfAborted();
      }
      this.live.set(container);
      this.options.logger?.info({ handle: spec.handle, rootfs: spec.rootfs }, 'garden.created-container');
      return container;
    } catch (error) {
      this.ports.release(hostPorts);
      await this.removeLeftovers(spec.handle, runc);
      throw error;
    } finally {
      this.creating.delete(spec.handle);
    }
  }

  async destroy(handle: string): Promise<void> {
    const container = this.live.take(handle);
    await container.destroy();
    this.ports.release(container.ports.map((p) => p.hostPort));
    this.options.logger?.info({ handle }, 'garden.destroyed-container');
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
  }

  private async adoptAll(): Promise<void> {
    const handles = readdirSync(this.containersDir);
    const path = findOnPath(this.options.runc ?? 'runc');
    if (!path) {
      // nothing can be checked or removed without runc; ping() says why the backend is unusable
      if (handles.length) this.options.logger?.warn({ containers: handles.length }, 'garden.runc-missing-not-adopting');
      return;
    }
    const runc = new Runc(path, this.runcRoot);
    const states = new Map((await runc.list()).map((s) => [s.id, s]));
    for (const handle of handles) {
      const state = states.get(handle);
      states.delete(handle);
      const recordPath = join(this.containersDir, handle, 'container.json');
      if (!HANDLE.test(handle) || !existsSync(recordPath) || state?.status !== 'running') {
        // a create that died half way, or a container whose init is gone: nothing to adopt
        await this.removeLeftovers(handle, runc);
        this.options.logger?.info({ handle, status: state?.status ?? 'gone' }, 'garden.removed-dead-container');
        continue;
      }
      const read = readRecord<ContainerRecord>(recordPath, (value) => containerRecordError(value, handle));
      if (!read.ok) {
        await this.giveUp(handle, runc, read.damaged);
        continue;
      }
      const container = new RuncContainer(read.value, this.deps(handle, runc), true);
      container.adoptInit(state.pid);
      const damaged = container.adoptProcesses();
      if (damaged) {
        await container.release();
        await this.giveUp(handle, runc, damaged);
        continue;
      }
      this.ports.reserve(read.value.ports.map((p) => p.hostPort));
      this.live.set(container);
      this.options.logger?.info({ handle, processes: container.processes().length }, 'garden.adopted-container');
    }
    for (const id of states.keys()) {
      // in this backend's runc root but without a bundle: the bundle was removed under it
      await this.removeLeftovers(id, runc);
      this.options.logger?.info({ handle: id }, 'garden.removed-container-without-bundle');
    }
  }

  /** A container whose records cannot be read: everything in it stops, it goes, and the log says why. */
  private async giveUp(handle: string, runc: Runc, damaged: DamagedFile): Promise<void> {
    // runc exec's keepers on the host; `runc delete --force` ends what runs inside
    const stopped = killKeepersUnder(join(this.containersDir, handle, 'processes'));
    await this.removeLeftovers(handle, runc);
    this.options.logger?.error({ handle, ...damaged, stopped }, 'garden.damaged-container');
  }

  /** Deletes a runc container, its cgroups and its bundle, whichever exist. */
  private async removeLeftovers(handle: string, runc: Runc): Promise<void> {
    if (HANDLE.test(handle)) {
      await runc.delete(handle).catch((error: unknown) => this.options.logger?.warn({ handle, error: String(error) }, 'garden.runc-delete-failed'));
      containerCgroup(cgroupsPath(this.scope, handle), this.options.cgroupRoot).remove();
    }
    rmSync(join(this.containersDir, handle), { recursive: true, force: true });
  }

  private deps(handle: string, runc: Runc): RuncContainerDeps {
    return {
      dir: this.dirOf(handle),
      runc,
      cgroup: containerCgroup(cgroupsPath(this.scope, handle), this.options.cgroupRoot),
      externalIp: this.options.externalIp ?? '127.0.0.1',
      gracefulStopMs: this.options.gracefulStopMs ?? 10_000,
      enforces: this.enforces(),
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    };
  }

  private runc(): Runc {
    const path = findOnPath(this.options.runc ?? 'runc');
    if (!path) throw backendUnavailable('runc', "runc not found on PATH; install Debian's runc package");
    return new Runc(path, this.runcRoot);
  }

  private rootfsDir(rootfs: string): string {
    const name = rootfs.startsWith(PRELOADED) ? rootfs.slice(PRELOADED.length) : undefined;
    if (name === undefined || !Object.hasOwn(this.options.rootfses, name)) throw unknownRootfs(rootfs, this.rootfses());
    return resolve(this.options.rootfses[name]!);
  }

  private dirOf(handle: string): string {
    if (!HANDLE.test(handle)) throw new AuctorError('InvalidRequest', `invalid field: handle: ${handle} (letters, digits, _ + . - only)`);
    return join(this.containersDir, handle);
  }
}
