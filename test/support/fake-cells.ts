/**
 * Fake cells for the control side's tests: each answers `state` from a configurable capacity and
 * what it was given, records every perform/stop/cancel/delete, and lets the test emit the
 * reports a real cell would (`claim`, `run`, `crash`, ...) to the control's report ref.
 */
import type { CellClient, CellReport, LrpWork, TaskWork, Work, WorkResult } from '../../src/actors/cell.protocol.js';
import type { CellCapacity, CellPresence, CellState } from '../../src/models/cell-state.js';
import { cellStateOf } from '../../src/models/cell-state.js';
import { AskTimeoutError } from '../../src/base/errors.js';

export const FAKE_ROOTFS = 'preloaded:cflinuxfs4';

export function fakePresence(cell_id: string, capacity: Partial<CellCapacity> = {}, zone = 'z1'): CellPresence {
  return {
    cell_id,
    rep_address: `${cell_id}.test:1801`,
    rep_url: `http://${cell_id}.test:1800`,
    zone,
    capacity: { memory_mb: 4096, disk_mb: 16384, containers: 100, ...capacity },
    rootfs_providers: [FAKE_ROOTFS, 'docker'],
    placement_tags: [],
    optional_placement_tags: [],
  };
}

export class FakeCell implements CellClient {
  /** instances given to this cell and not stopped, by instance guid */
  readonly lrps = new Map<string, LrpWork>();
  readonly tasks = new Map<string, TaskWork>();
  readonly performs: Work[] = [];
  readonly stops: Array<{ process_guid: string; index: number; instance_guid: string }> = [];
  readonly cancels: string[] = [];
  readonly deletes: string[] = [];
  /** when set, `state` rejects (a cell that does not answer) */
  unreachable = false;
  /** when set, `state` answers only once it resolves (a slow cell: an auction round waits on it) */
  stateGate: Promise<void> | undefined;
  /** work the next perform refuses, by instance guid or task guid, with the reason */
  refuse = new Map<string, string>();

  constructor(readonly presence: CellPresence, private readonly send: (report: CellReport) => void) {}

  get cellId(): string {
    return this.presence.cell_id;
  }

  heartbeat(): void {
    this.send({ type: 'cell-report/heartbeat', presence: this.presence });
  }

  async state(timeoutMs: number): Promise<CellState> {
    if (this.unreachable) throw new AskTimeoutError(this.cellId, timeoutMs);
    await this.stateGate;
    return cellStateOf(this.presence, {
      lrps: [...this.lrps.values()].map((w) => ({ process_guid: w.desired.process_guid, index: w.index, memory_mb: w.desired.memory_mb, disk_mb: w.desired.disk_mb })),
      tasks: [...this.tasks.values()].map((w) => ({ task_guid: w.task.task_guid, memory_mb: w.task.memory_mb, disk_mb: w.task.disk_mb })),
    });
  }

  async perform(work: Work, timeoutMs: number): Promise<WorkResult> {
    if (this.unreachable) throw new AskTimeoutError(this.cellId, timeoutMs);
    this.performs.push(work);
    const result: WorkResult = { failedLrps: [], failedTasks: [] };
    for (const w of work.lrps) {
      const reason = this.refuse.get(w.instance_guid);
      if (reason) result.failedLrps.push({ process_guid: w.desired.process_guid, index: w.index, instance_guid: w.instance_guid, reason });
      else this.lrps.set(w.instance_guid, w);
    }
    for (const w of work.tasks) {
      const reason = this.refuse.get(w.task.task_guid);
      if (reason) result.failedTasks.push({ task_guid: w.task.task_guid, reason });
      else this.tasks.set(w.task.task_guid, w);
    }
    return result;
  }

  stopInstance(process_guid: string, index: number, instance_guid: string): void {
    this.stops.push({ process_guid, index, instance_guid });
    this.lrps.delete(instance_guid);
  }

  cancelTask(task_guid: string): void {
    this.cancels.push(task_guid);
  }

  deleteTask(task_guid: string): void {
    this.deletes.push(task_guid);
    this.tasks.delete(task_guid);
  }

  /** how many times it was told to evacuate */
  evacuations = 0;

  /** Marks the presence evacuating (its state follows, so the auction skips it); reports nothing by itself: see `evacuating`. */
  async evacuate(timeoutMs: number): Promise<CellPresence> {
    if (this.unreachable) throw new AskTimeoutError(this.cellId, timeoutMs);
    this.evacuations++;
    this.presence.evacuating = true;
    return { ...this.presence };
  }

  /** The instance this cell holds for `process_guid`/`index`. */
  instance(process_guid: string, index: number): LrpWork | undefined {
    return [...this.lrps.values()].find((w) => w.desired.process_guid === process_guid && w.index === index);
  }

  private key(w: LrpWork) {
    return { cell_id: this.cellId, process_guid: w.desired.process_guid, index: w.index, instance_guid: w.instance_guid };
  }

