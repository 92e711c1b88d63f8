/**
 * One runc container: a bundle directory (`config.json`, `container.json` (what adoption needs),
 * `home/` and `tmp/` (bound at /home/vcap and /tmp), `processes/<id>/`, `init.log`), a runc
 * container running a do-nothing init, host ports, and kept processes (`runc exec`s).
 *
 * Stop ends every process in the container but its init: TERM to all of them, KILL to what is
 * left after the grace period (or at once). The init keeps the container's namespaces, so the
 * container can run processes again after a stop; only destroy (`runc delete --force`) ends it.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../base/logger.js';
import { AuctorError } from '../../base/errors.js';
import type {
  Container, ContainerInfo, ContainerMetrics, ContainerSpec, Enforceable,
  EnvVar, MemoryLimitInfo, PortMapping, Process, ProcessIO, ProcessSpec,
} from '../backend.js';
import { writeFileAtomic } from '../atomic-file.js';
import { containerVariables, mergeEnv } from '../env.js';
import { killKeepersUnder } from '../keeper/find-keepers.js';
import { KeptProcess } from '../keeper/kept-process.js';
import type { DamagedFile } from '../records.js';
import { IgnoredFields } from '../ignored-fields.js';
import type { ContainerCgroup } from './container-cgroup.js';
import { hostPathIn, insidePath, writable } from './container-paths.js';
import { DEFAULT_PATH, HOME, TMP, ociProcess, type OciConfig } from './oci-config.js';
import { lastLine, type Runc } from './runc-cli.js';
import { PID_FILE, RuncProcess, processGroupOf, startTimeOf } from './runc-process.js';
import { delay, waitUntil } from '../wait.js';
import { OutputGate } from './output-gate.js';

/** Exited processes kept per container (their directories too); older ones are pruned. */
const KEEP_EXITED = 10;
/** How long runc may take to start a process before run() gives up on it. */
const START_TIMEOUT_MS = 15_000;
/** After the KILL, how long runc exec gets to report before its keeper is KILLed too. */
const EXIT_TIMEOUT_MS = 3_000;

/** What container.json holds. */
export interface ContainerRecord {
  spec: ContainerSpec;
  ports: PortMapping[];
  memory: MemoryLimitInfo;
  properties: Record<string, string>;
  createdAt: number;
}

export interface RuncContainerDeps {
  /** the bundle directory */
  dir: string;
  runc: Runc;
  cgroup: ContainerCgroup;
  externalIp: string;
  gracefulStopMs: number;
  /** what the backend enforces: the rest of a spec is named once in the log as ignored */
  enforces: Enforceable[];
  logger?: Logger;
}

export class RuncContainer implements Container {
  readonly handle: string;
  private readonly procs = new Map<string, RuncProcess>();
  private destroyed = false;
  private init: { pid: number; startTime: string | null } | undefined;
  private readonly ignored: IgnoredFields;

  constructor(
    private readonly record: ContainerRecord,
    private readonly deps: RuncContainerDeps,
    readonly adopted: boolean,
  ) {
    this.handle = record.spec.handle;
    this.ignored = new IgnoredFields(deps.enforces);
  }

  /** Writes the bundle and starts the container's init. Leaves cleaning up a failure to the caller. */
  static async make(record: ContainerRecord, deps: RuncContainerDeps, config: OciConfig): Promise<RuncContainer> {
    const container = new RuncContainer(record, deps, false);
    mkdirSync(join(deps.dir, 'home'), { recursive: true });
    mkdirSync(join(deps.dir, 'tmp'), { recursive: true });
    chmodSync(join(deps.dir, 'tmp'), 0o1777);
    mkdirSync(join(deps.dir, 'processes'), { recursive: true });
    writeFileAtomic(join(deps.dir, 'config.json'), JSON.stringify(config, null, 2));
    // the record goes first: a cell that dies from here on leaves something adoption recognises
    container.save();
    const log = join(deps.dir, 'init.log');
    try {
      await deps.runc.run(record.spec.handle, deps.dir, log);
    } catch (error) {
      const why = existsSync(log) ? lastLine(readFileSync(log, 'utf8')) : '';
      throw new Error(`runc could not start container ${record.spec.handle}: ${why || (error as Error).message}`);
    }
    const state = await deps.runc.state(record.spec.handle);
    if (state?.status !== 'running') throw new Error(`runc container ${record.spec.handle} is ${state?.status ?? 'gone'} right after its start`);
    container.adoptInit(state.pid);
    return container;
  }

