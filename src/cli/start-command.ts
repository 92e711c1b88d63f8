/** `auctor start`: the node flags of API.md that exist so far, each with its env form. */
import type { Command } from 'commander';
import { hostname } from 'node:os';
import type { LogFormat } from '../base/logger.js';
import { DEFAULT_MAX_INSTANCES, MAX_INSTANCES_CEILING } from '../models/limits.js';
import { DEFAULT_MAX_ACTIVE_INSTANCES } from '../actors/control-deps.js';
import { count, countFlag, countIn, flag, nodeName, hostPort, invalid, isLoopback, list, oneOf, rootfsList, type HostPort } from './flags.js';

/** `--join a:1,b:2`: each item a host:port. */
function hostPortList(field: string) {
  const one = hostPort(field);
  return (value: string): HostPort[] => value.split(',').map((s) => s.trim()).filter(Boolean).map(one);
}

const ROLES = ['control', 'cell'] as const;
const BACKENDS = ['process', 'runc', 'fake'] as const;
const LOG_FORMATS: readonly LogFormat[] = ['pretty', 'json'];

export interface StartFlags {
  /** set from the host name and --listen port when not given */
  name: string;
  data: string;
  api: HostPort;
  apiToken?: string;
  router: HostPort | 'off';
  /** remoting address (the cluster issue: parsed here, wired once the transport lands) */
  listen: HostPort;
  /** nodes to join through; none for the first node */
  join: HostPort[];
  clusterSecret?: string;
  roles: Array<(typeof ROLES)[number]>;
  backend: (typeof BACKENDS)[number];
  rootfs?: Record<string, string>;
  memoryMb?: number;
  diskMb?: number;
  containers: number;
  zone: string;
  placementTags: string[];
  optionalPlacementTags: string[];
  convergenceIntervalMs: number;
  heartbeatMs: number;
  cellTtlMs: number;
  immediateRestarts: number;
  crashBackoffMs: number;
  crashBackoffMaxMs: number;
  maxRestarts: number;
  crashResetMs: number;
  gracefulStopMs: number;
  unhealthyIntervalMs: number;
  healthyIntervalMs: number;
  taskRetries: number;
  completedTaskTtlMs: number;
  evacuationTimeoutMs: number;
  idleMs: number;
  maxActiveInstances: number;
  maxInstances: number;
  /** etcd endpoints of a control group; none = a lone control node (docs/054-control-group.md) */
  etcd: HostPort[];
  /** the leader lease's TTL in a control group */
  leaderTtlMs: number;
  /** standbys that must hold a write before the active acknowledges it (0: asynchronous) */
  syncStandbys: number;
  /** replication log entries the active keeps for standbys catching up; one further behind gets a copy of the store */
  replicationRetainEntries: number;
  /** unset: pretty when stdout is a terminal, else json (`chooseLogFormat`) */
  logFormat?: LogFormat;
}

/** What `auctor start` learned from how it was run, beside its flags. */
export interface StartContext {
  /** secret flags given as arguments (`--api-token`), which any user can read in `ps` */
  secretsOnCommandLine: string[];
}

/** Flags whose value is a secret: given as an argument, it shows in `ps` and /proc/PID/cmdline. */
const SECRET_FLAGS = [['api-token', 'apiToken'], ['cluster-secret', 'clusterSecret']] as const;

// in flags.ts so that start.ts, which this file loads lazily, need not import this file back
export { chooseLogFormat } from './flags.js';

