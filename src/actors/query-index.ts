/**
 * The control's query index (issue 14, "Queries from an index"): the DesiredLRPs, ActualLRP rows
 * and Tasks as they were last made durable, kept in memory so that listings (`GET
 * /v1/desired_lrps`, `/v1/actual_lrps`, `/v1/tasks`, the router's snapshot, the metrics' counts)
 * never ask, or wake, the supervisor, instance and task actors.
 *
 * Fed by the EventHub: every change is published there with its before/after right after it is
 * durable, in the same turn, so a listing after a 2xx shows it. Each event sets or clears whole
 * slots (an index's ORDINARY, SUSPECT or EVACUATING row; a DesiredLRP; a Task), so replaying a
 * suffix of the events over any earlier state gives the latest one: that is what lets the
 * rebuild after a restart (query-index-rebuild.ts) read LMDB while the actors already write,
 * and apply what was published meanwhile afterwards.
 *
 * The LRPs are kept in the order of `lrps`' registry (a plain object, so the order of its keys
 * is the registry's own), which is the order actuals were listed in when asked of each
 * supervisor in turn; rows within an LRP by index, then ORDINARY, SUSPECT, EVACUATING.
 * The rows are the very objects the events carried (they are immutable), so listing copies no row.
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctorEvent } from '../models/events.js';
import type { Task } from '../models/task.js';
import type { ActualLrpFilter, DesiredLrpFilter } from './lrps.protocol.js';
import type { TaskFilter } from './tasks.protocol.js';
import { putIndexRows, setEntryRow, type IndexRows, type LrpEntry } from './query-index-rows.js';

export type { IndexRows } from './query-index-rows.js';

/** Which records are set aside (quarantined) and must not be listed, as the kernel's registry says. */
export interface QuarantineView {
  lrp(processGuid: string): boolean;
  instance(processGuid: string, index: number): boolean;
  task(taskGuid: string): boolean;
}

/** How a rebuild fills the index (not buffered: it is what the buffered changes apply over). */
export interface IndexLoader {
  /** a registry entry, in the registry's order */
  entry(processGuid: string): void;
  desired(desired: DesiredLRP): void;
  /** every row of one index */
  rows(processGuid: string, index: number, rows: IndexRows): void;
  task(task: Task): void;
  /** a record whose journal could not be read: its actor is asked instead (see `unreadable`) */
  unreadable(kind: UnreadableKind, guid: string): void;
  /** an LRP whose supervisor's journal says rows above `instances` may remain (see `rowsToTrim`) */
  rowsToTrim(processGuid: string): void;
}

/** What the rebuild could not read: an LRP (its DesiredLRP), some of an LRP's instances, a task. */
export type UnreadableKind = 'lrp' | 'instances' | 'task';

/** Whether `key` is an array index, which a JS object orders before its other keys. */
const isArrayIndex = (key: string) => /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 2 ** 32 - 1;

const NONE_QUARANTINED: QuarantineView = { lrp: () => false, instance: () => false, task: () => false };

export class QueryIndex {
  // a Map, not an object: a full scan (listings, convergence, cells coming back) iterates 200k
  // guids in ~1 ms, where `for...in` over an object of as many keys took ~110 ms (issue 14)
  private lrps = new Map<string, LrpEntry>();
  /** the guids an object orders first (array indices: "42"), as the registry's object does */
  private indexLike = new Set<string>();
  private tasksByGuid = new Map<string, Task>();
  /** the changes (events, registry entries) made while a rebuild reads the store, applied once it is done */
  private buffered: Array<() => void> | undefined;
  private readyPromise: Promise<void> = Promise.resolve();
  /**
   * The records whose journal the rebuild could not fold (a malformed event, a state no desire
   * could make). Listings ask their actors through the registries, as every record's was asked
   * before the index, until each is quarantined or answers (and is then indexed): so a broken
   * record is still quarantined as it is used, and only broken records are asked.
   */
  readonly unreadable: Record<UnreadableKind, Set<string>> = { lrp: new Set(), instances: new Set(), task: new Set() };

  /**
   * The LRPs whose supervisor's journal, at the rebuild, said rows above `instances` may remain
   * (a scale-down or delete cut short): `lrps` activates their supervisors after a start, to trim them.
   */
  readonly rowsToTrim = new Set<string>();

  private markRecovered!: () => void;
  /**
   * Resolves once `lrps` has seeded its cell placements from this index (its `lrps/init`): the first listings after a start wait for it
   * (bounded). No supervisor or instance is asked for it (asking would wake every instance).
   */
  readonly recovered: Promise<void> = new Promise((resolve) => (this.markRecovered = resolve));

  constructor(private quarantine: QuarantineView = NONE_QUARANTINED) {}

