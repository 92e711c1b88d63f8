/** A container of the fake backend (see fake-backend.ts). */
import { join, posix } from 'node:path';
import type { Clock } from '../../base/clock.js';
import type { Container, ContainerInfo, ContainerMetrics, ContainerSpec, PortMapping, Process, ProcessIO, ProcessSpec } from '../backend.js';
import { containerVariables, mergeEnv } from '../env.js';
import { containerNotFound } from '../errors.js';
import { FakeProcess, type RunAnswer } from './fake-process.js';

/** Exited processes a container remembers. */
const EXITED_KEPT = 100;

/** What a container needs from its backend. */
export interface FakeContainerHost {
  readonly externalIp: string;
  readonly clock: Clock;
  /** the fault injected with `failNextRun`, taken once */
  takeRunFault(): Error | undefined;
  answerRun(spec: ProcessSpec, container: FakeContainer): RunAnswer | void;
  nextProcessId(): string;
}

export class FakeContainer implements Container {
  readonly handle: string;
  readonly ports: PortMapping[];
  readonly properties: Record<string, string>;
  /** the processes started here, in order: all that run, and the last 100 that exited */
  readonly runs: FakeProcess[] = [];
  /** each `stop` call: `kill` true for KILL, false for TERM */
  readonly stops: Array<{ kill: boolean }> = [];
  state: 'active' | 'stopped' = 'active';
  destroyed = false;
  metricsValue: ContainerMetrics = { memoryBytes: 0, cpuNs: 0 };

  constructor(
    private readonly backend: FakeContainerHost,
    readonly spec: ContainerSpec,
    ports: PortMapping[],
    /** the container's fake directory on the host */
    readonly path: string,
  ) {
    this.handle = spec.handle;
    this.ports = ports;
    this.properties = { ...spec.properties };
  }

  /** The variables every process here gets before its own env (PORT, CF_INSTANCE_*, ...). */
  containerEnv(): Record<string, string> {
    return mergeEnv(containerVariables(this.spec.identity, this.ports, this.backend.externalIp), this.spec.env);
  }

  async run(spec: ProcessSpec, io: ProcessIO = {}, signal?: AbortSignal): Promise<Process> {
    signal?.throwIfAborted();
    if (this.destroyed) throw containerNotFound(this.handle);
    const fault = this.backend.takeRunFault();
    if (fault) throw fault;
    const env = mergeEnv(containerVariables(this.spec.identity, this.ports, this.backend.externalIp), this.spec.env, spec.env);
    const process = new FakeProcess(this.backend.nextProcessId(), spec, io, env, this.backend.clock);
    this.pruneExited();
    this.runs.push(process);
    const answer = this.backend.answerRun(spec, this);
    if (answer) process.follow(answer);
    return process;
  }

  processes(): Process[] {
    return [...this.runs];
  }

  /** Processes that have not exited. */
  running(): FakeProcess[] {
    return this.runs.filter((p) => !p.exited);
  }

  /** The most recent process started here. */
  get lastRun(): FakeProcess | undefined {
    return this.runs[this.runs.length - 1];
  }

  async stop(kill: boolean, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.stops.push({ kill });
    for (const p of this.running()) {
      p.deliver(kill ? 'KILL' : 'TERM');
      // the fake's grace period is zero: what ignored TERM is killed at once
      if (!p.exited) p.deliver('KILL');
    }
    this.state = 'stopped';
  }

  async info(): Promise<ContainerInfo> {
    return {
      handle: this.handle,
      state: this.state,
      path: this.path,
      externalIp: this.backend.externalIp,
      ports: this.ports.map((p) => ({ ...p })),
      memory: { limitMb: this.spec.limits?.memoryMb, enforced: false, mechanism: 'none' },
      limits: { ...this.spec.limits },
      properties: { ...this.properties },
      processes: this.running().map((p) => p.id),
      adopted: false,
    };
  }

  async metrics(): Promise<ContainerMetrics> {
    return { ...this.metricsValue };
  }

  async setProperty(name: string, value: string): Promise<void> {
    if (this.destroyed) throw containerNotFound(this.handle);
    this.properties[name] = value;
  }

  /**
   * `/x` maps to `<path>/rootfs/x` and relative paths to `<path>/rootfs/home/vcap/...`, as in
   * the process backend; `..` cannot climb out. The fake never creates these directories.
   */
  hostPath(containerPath: string): string {
    return join(this.path, 'rootfs', posix.resolve('/home/vcap', containerPath));
  }

  /** Forgets the oldest exited processes past EXITED_KEPT (a health check runs one every few seconds). */
  private pruneExited(): void {
    let exited = this.runs.filter((p) => p.exited).length;
    for (let i = 0; i < this.runs.length && exited > EXITED_KEPT; ) {
      if (this.runs[i]!.exited) {
        this.runs.splice(i, 1);
        exited--;
      } else i++;
    }
  }

  /** @internal destroy: every process is killed */
  killAll(): void {
    for (const p of this.running()) p.deliver('KILL');
  }
}

