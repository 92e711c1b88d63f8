/**
 * The `fake` Garden backend: containers and processes in memory, for tests and for simulating
 * many cells in one Node process (`auctor start --backend fake`). Nothing here touches the disk
 * or the network and nothing holds a timer per container: a process runs until the test (or the
 * `onRun` answer) ends it.
 *
 * What a test can do, like Garden's own fakes:
 * - inspect: `backend.container(handle)` gives the FakeContainer; its `runs` are the processes
 *   started in it, each with the spec, the io and the env the process would see;
 * - end processes: `process.exit(code, { oom })`, write output: `process.write('stdout', line)`;
 * - answer runs automatically: `backend.onRun((spec) => ({ exitCode: 0, output: ['hi'] }))`;
 * - inject faults: `failNextCreate(err)`, `failNextRun(err)`, `failPing(err)`.
 *
 * Signals: TERM ends a process with 143 (unless its answer says `ignoreTerm`), KILL with 137,
 * INT with 130, HUP with 129, as a shell reports a signal death. `stop(kill)` records which it
 * used in `stops`.
 */
import { join } from 'node:path';
import type { Clock } from '../../base/clock.js';
import { systemClock } from '../../base/clock.js';
import type { Capacity, Container, ContainerSpec, Enforceable, GardenBackend, PortMapping, ProcessSpec } from '../backend.js';
import { containerExists, containerNotFound, unknownRootfs } from '../errors.js';
import { FakeContainer, type FakeContainerHost } from './fake-container.js';
import type { RunAnswer } from './fake-process.js';

export { FakeContainer } from './fake-container.js';
export { FakeProcess, type RunAnswer, type Signal } from './fake-process.js';

export type RunHook = (spec: ProcessSpec, container: FakeContainer) => RunAnswer | void;

/** How many destroyed handles `destroyed` remembers (a long simulation destroys many). */
const DESTROYED_KEPT = 1000;

export interface FakeBackendOptions {
  capacity?: Capacity;
  /** default `preloaded:host`, `preloaded:busybox` */
  rootfses?: string[];
  /** where `hostPath` points; the fake itself never touches it. Default `/fake-garden`. */
  dataDir?: string;
  /** first host port handed out; ports run from here to 65535. Default 61000. */
  firstPort?: number;
  /** what `enforces()` claims; default nothing (the fake holds nothing to a limit) */
  enforces?: Enforceable[];
  externalIp?: string;
  /** drives `exitAfterMs`; default the system clock */
  clock?: Clock;
}

export const DEFAULT_FAKE_CAPACITY: Capacity = { memoryMb: 8192, diskMb: 16384, containers: 250 };

export class FakeBackend implements GardenBackend, FakeContainerHost {
  readonly name = 'fake' as const;
  readonly dataDir: string;
  readonly externalIp: string;
  readonly clock: Clock;
  private readonly live = new Map<string, FakeContainer>();
  private readonly rootfsList: string[];
  private readonly enforced: Enforceable[];
  private capacityValue: Capacity;
  private readonly firstPort: number;
  private nextPort: number;
  private readonly portsInUse = new Set<number>();
  private createFault?: Error;
  private runFault?: Error;
  private pingFault?: Error;
  private runHook?: RunHook;
  private processCount = 0;
  /** handles passed to `destroy`, oldest first (the last 1000) */
  readonly destroyed: string[] = [];
  closed = false;

  constructor(options: FakeBackendOptions = {}) {
    this.capacityValue = options.capacity ?? DEFAULT_FAKE_CAPACITY;
    this.rootfsList = options.rootfses ?? ['preloaded:host', 'preloaded:busybox'];
    this.enforced = [...(options.enforces ?? [])];
    this.dataDir = options.dataDir ?? '/fake-garden';
    this.firstPort = options.firstPort ?? 61000;
    this.nextPort = this.firstPort;
    this.externalIp = options.externalIp ?? '127.0.0.1';
    this.clock = options.clock ?? systemClock;
  }