  /** `lrps` has recovered its subtree (see `recovered`). */
  actorsRecovered(): void {
    this.markRecovered();
  }

  /** True while a rebuild reads the store (until `ready` resolves). */
  get rebuilding(): boolean {
    return this.buffered !== undefined;
  }

  /** Resolves once the index holds what the store held at start (at once when nothing is rebuilt). */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  setQuarantineView(view: QuarantineView): void {
    this.quarantine = view;
  }

  /**
   * Rebuilds from `load`, which fills the index through the {@link IndexLoader} it is given;
   * the changes made meanwhile (events, registry entries) are applied after it, in order.
   */
  rebuild(load: (loader: IndexLoader) => Promise<void>): Promise<void> {
    this.buffered = [];
    const loader: IndexLoader = {
      entry: (guid) => this.addEntry(guid),
      desired: (d) => this.putDesired(d),
      rows: (guid, index, rows) => this.putRows(guid, index, rows),
      task: (t) => this.tasksByGuid.set(t.task_guid, t),
      unreadable: (kind, guid) => this.unreadable[kind].add(guid),
      rowsToTrim: (guid) => this.rowsToTrim.add(guid),
    };
    this.readyPromise = load(loader).finally(() => {
      const pending = this.buffered ?? [];
      this.buffered = undefined;
      for (const change of pending) change();
    });
    return this.readyPromise;
  }

  private change(fn: () => void): void {
    if (this.buffered) this.buffered.push(fn);
    else fn();
  }

  /** An unreadable record's actor answered: its DesiredLRP, rows or task are indexed from that answer. */
  readFromActor(kind: 'lrp', answer: DesiredLRP): void;
  readFromActor(kind: 'instances', answer: ActualLRP[], processGuid: string): void;
  readFromActor(kind: 'task', answer: Task): void;
  readFromActor(kind: UnreadableKind, answer: DesiredLRP | ActualLRP[] | Task, processGuid?: string): void {
    this.change(() => {
      if (kind === 'lrp') this.putDesired(answer as DesiredLRP);
      else if (kind === 'task') this.tasksByGuid.set((answer as Task).task_guid, answer as Task);
      else {
        const entry = this.lrps.get(processGuid!);
        if (entry) entry.rows = [];
        for (const a of answer as ActualLRP[]) this.setRow(a, a);
      }
    });
  }

  /** The EventHub's subscriber. */
  onEvent(event: AuctorEvent): void {
    this.change(() => this.apply(event));
  }

  /** `lrps` journaled a registry entry for this guid: it takes its place in the order. */
  reserve(processGuid: string): void {
    this.change(() => this.addEntry(processGuid));
  }

  /** `lrps` journaled the removal of this guid (or forgot a quarantined one): it and its rows go. */
  forget(processGuid: string): void {
    this.change(() => {
      this.lrps.delete(processGuid);
      this.indexLike.delete(processGuid);
    });
  }

  /** A quarantined index was released with its journal: its rows are gone. */
  dropRows(processGuid: string, index: number): void {
    this.change(() => this.putRows(processGuid, index, undefined));
  }

  /** A quarantined task was released with its journal. */
  forgetTask(taskGuid: string): void {
    this.change(() => this.tasksByGuid.delete(taskGuid));
  }

  private addEntry(processGuid: string): void {
    if (this.lrps.has(processGuid)) return;
    this.lrps.set(processGuid, { desired: undefined, rows: [] });
    if (isArrayIndex(processGuid)) this.indexLike.add(processGuid);
  }

  private putDesired(desired: DesiredLRP): void {
    this.addEntry(desired.process_guid);
    this.lrps.get(desired.process_guid)!.desired = desired;
  }

  private putRows(processGuid: string, index: number, rows: IndexRows | undefined): void {
    const entry = this.lrps.get(processGuid);
    if (entry) putIndexRows(entry, index, rows);
  }

  private setRow(row: ActualLRP, value: ActualLRP | undefined): void {
    const entry = this.lrps.get(row.process_guid);
    if (entry) setEntryRow(entry, row, value);
  }

  private apply(event: AuctorEvent): void {
    switch (event.type) {
      case 'desired_lrp_created':
        this.putDesired(event.data.desired_lrp);
        return;
      case 'desired_lrp_changed':
        this.putDesired(event.data.after);
        return;
      case 'desired_lrp_removed': {
        // listed no more; its registry entry goes when `lrps` journals the removal
        const entry = this.lrps.get(event.data.desired_lrp.process_guid);
        if (entry) {
          entry.desired = undefined;
          entry.rows = [];
        }
        return;
      }
      case 'actual_lrp_instance_created':
        this.setRow(event.data.actual_lrp, event.data.actual_lrp);
        return;
      case 'actual_lrp_instance_changed':
        if (event.data.before.presence !== event.data.after.presence) this.setRow(event.data.before, undefined);
        this.setRow(event.data.after, event.data.after);
        return;
      case 'actual_lrp_instance_removed':
        this.setRow(event.data.actual_lrp, undefined);
        return;
      case 'task_created':
        this.tasksByGuid.set(event.data.task.task_guid, event.data.task);
        return;
      case 'task_changed':
        this.tasksByGuid.set(event.data.after.task_guid, event.data.after);
        return;
      case 'task_removed':
        this.tasksByGuid.delete(event.data.task.task_guid);
        return;
      default:
        return; // crashes (the row's change follows), cells
    }
  }

