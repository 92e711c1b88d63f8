/**
 * The control role's subtree (DESIGN.md "The supervision tree"): `control` routes the cells'
 * reports and supervises cells, auctioneer, lrps (and tasks, domains, convergence when present);
 * `Control` is the API the gateway calls.
 *
 * The subtree is spawned under `control` at start and respawned by `control` itself should one
 * of its children be gone when a message arrives (refs are paths, so callers keep theirs).
 */
import { refPath, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import { oneForOne } from '../runtime/kernel/supervision.js';
import type { CellClient, CellReport } from './cell.protocol.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { CellPresence } from '../models/cell-state.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { AuctorError, failed, ok, type Result } from '../base/errors.js';
import { spawnAuctioneer } from './auctioneer.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import { spawnCells } from './cells.js';
import { CellsMsg, type CellView } from './cells.protocol.js';
import { controlSettings, defaultGuid, type ControlDeps, type ControlSettings } from './control-deps.js';
import { EventHub } from './event-hub.js';
import { NO_CONTROL_METRICS, type ControlMetrics } from './control-metrics.js';
import { routeCellReport } from './control-reports.js';
import { spawnLrps } from './lrps.js';
import { LrpRoutes } from './lrps-routes.js';
import { LrpsMsg, type ActualLrpFilter, type DesiredLrpFilter } from './lrps.protocol.js';
import { spawnTasks } from './tasks.js';
import { spawnDomains } from './domains.js';
import { DomainsMsg } from './domains.protocol.js';
import { spawnConvergence } from './convergence.js';
import { ConvergenceMsg, type ConvergenceReport } from './convergence.protocol.js';
import type { DomainRecord } from '../models/domain.js';
import { TasksMsg, type TaskFilter } from './tasks.protocol.js';
import { quarantinedRecords, type QuarantinedRecord } from './quarantined-records.js';
import type { Task } from '../models/task.js';
import { ListsSetAside } from './lists-set-aside.js';
import { QueryIndex, type UnreadableKind } from './query-index.js';
import { askUnreadable } from './query-index-unreadable.js';
import { loadQueryIndex } from './query-index-rebuild.js';
import { PlacementExplanations } from './placement-explanations.js';
import { ControlInspection } from './control-inspection.js';

export interface ControlOptions {
  clientFor: (cellId: string) => CellClient | undefined;
  events?: EventHub;
  settings?: Partial<ControlSettings>;
  newGuid?: () => string;
  /** where the actors report auctions, convergence and cells (docs/033-metrics.md); default none */
  metrics?: ControlMetrics;
  /** what a convergence pass awaits between its slices (default: the event loop's next turn) */
  betweenSlices?: () => Promise<void>;
  /** the control actor's name; default `control` */
  name?: string;
  /** control's own policy (the parent's say); default the kernel's oneForOne */
  onCrash?: CrashPolicy;
}

export interface ControlRefs {
  cells: Ref<CellsMsg>;
  auctioneer: Ref<AuctioneerMsg>;
  lrps: Ref<LrpsMsg>;
  tasks: Ref<TasksMsg>;
  domains: Ref<DomainsMsg>;
  convergence: Ref<ConvergenceMsg>;
}

export type ControlMsg = CellReport;

export class Control {
  constructor(
    readonly system: ActorSystem,
    /** where cells send their reports */
    readonly reports: Ref<CellReport>,
    readonly refs: ControlRefs,
    readonly events: EventHub,
    readonly settings: ControlSettings,
    private readonly clientFor: (cellId: string) => CellClient | undefined,
    /** what listings read: no supervisor, instance or task actor is asked (query-index.ts) */
    readonly queries: QueryIndex,
    /** the latest placement failure of each unplaced instance and task (auction-round.ts) */
    readonly placements: PlacementExplanations,
  ) {
    this.inspect = new ControlInspection(queries, placements, system.engine, settings, (kinds) => this.indexed(kinds));
  }

  /** Placement explanations and instance timelines, for the console (control-inspection.ts). */
  readonly inspect: ControlInspection;

  /** the subtree's recovery was waited for once (QueryIndex.recovered) */
  private recovered = false;

  private ask<M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M): Promise<R> {
    return this.system.query<M, R>(ref, make, this.settings.askTimeoutMs);
  }

  /** Validates and stores a DesiredLRP (parsed JSON); ok only once durable. */
  desireLrp(input: unknown): Promise<Result<DesiredLRP>> {
    return this.ask(this.refs.lrps, (r: Ref<Result<DesiredLRP>>) => LrpsMsg.desire(input, r));
  }

  /** A `PATCH`: instances, routes, annotation, metric_tags. */
  updateLrp(processGuid: string, input: unknown): Promise<Result<DesiredLRP>> {
    return this.ask(this.refs.lrps, (r: Ref<Result<DesiredLRP>>) => LrpsMsg.update(processGuid, input, r));
  }

  /**
   * Stops every instance and forgets the LRP. A quarantined one (value undefined) is forgotten
   * with its journals; its instances are stopped when their cells next report them.
   */
  removeLrp(processGuid: string): Promise<Result<DesiredLRP | undefined>> {
    // stopping instances asks each one in turn; give it the time of two asks
    return this.system.query<LrpsMsg, Result<DesiredLRP | undefined>>(this.refs.lrps, (r) => LrpsMsg.remove(processGuid, r), this.settings.askTimeoutMs * 2);
  }

  /** Undefined when unknown; rejects with `ResourceQuarantined` for a quarantined one. */
  getLrp(processGuid: string): Promise<DesiredLRP | undefined> {
    return this.ask(this.refs.lrps, (r: Ref<DesiredLRP | undefined>) => LrpsMsg.get(processGuid, r));
  }

  /** Waits for the index's rebuild, then asks the actors of the records it could not read (only those). */
  private async indexed(kinds: readonly UnreadableKind[]): Promise<void> {
    await this.queries.ready;
    if (!this.recovered) {
      // real time, as the asks `lrps/init` waits for: a listing never waits longer than one ask
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.queries.recovered, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.askTimeoutMs).unref()))]);
      clearTimeout(timer);
      this.recovered = true;
    }
    await askUnreadable({ system: this.system, lrps: this.refs.lrps, tasks: this.refs.tasks, queries: this.queries, askTimeoutMs: this.settings.askTimeoutMs }, kinds);
  }

  /** The DesiredLRPs sorted by process guid, from the query index (no actor is asked). */
  async lrps(filter: DesiredLrpFilter = {}): Promise<DesiredLRP[]> {
    await this.indexed(['lrp']);
    return this.queries.desiredLrps(filter);
  }

  /** The ActualLRP rows (every presence), from the query index: no instance actor is asked or woken. */
  async actualLrps(filter: ActualLrpFilter = {}): Promise<ActualLRP[]> {
    await this.indexed(['lrp', 'instances']);
    return this.queries.actualLrps(filter);
  }

  /** Validates and stores a Task (parsed JSON); ok only once durable. It is auctioned at once. */
  desireTask(input: unknown): Promise<Result<Task>> {
    return this.ask(this.refs.tasks, (r: Ref<Result<Task>>) => TasksMsg.desire(input, r));
  }

  /** PENDING or RUNNING → COMPLETED, failed `task was cancelled` (the cell is told to stop it). */
  cancelTask(taskGuid: string): Promise<Result<Task>> {
    return this.ask(this.refs.tasks, (r: Ref<Result<Task>>) => TasksMsg.cancel(taskGuid, r));
  }

  /**
   * The client took the result: a COMPLETED (or RESOLVING) task is deleted. A quarantined one
   * (value undefined) is deleted with its journal, whatever its state.
   */
  resolveTask(taskGuid: string): Promise<Result<Task | undefined>> {
    return this.ask(this.refs.tasks, (r: Ref<Result<Task | undefined>>) => TasksMsg.resolve(taskGuid, r));
  }

  /** Undefined when unknown; rejects with `ResourceQuarantined` for a quarantined one. */
  getTask(taskGuid: string): Promise<Task | undefined> {
    return this.ask(this.refs.tasks, (r: Ref<Task | undefined>) => TasksMsg.get(taskGuid, r));
  }

  /** The Tasks by creation, from the query index (no task actor is asked). */
  async tasks(filter: TaskFilter = {}): Promise<Task[]> {
    await this.indexed(['task']);
    return this.queries.tasks(filter);
  }

  /** Marks a domain fresh for `{ttl}` seconds (0 or absent = forever). */
  upsertDomain(domain: string, body: unknown): Promise<Result<DomainRecord>> {
    return this.ask(this.refs.domains, (r: Ref<Result<DomainRecord>>) => DomainsMsg.upsert(domain, body, r));
  }

  /** The fresh domains, sorted. */
  domains(): Promise<string[]> {
    return this.ask(this.refs.domains, DomainsMsg.fresh);
  }

  /** Runs one convergence pass now and answers once its plans were handed out. */
  converge(): Promise<ConvergenceReport> {
    return this.ask(this.refs.convergence, (r: Ref<ConvergenceReport>) => ConvergenceMsg.run(r));
  }

  /** The live cells' presences. */
  cells(): Promise<CellPresence[]> {
    return this.ask(this.refs.cells, CellsMsg.list);
  }

  /** The live cells with their current state (capacity, available resources, what they hold); a cell that does not answer in time has none. */
  async cellViews(): Promise<CellView[]> {
    const presences = await this.cells();
    return Promise.all(presences.map(async (presence): Promise<CellView> => {
      const client = this.clientFor(presence.cell_id);
      const state = client && (await client.state(this.settings.cellStateTimeoutMs).catch(() => undefined));
      return state ? { presence, state } : { presence };
    }));
  }

  /**
   * `DELETE /v1/actual_lrps/:guid/index/:index`: stops that instance and drops its row. The
   * supervisor keeps one actor per desired index, so a fresh UNCLAIMED row replaces it at once
   * (Diego leaves that to the next convergence pass).
   */
  retireActualLrp(processGuid: string, index: number): Promise<Result<ActualLRP | undefined>> {
    return this.ask(this.refs.lrps, (r: Ref<Result<ActualLRP | undefined>>) => LrpsMsg.retire(processGuid, index, r));
  }

  /**
   * The records whose actor was quarantined (`GET /v1/quarantine`), read from the kernel's
   * registry without asking any actor, so it answers whatever state the actors are in.
   */
  quarantined(): QuarantinedRecord[] {
    return quarantinedRecords(this.system);
  }

  /**
   * `POST /v1/cells/:cell_id/evacuate` (Diego's rep `POST /evacuate`): tells a live cell to drain.
   * Answers the cell's presence (`evacuating: true`) once the cell has accepted (the gateway's
   * 202), not once it is drained. ResourceNotFound for a cell the registry does not list;
   * Unavailable when the cell does not answer within `askTimeoutMs`.
   */
  async evacuateCell(cellId: string): Promise<Result<CellPresence>> {
    const live = (await this.cells()).some((c) => c.cell_id === cellId);
    const client = live ? this.clientFor(cellId) : undefined;
    if (!client) return failed(new AuctorError('ResourceNotFound', `cell not found: ${cellId}`));
    try {
      return ok(await client.evacuate(this.settings.askTimeoutMs));
    } catch (error) {
      return failed(new AuctorError('Unavailable', `cell ${cellId} did not accept the evacuation: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  /** Sends `control` a report as a cell would (the local path; remoting uses `reports`). */
  report(report: CellReport): void {
    this.system.dispatch(this.reports, report);
  }
}

/** Spawns the control subtree under `parent` (default the system root) and returns its API. */
export function startControl(system: ActorSystem, options: ControlOptions, parent: AnyRef = system.root): Control {
  const settings = controlSettings(options.settings);
  const events = options.events ?? new EventHub();
  // subscribed before any actor runs, so no change is missed; rebuilt from the journals at once
  const queries = new QueryIndex();
  events.events$.subscribe((event) => queries.onEvent(event));
  const placements = new PlacementExplanations();
  events.events$.subscribe((event) => placements.onEvent(event));
  const engine = system.engine;
  if (engine) void queries.rebuild((index) => loadQueryIndex(engine, index, settings.maxInstances));
  const deps: ControlDeps = { events, clientFor: options.clientFor, newGuid: options.newGuid ?? defaultGuid, settings, metrics: options.metrics ?? NO_CONTROL_METRICS, queries, placements,
    listsSetAside: new ListsSetAside(queries, options.clientFor),
    ...(options.betweenSlices ? { betweenSlices: options.betweenSlices } : {}) };
  /**
   * Spawns the subtree under `self`: at start, and again when `control` itself is restarted (a
   * restart stops the children first). Refs are paths, so the ones handed out stay valid.
   */
  const spawnSubtree = (self: AnyRef): ControlRefs => {
    // control's children share one policy: 10 restarts in 10 s among them, then control
    // escalates to its own parent (OTP's one_for_one with intensity)
    const policy = oneForOne(system.clock, settings.controlIntensity);
    const cells = spawnCells(system, self, deps, policy);
    const auctioneer = spawnAuctioneer(system, self, cells, deps, policy);
    // reports and lists go to the supervisors by path, not through `lrps`' mailbox (lrps-routes.ts)
    lrpRoutes = new LrpRoutes(system, deps);
    const lrps = spawnLrps(system, self, auctioneer, deps, policy, lrpRoutes);
    system.dispatch(lrps, LrpsMsg.init());
    const tasks = spawnTasks(system, self, auctioneer, deps, policy);
    system.dispatch(tasks, TasksMsg.init());
    const domains = spawnDomains(system, self, policy);
    const convergence = spawnConvergence(system, self, { cells, domains, lrps, tasks }, deps, policy);
    return { cells, auctioneer, lrps, tasks, domains, convergence };
  };

  let refs: ControlRefs | undefined;
  let lrpRoutes: LrpRoutes | undefined;
  const control = system.spawn<ControlRefs, ControlMsg>(parent, {
    kind: 'control',
    name: options.name ?? 'control',
    ...(options.onCrash ? { onCrash: options.onCrash } : {}),
    initialState: (ctx) => (refs = spawnSubtree(ctx.self)),
    // a cell's presence heartbeat goes to `cells` as it arrives, never behind a long mailbox of
    // reports: waiting there past cellTtlMs made live cells disappear (issue 14, 50k instances)
    onArrival: (msg) => {
      if (msg.type !== 'cell-report/heartbeat' || !refs) return false;
      system.dispatch(refs.cells, CellsMsg.heartbeat(msg.presence));
      return true;
    },
    handle: (r, msg, ctx) => {
      routeCellReport(system, r, lrpRoutes, msg, ctx.log);
      return r;
    },
  });
  if (!refs) throw new Error('control: the subtree was not spawned');
  // quarantined records are skipped, as the registries skipped them when listings asked them
  const lrpsPath = refPath(refs.lrps);
  const tasksPath = refPath(refs.tasks);
  queries.setQuarantineView({
    lrp: (guid) => system.registry.quarantinedChildren(lrpsPath).has(guid),
    instance: (guid, index) => system.registry.quarantinedChildren(`${lrpsPath}/${guid}`).has(String(index)),
    task: (guid) => system.registry.quarantinedChildren(tasksPath).has(guid),
  });
  return new Control(system, control, refs, events, settings, options.clientFor, queries, placements);
}