export function addStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'Run one node in the foreground until SIGTERM or SIGINT: the control role (DesiredLRPs, ' +
        'ActualLRPs, tasks, auctions, convergence, on LMDB) and the cell role (containers through ' +
        'its Garden backend, adopting what a previous run left), with the REST gateway on --api. ' +
        'On SIGTERM/SIGINT it stops; containers keep running and the next start adopts them.',
    )
    .addOption(flag('name', 'name', "node name (a cell's cell_id; letters, digits, . _ : -, at most 128); default: host name and --listen port").argParser(nodeName))
    .addOption(flag('data', 'dir', 'LMDB and container directories').default('./.auctor'))
    .addOption(flag('api', 'host:port', 'REST gateway address (control role)').default({ host: '127.0.0.1', port: 8888 }, '127.0.0.1:8888').argParser(hostPort('api')))
    .addOption(flag('router', 'host:port|off', 'HTTP router address (control role); off disables').default({ host: '127.0.0.1', port: 8080 }, '127.0.0.1:8080').argParser((v: string) => (v.trim() === 'off' ? 'off' : hostPort('router')(v))))
    .addOption(flag('listen', 'host:port', 'remoting address peers dial').default({ host: '127.0.0.1', port: 7777 }, '127.0.0.1:7777').argParser(hostPort('listen')))
    .addOption(flag('join', 'list', 'host:port,... of nodes to join the cluster through').default([], 'none').argParser(hostPortList('join')))
    .addOption(flag('cluster-secret', 'secret', 'shared secret nodes prove to each other (required when --listen is not loopback); arguments show in ps: prefer the environment variable'))
    .addOption(flag('api-token', 'token', 'bearer token the gateway requires (required when --api is not loopback); an argument shows in ps: prefer the environment variable'))
    .addOption(flag('roles', 'roles', 'control, cell, or both').default(['control', 'cell'], 'control,cell').argParser(list('roles', ROLES)))
    .addOption(flag('backend', 'backend', 'container backend: process, runc or fake').default('process').argParser(oneOf('backend', BACKENDS)))
    .addOption(flag('rootfs', 'list', 'name=path list of root filesystems the cell offers (runc: e.g. busybox=DIR)').argParser(rootfsList))
    .addOption(flag('memory-mb', 'n', 'memory the cell advertises (default: measured)').argParser(count('memory-mb')))
    .addOption(flag('disk-mb', 'n', 'disk the cell advertises (default: measured)').argParser(count('disk-mb')))
    .addOption(countFlag('containers', 'containers the cell advertises', 250))
    .addOption(flag('zone', 'zone', "the cell's availability zone").default('z1'))
    .addOption(flag('placement-tags', 'list', 'tags work must desire to run on this cell').default([], 'none').argParser(list('placement-tags')))
    .addOption(flag('optional-placement-tags', 'list', 'tags work may desire').default([], 'none').argParser(list('optional-placement-tags')))
    .addOption(countFlag('convergence-interval-ms', 'convergence period', 5000))
    .addOption(countFlag('heartbeat-ms', 'cell heartbeat', 1000))
    .addOption(countFlag('cell-ttl-ms', 'a cell is gone after this long without a heartbeat', 5000))
    .addOption(countFlag('immediate-restarts', 'crashes restarted at once', 3))
    .addOption(countFlag('crash-backoff-ms', 'first crash backoff', 30_000))
    .addOption(countFlag('crash-backoff-max-ms', 'crash backoff cap', 960_000))
    .addOption(countFlag('max-restarts', 'give up after this many crashes', 200))
    .addOption(countFlag('crash-reset-ms', 'running this long resets the crash count', 300_000))
    .addOption(countFlag('graceful-stop-ms', 'TERM, then KILL after this', 10_000))
    .addOption(countFlag('unhealthy-interval-ms', 'health checks before healthy', 500))
    .addOption(countFlag('healthy-interval-ms', 'health checks once healthy', 10_000))
    .addOption(countFlag('task-retries', 'auction rejections before a task fails', 3))
    .addOption(countFlag('idle-ms', "an LRP's actors with no work in progress (an idle instance; a supervisor whose instances are all passive) are passivated, their rows kept, after this long without a message", 60_000))
    .addOption(flag('max-active-instances', 'n', "most instance actors active at once; past it the least recently used idle ones are passivated without waiting for --idle-ms").default(DEFAULT_MAX_ACTIVE_INSTANCES).argParser(countIn('max-active-instances', 1, 10_000_000)))
    .addOption(countFlag('completed-task-ttl-ms', 'unresolved completed tasks are deleted after this', 120_000))
    .addOption(flag('max-instances', 'n', `most instances one DesiredLRP may ask for (1..${MAX_INSTANCES_CEILING})`).default(DEFAULT_MAX_INSTANCES).argParser(countIn('max-instances', 1, MAX_INSTANCES_CEILING)))
    .addOption(countFlag('evacuation-timeout-ms', 'a draining cell stops waiting after this (SIGTERM drains when other cells are live)', 600_000))
    .addOption(flag('etcd', 'list', 'host:port,... of etcd: this control node joins a control group (one active, the others standbys); needs --roles control').default([], 'none').argParser(hostPortList('etcd')))
    .addOption(flag('leader-ttl-ms', 'n', "the active's lease in etcd: a standby takes over about this long after the active died; the active stops acknowledging once it could not renew it for this long").default(3000).argParser(countIn('leader-ttl-ms', 1000, 60_000)))
    .addOption(flag('sync-standbys', 'n', 'standbys that hold a write before the active acknowledges it (0: asynchronous)').default(1).argParser(countIn('sync-standbys', 0, 16)))
    .addOption(flag('replication-retain-entries', 'n', 'writes the replication log keeps for standbys catching up (control group; an entry holds one turn of writes); a standby further behind is sent a copy of the store').default(100_000).argParser(countIn('replication-retain-entries', 1, 100_000_000)))
    .addOption(flag('log-format', 'format', 'pretty (readable lines) or json (one object a line); default: pretty when stdout is a terminal, else json').argParser(oneOf('log-format', LOG_FORMATS)))
    .action(async (flags: StartFlags, command: Command) => {
      if (flags.roles.includes('control') && !isLoopback(flags.api.host) && !flags.apiToken) {
        throw invalid(`invalid field: api-token: required when --api (${flags.api.host}) is not loopback`);
      }
      if (flags.etcd.length > 0 && (flags.roles.length !== 1 || flags.roles[0] !== 'control')) {
        throw invalid(`invalid field: etcd: a member of a control group runs the control role only (--roles control), not ${flags.roles.join(',')}`);
      }
      if (!isLoopback(flags.listen.host) && !flags.clusterSecret) {
        throw invalid(`invalid field: cluster-secret: required when --listen (${flags.listen.host}) is not loopback`);
      }
      // host name + remoting port, as API.md says (the pid when the port is picked at bind time)
      flags.name ??= `${hostname()}-${flags.listen.port || process.pid}`;
      // loaded only when needed, so `auctor --help` and client commands start fast
      const { startNode } = await import('./start.js');
      const secretsOnCommandLine = SECRET_FLAGS.filter(([, key]) => command.getOptionValueSource(key) === 'cli').map(([name]) => name);
      await startNode(flags, { secretsOnCommandLine });
    });
}
