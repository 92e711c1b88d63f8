/**
 * The effects one message of the actual-lrp actor may run, over the state it arrived to:
 * journaling rows then publishing their events, asking the auctioneer for a placement, arming the
 * crash policy's restart timer, telling a cell to stop an instance. Built per message by the
 * actor's `handle` (never during replay); the decisions are in actual-lrp.ordinary.ts and
 * actual-lrp.copies.ts.
 */
import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, PersistentContext } from '../runtime/kernel/system.js';
import { newUnclaimedActualLrp, type ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { Events, type AuctorEvent } from '../models/events.js';
import { newModificationTag } from '../models/modification-tag.js';
import { restartSettingsFor } from '../models/crash-policy.js';
import { nextRestartAt, type RestartSettings } from '../models/restart-policy.js';
import { msToNs, nsToMs } from '../models/time.js';
import type { Result } from '../base/errors.js';
import { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import type { ActualLrpMsg } from './actual-lrp.protocol.js';
import { rowsEvent, type ActualLrpEvent, type ActualLrpState, type Rows } from './actual-lrp.rows.js';

/** The longest delay Node's `setTimeout` keeps (2^31-1 ms); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Not journaled and not in the state (snapshots must be plain data): what the actor holds at run
 * time only, one object per incarnation.
 */
export interface Runtime {
  desired: DesiredLRP;
  /** the pending placement during whose auction cells appeared: its failure is auctioned again at once */
  cellsAppearedDuring?: string;
}

/** The id of the instance's durable restart timer (system.timers, under the actor's path). */
export const RESTART_TIMER = 'restart';

/** What stays the same for every message of one actor. */
export interface ActualLrpScope {
  system: ActorSystem;
  deps: ControlDeps;
  auctioneer: Ref<AuctioneerMsg>;
  processGuid: string;
  index: number;
}

export class Turn {
  constructor(
    /** the state the message arrived to */
    readonly state: ActualLrpState,
    readonly scope: ActualLrpScope,
    readonly rt: Runtime,
    readonly ctx: PersistentContext<ActualLrpMsg, ActualLrpEvent, ActualLrpState>,
  ) {}

  get deps(): ControlDeps {
    return this.scope.deps;
  }

  now(): number {
    return msToNs(this.ctx.clock.now());
  }

  /** The restart settings this index's crashes follow: its LRP's `crash_policy` over the node's. */
  restartSettings(): RestartSettings {
    return restartSettingsFor(this.deps.settings.restart, this.rt.desired.crash_policy);
  }

  /** A new UNCLAIMED row for this index. */
  newRow(domain: string): ActualLRP {
    const { processGuid, index, deps } = this.scope;
    return newUnclaimedActualLrp({ process_guid: processGuid, index, domain }, this.now(), newModificationTag(deps.newGuid));
  }

  /** Persists the ORDINARY row (and pending guid), then publishes. */
  async save(actual: ActualLRP, pending: string, events: AuctorEvent[]): Promise<ActualLrpState> {
    const next = await this.ctx.persist({ type: 'row', actual, pending });
    this.deps.events.publishAll(events);
    return next;
  }

  /** The row is UNCLAIMED: ask for a placement under a new instance guid. */
  async auction(actual: ActualLRP, events: AuctorEvent[]): Promise<ActualLrpState> {
    const guid = this.deps.newGuid();
    const next = await this.save(actual, guid, events);
    this.startLrp(guid);
    return next;
  }

  /** Persists every row at once, then publishes. */
  async saveRows(rows: Rows, events: AuctorEvent[]): Promise<ActualLrpState> {
    const next = await this.ctx.persist(rowsEvent(rows));
    this.deps.events.publishAll(events);
    return next;
  }

  /** Persists the rows with the ORDINARY one UNCLAIMED, then asks for its placement under a new guid. */
  async auctionRows(rows: Rows & { actual: ActualLRP }, events: AuctorEvent[]): Promise<ActualLrpState> {
    const guid = this.deps.newGuid();
    const next = await this.saveRows({ ...rows, pending: guid }, events);
    this.startLrp(guid);
    return next;
  }

  /** Persists a model transition's result (a refusal is logged and changes nothing). */
  async applied(actual: ActualLRP, result: Result<ActualLRP>, pending: string): Promise<ActualLrpState> {
    if (!result.ok) {
      this.ctx.log.warn({ error: result.error.message }, 'actual-lrp.transition-refused');
      return this.state;
    }
    if (result.value === actual) return this.state;
    return this.save(result.value, pending, [Events.actualLrpChanged(actual, result.value)]);
  }

  /**
   * Arms the timer that asks the crash policy again when a CRASHED row may restart: a durable
   * timer (system.timers), so it fires after the instance is passivated and after a restart of
   * the node, activating the instance. Any other row cancels it.
   */
  armRestart(actual: ActualLRP): void {
    // the policy says when; the clock only wakes us to ask it again
    const at = actual.state === 'CRASHED' ? nextRestartAt(actual.crash_count, actual.since, this.restartSettings()) : undefined;
    if (at === undefined) return this.cancelRestart();
    // a longer wait than a clock timer can hold fires early and is armed again for the rest
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, nsToMs(at - this.now()) + 1));
    this.scope.system.timers.schedule(this.ctx.path, RESTART_TIMER, delay, { type: 'actual-lrp/retry' } satisfies ActualLrpMsg)
      .catch((error: unknown) => this.ctx.log.error({ error: String(error) }, 'actual-lrp.restart-timer-failed'));
  }

  /** Cancels the restart timer, if one is stored (a stale one would only send a `retry` that changes nothing). */
  cancelRestart(): void {
    this.scope.system.timers.cancel(this.ctx.path, RESTART_TIMER)
      .catch((error: unknown) => this.ctx.log.error({ error: String(error) }, 'actual-lrp.restart-timer-failed'));
  }

  /** Tells the cell to stop an instance (one it reported or listed) that no row accounts for. */
  stopStray(r: { cell_id: string; instance_guid: string; process_guid: string; index: number }): void {
    this.ctx.log.info({ cell_id: r.cell_id, instance_guid: r.instance_guid }, 'actual-lrp.stop-unaccounted');
    this.deps.clientFor(r.cell_id)?.stopInstance(r.process_guid, r.index, r.instance_guid);
  }

  /** Tells a row's cell to stop its instance, logging `why`. */
  stopOn(a: ActualLRP, why: string): void {
    this.ctx.log.info({ cell_id: a.cell_id, instance_guid: a.instance_guid, presence: a.presence }, why);
    this.deps.clientFor(a.cell_id)?.stopInstance(a.process_guid, a.index, a.instance_guid);
  }

  private startLrp(guid: string): void {
    const { system, auctioneer, index } = this.scope;
    system.dispatch(auctioneer, AuctioneerMsg.startLrps([{ work: { desired: this.rt.desired, index, instance_guid: guid }, replyTo: this.ctx.self }]));
  }
}