  /** The init a running runc container has (from `runc state`/`runc list`). */
  adoptInit(pid: number): void {
    this.init = { pid, startTime: startTimeOf(pid) };
  }

  /**
   * Takes over the processes a previous run of the backend left in the container; one never
   * recorded is stopped and forgotten. Answers the first record that cannot be read: the
   * container cannot be followed whole then, and the caller gives it up (after `release`).
   */
  adoptProcesses(): DamagedFile | undefined {
    const dir = join(this.deps.dir, 'processes');
    for (const id of existsSync(dir) ? readdirSync(dir) : []) {
      const adoption = KeptProcess.adopt(join(dir, id), { oomKills: this.deps.cgroup.oomKills, onDamaged: this.onDamaged });
      if (adoption.kind === 'damaged') return adoption.damaged;
      if (adoption.kind === 'unrecorded') {
        // the cell died between starting it and recording it: runc exec (and what it started) goes
        if (killKeepersUnder(join(dir, id))) this.deps.logger?.warn({ handle: this.handle, process: id }, 'garden.unrecorded-process-stopped');
        rmSync(join(dir, id), { recursive: true, force: true });
        continue;
      }
      const kept = adoption.process;
      this.procs.set(kept.id, new RuncProcess(kept, join(dir, id), () => this.otherPids()));
      void kept.wait().then(() => this.prune());
    }
    return undefined;
  }

  get ports(): PortMapping[] {
    return this.record.ports;
  }

  async run(spec: ProcessSpec, io?: ProcessIO, signal?: AbortSignal): Promise<Process> {
    signal?.throwIfAborted();
    if (this.destroyed) throw new AuctorError('InvalidStateTransition', `container ${this.handle} is being destroyed`);
    const ignored = this.ignored.unnamed(this.record.spec, spec);
    if (ignored.length) this.deps.logger?.info({ handle: this.handle, fields: ignored }, 'garden.fields-ignored');
    const cwd = insidePath(spec.dir ?? HOME);
    if (writable(cwd)) mkdirSync(this.hostPath(cwd), { recursive: true });
    const id = randomUUID();
    const dir = join(this.deps.dir, 'processes', id);
    mkdirSync(dir, { recursive: true });
    const env = mergeEnv(
      BASE_ENV,
      containerVariables(this.record.spec.identity, this.record.ports, this.deps.externalIp),
      this.record.spec.env,
      spec.env,
    );
    // a file, not --env flags: the values (secrets, often) stay out of the host's process list
    const processFile = join(dir, 'runc-process.json');
    const oci = ociProcess({ args: [spec.path, ...(spec.args ?? [])], env: Object.entries(env).map(([k, v]) => `${k}=${v}`), cwd, nofile: spec.limits?.nofile });
    writeFileAtomic(processFile, JSON.stringify(oci), { mode: 0o600 });
    // runc's own error, should it fail to start the process, is no output of the app's
    const gate = io?.onOutput ? new OutputGate(io) : undefined;
    const kept = await KeptProcess.start({
      id,
      dir,
      argv: this.deps.runc.execArgv(this.handle, processFile, join(dir, PID_FILE)),
      cwd: this.deps.dir,
      env: { PATH: process.env.PATH ?? '' },
      ...(gate ? { io: gate.io } : io ? { io } : {}),
      oomKills: this.deps.cgroup.oomKills,
      onDamaged: this.onDamaged,
    });
    const proc = new RuncProcess(kept, dir, () => this.otherPids());
    // started once runc has written its pid; runc exec ends at once when it cannot start it
    await waitUntil(() => proc.hostPid() !== undefined || kept.exitStatus !== undefined, START_TIMEOUT_MS, signal);
    if (proc.hostPid() === undefined || signal?.aborted) {
      // not started, or no longer wanted: nothing of it stays
      await proc.signal('KILL');
      await kept.wait();
      const why = lastLine(readFileSync(join(dir, 'stderr.log'), 'utf8'));
      rmSync(dir, { recursive: true, force: true });
      signal?.throwIfAborted();
      throw new Error(`failed to start ${spec.path} in container ${this.handle}: ${why || 'runc exec did not start it'}`);
    }
    gate?.open();
    this.procs.set(id, proc);
    void kept.wait().then(() => this.prune());
    return proc;
  }

