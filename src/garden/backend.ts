/**
 * The container API, shaped like Garden's client: a backend makes containers, a container runs
 * processes. Backends: `process` (plain child processes, the default), `runc` (OCI containers),
 * `fake` (in memory, for tests and simulations). The cell actor only ever sees these interfaces.
 *
 * Every call that can take time takes an optional AbortSignal; an aborted call rejects with the
 * signal's reason and leaves nothing half-made behind.
 */

/** One environment variable (mirrors the wire shape of BBS's `env` entries). */
export interface EnvVar {
  name: string;
  value: string;
}

/**
 * A limit a backend can hold a container or process to (mirrors the cell presence's `enforces`
 * values; test/garden/wire-types.test.ts keeps the two equal).
 */
export type Enforceable = 'memory' | 'disk' | 'pids' | 'cpu' | 'nofile' | 'user' | 'privileged';

/** Who the container is for: gives the process its INSTANCE_* and CF_INSTANCE_* variables. */
export interface ContainerIdentity {
  /** the ActualLRP index; absent for tasks */
  index?: number;
  /** the instance guid (LRPs) or task guid */
  guid: string;
}

export interface ContainerLimits {
  memoryMb?: number;
  diskMb?: number;
  /** most processes (and threads) the container may hold at once */
  maxPids?: number;
  cpuWeight?: number;
}

export interface ContainerSpec {
  /** unique on the backend: the instance guid or the task guid */
  handle: string;
  /** a root filesystem URL: `preloaded:host`, `preloaded:busybox`, ... */
  rootfs: string;
  identity?: ContainerIdentity;
  /** ports the process listens on inside the container; each gets a host port */
  ports?: number[];
  /** the LRP's or task's env: after the variables the backend sets, before the action's */
  env?: EnvVar[];
  limits?: ContainerLimits;
  /** free-form labels, matched by `containers(filter)` */
  properties?: Record<string, string>;
  privileged?: boolean;
}

export interface PortMapping {
  containerPort: number;
  hostPort: number;
}

export interface ProcessSpec {
  path: string;
  args?: string[];
  /** working directory inside the container; default its home directory */
  dir?: string;
  /** the action's env: overrides the container's */
  env?: EnvVar[];
  /** accepted for Diego compatibility; the process backend runs as the node's user */
  user?: string;
  limits?: { nofile?: number };
}

export type OutputStream = 'stdout' | 'stderr';

/** One line a process wrote. */
export interface OutputLine {
  stream: OutputStream;
  /** the log source tag, e.g. `APP/PROC/WEB/0` or an action's `log_source` */
  source: string;
  line: string;
  /** ms since the epoch, when the backend read it */
  at: number;
}

export interface ProcessIO {
  /** tags every line; default `APP` */
  source?: string;
  onOutput?: (line: OutputLine) => void;
}

/** How a process ended. */
export interface ExitStatus {
  /** the exit code, or 128 + signal number when a signal ended it */
  code: number;
  /** the signal that ended it, when one did */
  signal?: string;
  /** the container's memory limit was hit and the kernel killed a process for it */
  oom: boolean;
}

export interface Process {
  readonly id: string;
  /** Resolves when the process has exited (also for a process adopted after a cell restart). */
  wait(signal?: AbortSignal): Promise<ExitStatus>;
  /** Sends a signal to the process's whole process group. */
  signal(sig: 'TERM' | 'KILL' | 'INT' | 'HUP'): Promise<void>;
  /**
   * Sends the process's output to `io` from now on. For a process adopted after a restart of
   * the backend: lines it wrote since the last owner read them (at most a few thousand) are
   * delivered first.
   */
  attach(io: ProcessIO): void;
}

export interface MemoryLimitInfo {
  limitMb?: number;
  /** false where no cgroup was writable: the limit is recorded but not applied */
  enforced: boolean;
  mechanism: 'cgroup-v1' | 'cgroup-v2' | 'runc' | 'none';
}

export interface ContainerInfo {
  handle: string;
  state: 'active' | 'stopped';
  /** where the container's files live on the host */
  path: string;
  externalIp: string;
  ports: PortMapping[];
  memory: MemoryLimitInfo;
  limits: ContainerLimits;
  properties: Record<string, string>;
  /** ids of processes that have not exited */
  processes: string[];
  /** the container was found after a restart of the backend and adopted */
  adopted: boolean;
}

export interface ContainerMetrics {
  memoryBytes: number;
  /** cumulative CPU time, ns; 0 where the backend cannot tell */
  cpuNs: number;
}

export interface Container {
  readonly handle: string;
  /** Starts a process in the container; resolves once it has started. */
  run(spec: ProcessSpec, io?: ProcessIO, signal?: AbortSignal): Promise<Process>;
  /**
   * Processes started in this container (or adopted with it), the most recent exited ones
   * included: `wait()` on those resolves at once with how they ended.
   */
  processes(): Process[];
  /**
   * Stops every process: TERM to each process group, then KILL to what is left after the
   * backend's grace period; `kill` skips straight to KILL. Resolves once all have exited.
   */
  stop(kill: boolean, signal?: AbortSignal): Promise<void>;
  info(): Promise<ContainerInfo>;
  metrics(): Promise<ContainerMetrics>;
  setProperty(name: string, value: string): Promise<void>;
  /**
   * Where a path inside the container lives on the host, for steps that put files into it
   * (download). Relative paths are relative to the container's home directory.
   */
  hostPath(containerPath: string): string;
}

export interface Capacity {
  memoryMb: number;
  diskMb: number;
  containers: number;
}

export interface GardenBackend {
  readonly name: 'process' | 'runc' | 'fake';
  /** Rejects with a message saying why when the backend cannot run containers here. */
  ping(signal?: AbortSignal): Promise<void>;
  capacity(signal?: AbortSignal): Promise<Capacity>;
  /** Root filesystems this backend offers (`preloaded:<name>`). */
  rootfses(): string[];
  /**
   * The limits this backend holds containers and processes to on this machine (a cgroup it
   * cannot write enforces nothing); any other field of a spec is accepted and ignored.
   */
  enforces(): Enforceable[];
  /** Rejects with `ResourceExists` for a handle in use, `InvalidRequest` for an unknown rootfs. */
  create(spec: ContainerSpec, signal?: AbortSignal): Promise<Container>;
  /** Stops (KILL) and removes the container and frees its ports; `ResourceNotFound` if unknown. */
  destroy(handle: string, signal?: AbortSignal): Promise<void>;
  /** Containers whose properties include every pair of `filter`. */
  containers(filter?: Record<string, string>): Promise<Container[]>;
  /** `ResourceNotFound` if unknown. */
  lookup(handle: string): Promise<Container>;
  /** Releases what the backend holds; running containers stay for the next run to adopt. */
  close(): Promise<void>;
}