  /** instance guids already reported running */
  readonly started = new Set<string>();

  /** Reports every instance it holds and has not started yet claimed, then running, with an address and a port each. */
  startAll(): void {
    for (const w of this.lrps.values()) {
      if (this.started.has(w.instance_guid)) continue;
      this.claim(w);
      this.run(w);
    }
  }

  claim(w: LrpWork): void {
    this.send({ type: 'cell-report/lrp-claimed', ...this.key(w) });
  }

  /** where each instance reported running answers */
  private readonly net = new Map<string, { address: string; ports: Array<{ container_port: number; host_port: number }> }>();

  run(w: LrpWork, host_port = 61000 + w.index): void {
    this.runUnreported(w, host_port);
    this.send({ type: 'cell-report/lrp-running', ...this.key(w), ...this.net.get(w.instance_guid)! });
  }

  /** The instance runs, but its `lrp-running` report is lost (sent to a control node that died). */
  runUnreported(w: LrpWork, host_port = 61000 + w.index): void {
    this.started.add(w.instance_guid);
    this.net.set(w.instance_guid, { address: `10.0.0.${this.cellId.length}`, ports: [{ container_port: 8080, host_port }] });
  }

  crash(w: LrpWork, reason = 'exited with status 1'): void {
    this.lrps.delete(w.instance_guid);
    this.send({ type: 'cell-report/lrp-crashed', ...this.key(w), reason });
  }

  stopped(w: LrpWork): void {
    this.lrps.delete(w.instance_guid);
    this.send({ type: 'cell-report/lrp-stopped', ...this.key(w) });
  }

  /**
   * Reports every container it holds (`cell-report/containers`), as a cell's reconcile tick does:
   * instances reported running are RUNNING with their address and ports, the others CLAIMED;
   * tasks RUNNING.
   */
  reportContainers(): void {
    this.send({
      type: 'cell-report/containers',
      cell_id: this.cellId,
      containers: [
        ...[...this.lrps.values()].map((w) => ({
          kind: 'lrp' as const, process_guid: w.desired.process_guid, index: w.index, instance_guid: w.instance_guid,
          ...(this.started.has(w.instance_guid) ? { state: 'RUNNING' as const, ...this.net.get(w.instance_guid) } : { state: 'CLAIMED' as const }),
        })),
        ...[...this.tasks.keys()].map((task_guid) => ({ kind: 'task' as const, task_guid, state: 'RUNNING' as const })),
      ],
    });
  }

  /** how often the control side asked this cell to list its containers (`reconcile`) */
  reconcileRequests = 0;
  /** whether such a request makes it list them (off by default: tests list by hand) */
  answersReconcile = false;

  reconcile(): void {
    this.reconcileRequests++;
    if (this.answersReconcile) this.reportContainers();
  }

  /** Reports the instance `lrp-evacuating`, as a draining cell does. */
  evacuating(w: LrpWork): void {
    this.send({ type: 'cell-report/lrp-evacuating', ...this.key(w) });
  }

  startTask(task_guid: string): void {
    this.send({ type: 'cell-report/task-started', cell_id: this.cellId, task_guid });
  }

  completeTask(task_guid: string, outcome: { failed?: boolean; failure_reason?: string; result?: string } = {}): void {
    this.send({ type: 'cell-report/task-completed', cell_id: this.cellId, task_guid, failed: outcome.failed ?? false, failure_reason: outcome.failure_reason ?? '', result: outcome.result ?? '' });
  }
}

/** A set of fake cells and the `clientFor` the control side is given. */
export class FakeCells {
  readonly cells = new Map<string, FakeCell>();
  private send: (report: CellReport) => void = () => undefined;

  /** Where the cells' reports go (the control's report ref, once it exists). */
  connect(send: (report: CellReport) => void): void {
    this.send = send;
  }

  add(cell_id: string, capacity: Partial<CellCapacity> = {}, zone = 'z1'): FakeCell {
    const cell = new FakeCell(fakePresence(cell_id, capacity, zone), (r) => this.send(r));
    this.cells.set(cell_id, cell);
    return cell;
  }

  get(cell_id: string): FakeCell {
    const cell = this.cells.get(cell_id);
    if (!cell) throw new Error(`no fake cell ${cell_id}`);
    return cell;
  }

  readonly clientFor = (cellId: string): CellClient | undefined => this.cells.get(cellId);

  heartbeatAll(): void {
    for (const cell of this.cells.values()) cell.heartbeat();
  }

  /** Every instance any cell holds. */
  allInstances(): LrpWork[] {
    return [...this.cells.values()].flatMap((c) => [...c.lrps.values()]);
  }

  allStops(): Array<{ process_guid: string; index: number; instance_guid: string }> {
    return [...this.cells.values()].flatMap((c) => c.stops);
  }

  cellOf(instance_guid: string): FakeCell | undefined {
    return [...this.cells.values()].find((c) => c.lrps.has(instance_guid));
  }
}