  processes(): Process[] {
    return [...this.procs.values()].filter((p) => !p.exitStatus);
  }

  async stop(kill: boolean, signal?: AbortSignal): Promise<void> {
    const live = [...this.procs.values()].filter((p) => !p.exitStatus);
    const all = Promise.all(live.map((p) => p.wait()));
    if (!kill) {
      this.signalAll('SIGTERM');
      await waitUntil(() => live.every((p) => p.exitStatus) && this.otherPids().length === 0, this.deps.gracefulStopMs, signal);
    }
    // everything but the init, wherever it is in the process tree; the loop catches late forks
    await waitUntil(() => this.signalAll('SIGKILL') === 0, EXIT_TIMEOUT_MS);
    const reported = await Promise.race([all.then(() => true), delay(EXIT_TIMEOUT_MS).then(() => false)]);
    if (!reported) {
      this.deps.logger?.warn({ handle: this.handle }, 'garden.runc-exec-did-not-exit');
      // nothing runs in the container: what is left is runc exec or its keeper hanging
      await Promise.all(live.filter((p) => !p.exitStatus).map((p) => p.kept.signal('KILL')));
      await all;
    }
  }

  /** Stops following the processes, which keep running for the next backend to adopt. */
  async release(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.release()));
  }

  /** KILLs everything, deletes the runc container (its cgroups too) and the bundle. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.stop(true);
    await this.deps.runc.delete(this.handle);
    const { cgroup } = this.deps;
    await waitUntil(() => {
      cgroup.remove();
      return cgroup.leftovers().length === 0;
    }, 2000);
    rmSync(this.deps.dir, { recursive: true, force: true });
  }

  async info(): Promise<ContainerInfo> {
    const live = this.processes();
    return {
      handle: this.handle,
      // as the process backend: active while a process runs in it
      state: !this.destroyed && this.initAlive() && live.length > 0 ? 'active' : 'stopped',
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
    return { memoryBytes: this.deps.cgroup.memoryBytes(), cpuNs: this.deps.cgroup.cpuNs() };
  }

  async setProperty(name: string, value: string): Promise<void> {
    this.record.properties[name] = value;
    this.save();
  }

  /** Only /home/vcap and /tmp are the container's own: other paths are refused. */
  hostPath(containerPath: string): string {
    return hostPathIn(this.deps.dir, containerPath);
  }

  /**
   * Container processes but the init and its `sleep`: those in the init's process group. No
   * other process can be in it: each `runc exec` starts a session of its own, and a process
   * can only join a group of its own session.
   */
  private otherPids(): number[] {
    const init = this.init?.pid;
    return this.deps.cgroup.pids().filter((pid) => pid !== init && (init === undefined || processGroupOf(pid) !== init));
  }

  /** Sends `sig` to every process but the init; returns how many there were. */
  private signalAll(sig: NodeJS.Signals): number {
    const pids = this.otherPids();
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // exited meanwhile
      }
    }
    return pids.length;
  }

  private initAlive(): boolean {
    return this.init !== undefined && this.init.startTime !== null && startTimeOf(this.init.pid) === this.init.startTime;
  }

  /** A file of a process could not be read (offsets, exit status): it is treated as absent. */
  private readonly onDamaged = (damaged: DamagedFile) => this.deps.logger?.warn({ handle: this.handle, ...damaged }, 'garden.damaged-file');

  private save(): void {
    writeFileAtomic(join(this.deps.dir, 'container.json'), JSON.stringify(this.record));
  }

  private prune(): void {
    const exited = [...this.procs.values()].filter((p) => p.exitStatus);
    for (const old of exited.slice(0, Math.max(0, exited.length - KEEP_EXITED))) {
      this.procs.delete(old.id);
      rmSync(join(this.deps.dir, 'processes', old.id), { recursive: true, force: true });
    }
  }
}

/** What every process starts from, before the container's variables. */
const BASE_ENV: EnvVar[] = [
  { name: 'PATH', value: DEFAULT_PATH },
  { name: 'HOME', value: HOME },
  { name: 'TMPDIR', value: TMP },
];
