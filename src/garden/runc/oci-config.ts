/**
 * The OCI runtime spec (config.json) of a runc backend container, and the process spec of each
 * `runc exec`: pure functions, no I/O, so the isolation a container gets is read and tested
 * here in one place.
 *
 * What a container is (Garden-runc's shape, with Auctor's choices):
 * - root: the named rootfs directory, read-only and shared by every container that uses it;
 * - writable: `/home/vcap` (home and default cwd) and `/tmp`, bind mounts of the container's
 *   own directories in its bundle; `/dev/shm` a small tmpfs;
 * - namespaces: pid, mount, ipc, uts. Not network: the host's, so a process listens on the host
 *   port the backend allocated for it (`PORT`), as the process backend's do;
 * - cgroup `/<scope>/<handle>`: memory limit (swap included, so no swapping past it), pids limit,
 *   CPU shares from the weight;
 * - uid 0 inside, a minimal capability set, no new privileges, no terminal.
 */

export const HOME = '/home/vcap';
export const TMP = '/tmp';
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** runc's own default open-files limit, used where a process asks for none */
export const DEFAULT_NOFILE = 1024;

/**
 * The container's init: does nothing, forever, and exits on TERM. It keeps the namespaces alive
 * between processes (each process is a `runc exec`) and reaps what is orphaned inside. It
 * needs `/bin/sh` and `sleep` in the rootfs (busybox has both).
 */
export const INIT_ARGV = ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'];

/**
 * Capabilities of every process: runc's default set without CAP_NET_BIND_SERVICE, because the
 * container shares the host's network and root inside must not take the host's ports below 1024.
 */
export const CAPABILITIES = ['CAP_AUDIT_WRITE', 'CAP_KILL'];

const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciProcess {
  terminal: boolean;
  user: { uid: number; gid: number };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: Record<'bounding' | 'effective' | 'permitted' | 'ambient', string[]>;
  rlimits: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges: boolean;
}

export interface OciConfig {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    cgroupsPath: string;
    namespaces: Array<{ type: string }>;
    resources: {
      devices: Array<{ allow: boolean; access: string }>;
      memory?: { limit: number; swap: number };
      pids?: { limit: number };
      cpu?: { shares: number };
    };
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export interface ContainerConfigInput {
  /** the container's handle: its hostname (cut to 63 characters) */
  handle: string;
  /** absolute host path of the root filesystem */
  rootfsDir: string;
  /** absolute host directories bound at /home/vcap and /tmp */
  homeDir: string;
  tmpDir: string;
  /** the cgroup scope, e.g. `auctor/<node>`: the cgroup is `/<scope>/<handle>` */
  scope: string;
  memoryMb?: number;
  maxPids?: number;
  /** Diego's cpu_weight, 1..100 */
  cpuWeight?: number;
}

export interface ProcessInput {
  args: string[];
  /** `NAME=value` entries, each name once */
  env: string[];
  /** absolute path inside the container */
  cwd: string;
  nofile?: number;
}

/** The spec of one process: the init's, or a `runc exec --process` file's. */
export function ociProcess(input: ProcessInput): OciProcess {
  const nofile = input.nofile ?? DEFAULT_NOFILE;
  return {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: [...input.args],
    env: [...input.env],
    cwd: input.cwd,
    capabilities: {
      bounding: [...CAPABILITIES],
      effective: [...CAPABILITIES],
      permitted: [...CAPABILITIES],
      ambient: [...CAPABILITIES],
    },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: nofile, soft: nofile }],
    noNewPrivileges: true,
  };
}

/** config.json of a container bundle. */
export function ociConfig(input: ContainerConfigInput): OciConfig {
  const bytes = input.memoryMb ? input.memoryMb * 1024 * 1024 : undefined;
  const resources: OciConfig['linux']['resources'] = { devices: [{ allow: false, access: 'rwm' }] };
  if (bytes) resources.memory = { limit: bytes, swap: bytes };
  if (input.maxPids) resources.pids = { limit: input.maxPids };
  if (input.cpuWeight) resources.cpu = { shares: cpuShares(input.cpuWeight) };
  return {
    ociVersion: '1.0.2',
    process: ociProcess({ args: INIT_ARGV, env: [`PATH=${DEFAULT_PATH}`], cwd: '/' }),
    root: { path: input.rootfsDir, readonly: true },
    hostname: input.handle.slice(0, 63),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: HOME, type: 'bind', source: input.homeDir, options: ['rbind', 'rw', 'nosuid', 'nodev'] },
      { destination: TMP, type: 'bind', source: input.tmpDir, options: ['rbind', 'rw', 'nosuid', 'nodev'] },
    ],
    linux: {
      cgroupsPath: cgroupsPath(input.scope, input.handle),
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }],
      resources,
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}

/** `/<scope>/<handle>`, with the scope's own slashes trimmed. */
export function cgroupsPath(scope: string, handle: string): string {
  const trimmed = scope.replace(/^\/+|\/+$/g, '');
  return trimmed ? `/${trimmed}/${handle}` : `/${handle}`;
}

/** Diego's weight (1..100) as cgroup v1 shares (2..1024; 1024 is the kernel's default). */
export function cpuShares(weight: number): number {
  return Math.max(2, Math.min(1024, Math.round((weight * 1024) / 100)));
}