  /** The DesiredLRPs sorted by process guid, as `lrps/list` answered. */
  desiredLrps(filter: DesiredLrpFilter = {}): DesiredLRP[] {
    const out: DesiredLRP[] = [];
    for (const [guid, entry] of this.inRegistryOrder()) {
      const d = entry.desired;
      if (d && (filter.domain === undefined || d.domain === filter.domain) && !this.quarantine.lrp(guid)) out.push(d);
    }
    return out.sort((a, b) => a.process_guid.localeCompare(b.process_guid));
  }

  /** The DesiredLRP of one guid (undefined when unknown or quarantined). */
  desiredLrp(processGuid: string): DesiredLRP | undefined {
    return this.quarantine.lrp(processGuid) ? undefined : this.lrps.get(processGuid)?.desired;
  }

  /** The ActualLRP rows in registry order, each LRP's by index then presence, as `lrps/actuals` answered. */
  actualLrps(filter: ActualLrpFilter = {}): ActualLRP[] {
    const out: ActualLRP[] = [];
    const keep = (a: ActualLRP | undefined) => {
      if (a && (filter.domain === undefined || a.domain === filter.domain) && (filter.cell_id === undefined || a.cell_id === filter.cell_id)) out.push(a);
    };
    const visit = (guid: string, entry: LrpEntry | undefined) => {
      // rows at or above `instances` are being removed (a scale-down), and never were listed
      if (!entry?.desired || this.quarantine.lrp(guid)) return;
      const upTo = Math.min(entry.desired.instances, entry.rows.length);
      const from = filter.index ?? 0;
      const to = filter.index === undefined ? upTo : Math.min(upTo, filter.index + 1);
      for (let i = from; i < to; i++) {
        const rows = entry.rows[i];
        if (!rows || this.quarantine.instance(guid, i)) continue;
        keep(rows.o);
        keep(rows.s);
        keep(rows.e);
      }
    };
    if (filter.process_guid !== undefined) visit(filter.process_guid, this.lrps.get(filter.process_guid));
    else for (const [guid, entry] of this.inRegistryOrder()) visit(guid, entry);
    return out;
  }

  /** One Task (undefined when unknown or quarantined). */
  task(taskGuid: string): Task | undefined {
    return this.quarantine.task(taskGuid) ? undefined : this.tasksByGuid.get(taskGuid);
  }

  /** The Tasks by created_at then guid, as `tasks/list` answered. */
  tasks(filter: TaskFilter = {}): Task[] {
    const out: Task[] = [];
    for (const t of this.tasksByGuid.values()) {
      if ((filter.domain === undefined || t.domain === filter.domain) && (filter.cell_id === undefined || t.cell_id === filter.cell_id) && !this.quarantine.task(t.task_guid)) out.push(t);
    }
    return out.sort((a, b) => a.created_at - b.created_at || a.task_guid.localeCompare(b.task_guid));
  }

  /** The LRPs' guids in the registry's order (entries are reserved as `lrps` journals them). */
  *guids(): Generator<string> {
    for (const [guid] of this.inRegistryOrder()) yield guid;
  }

  /**
   * The entries in the order the registry's object keeps its guids, which listings follow: guids
   * that are array indices first, ascending, then the rest as they were added.
   */
  private *inRegistryOrder(): Generator<[string, LrpEntry]> {
    if (this.indexLike.size === 0) return yield* this.lrps;
    const first = [...this.indexLike].sort((a, b) => Number(a) - Number(b));
    for (const guid of first) yield [guid, this.lrps.get(guid)!];
    for (const pair of this.lrps) if (!this.indexLike.has(pair[0])) yield pair;
  }

  /** How many LRPs and rows the index holds (for the memory bench and the tree). */
  size(): { lrps: number; rows: number; tasks: number } {
    let lrps = 0;
    let rows = 0;
    for (const entry of this.lrps.values()) {
      lrps++;
      for (const r of entry.rows) if (r) rows += (r.o ? 1 : 0) + (r.s ? 1 : 0) + (r.e ? 1 : 0);
    }
    return { lrps, rows, tasks: this.tasksByGuid.size };
  }
}