  // --- test controls ---

  /** The next `create` rejects with `error` (once). */
  failNextCreate(error: Error): void {
    this.createFault = error;
  }

  /** The next `run`, in any container, rejects with `error` (once). */
  failNextRun(error: Error): void {
    this.runFault = error;
  }

  /** `ping` rejects with `error` until called again with `undefined`. */
  failPing(error: Error | undefined): void {
    this.pingFault = error;
  }

  /** Decides how every process started from now on behaves; `undefined` leaves them running. */
  onRun(hook: RunHook | undefined): void {
    this.runHook = hook;
  }

  setCapacity(capacity: Capacity): void {
    this.capacityValue = capacity;
  }

  /** A live container, or undefined. */
  container(handle: string): FakeContainer | undefined {
    return this.live.get(handle);
  }

  /** Live containers. */
  get size(): number {
    return this.live.size;
  }

  /** Host ports held by live containers. */
  get portsHeld(): number {
    return this.portsInUse.size;
  }

  // --- GardenBackend ---

  async ping(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.pingFault) throw this.pingFault;
  }

  async capacity(signal?: AbortSignal): Promise<Capacity> {
    signal?.throwIfAborted();
    return { ...this.capacityValue };
  }

  rootfses(): string[] {
    return [...this.rootfsList];
  }

  enforces(): Enforceable[] {
    return [...this.enforced];
  }

  async create(spec: ContainerSpec, signal?: AbortSignal): Promise<Container> {
    signal?.throwIfAborted();
    const fault = this.createFault;
    if (fault) {
      this.createFault = undefined;
      throw fault;
    }
    if (this.live.has(spec.handle)) throw containerExists(spec.handle);
    if (!this.rootfsList.includes(spec.rootfs)) throw unknownRootfs(spec.rootfs, this.rootfsList);
    const ports: PortMapping[] = [];
    try {
      for (const containerPort of spec.ports ?? []) ports.push({ containerPort, hostPort: this.allocatePort() });
    } catch (error) {
      for (const { hostPort } of ports) this.portsInUse.delete(hostPort);
      throw error;
    }
    const container = new FakeContainer(this, spec, ports, join(this.dataDir, 'containers', spec.handle));
    this.live.set(spec.handle, container);
    return container;
  }

  async destroy(handle: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const container = this.live.get(handle);
    if (!container) throw containerNotFound(handle);
    this.destroyed.push(handle);
    if (this.destroyed.length > DESTROYED_KEPT) this.destroyed.shift();
    container.killAll();
    container.destroyed = true;
    for (const { hostPort } of container.ports) this.portsInUse.delete(hostPort);
    this.live.delete(handle);
  }

  async containers(filter: Record<string, string> = {}): Promise<Container[]> {
    return [...this.live.values()].filter((c) => Object.entries(filter).every(([k, v]) => c.properties[k] === v));
  }

  async lookup(handle: string): Promise<Container> {
    const container = this.live.get(handle);
    if (!container) throw containerNotFound(handle);
    return container;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // --- for FakeContainer ---

  /** @internal */
  takeRunFault(): Error | undefined {
    const fault = this.runFault;
    this.runFault = undefined;
    return fault;
  }

  /** @internal */
  answerRun(spec: ProcessSpec, container: FakeContainer): RunAnswer | void {
    return this.runHook?.(spec, container);
  }

  /** @internal */
  nextProcessId(): string {
    return `fake-process-${++this.processCount}`;
  }

  private allocatePort(): number {
    const span = 65536 - this.firstPort;
    for (let tried = 0; tried < span; tried++) {
      const port = this.nextPort;
      this.nextPort = port >= 65535 ? this.firstPort : port + 1;
      if (!this.portsInUse.has(port)) {
        this.portsInUse.add(port);
        return port;
      }
    }
    throw new Error(`fake backend: no free host port from ${this.firstPort}`);
  }
}

