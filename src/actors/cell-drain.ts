/**
 * A cell's drain (Diego's rep evacuation, DIEGO.md 3.8), for the cell actor (cell.ts). The
 * control side does the rest (actual-lrp.ts): it keeps a RUNNING instance as an EVACUATING copy
 * while a replacement is placed elsewhere, and tells this cell to stop it once the replacement
 * runs.
 *
 * | when                            | what the cell does                                                     |
 * |---------------------------------|------------------------------------------------------------------------|
 * | `cell/evacuate` (first)         | its presence says `evacuating` (heartbeat at once, so the auction skips it); each RUNNING instance: report `lrp-evacuating` and keep serving; each CLAIMED one: stop it (never reported running) and report `lrp-evacuating` so it is placed elsewhere; arm the timeout |
 * | `cell/evacuate` (again)         | answers `accepted`; `replyTo` hears when it is drained (at once if it is) |
 * | `cell/perform`                  | every item failed `cell is evacuating`                                 |
 * | instance becomes RUNNING        | (an instance adopted by a restarted cell actor) report `lrp-evacuating` after `lrp-running` |
 * | reconcile tick                  | report `lrp-evacuating` again for every RUNNING instance not stopping   |
 * | `cell/stop-instance` (control)  | as always: the instance stops and is reported `lrp-stopped`             |
 * | running tasks                   | left to finish (tasks never migrate)                                    |
 * | `evacuationTimeoutMs` passes    | log `cell.evacuation-timeout` per instance left; stop them; cancel the running tasks, failed `timed out during cell evacuation` |
 * | no instance, no running task    | log `cell.drained`; answer every `replyTo` `{cell_id, timed_out}`       |
 *
 * A drained cell stays evacuating (takes no work) until its process restarts. The drain is kept
 * outside the actor's state, so a cell actor restarted by its supervisor keeps draining (the
 * timeout is armed again for the time left).
 */
import type { Ref } from '../runtime/kernel/protocol.js';
import type { Logger } from '../base/logger.js';
import type { CellDrained, CellReport, Work, WorkResult } from './cell.protocol.js';
import type { Ledger, LrpSlot, TaskSlot } from './cell-ledger.js';
import { instanceKey } from './cell-containers.js';

export const EvacuationTexts = {
  /** the reason for every item offered to an evacuating cell */
  rejected: 'cell is evacuating',
  /** a task still running when the timeout passes */
  taskTimedOut: 'timed out during cell evacuation',
};

/** Rep's `/work` on an evacuating cell: every item comes back failed. */
export function rejectAll(work: Work, reason = EvacuationTexts.rejected): WorkResult {
  return {
    failedLrps: work.lrps.map(({ desired, index, instance_guid }) => ({ process_guid: desired.process_guid, index, instance_guid, reason })),
    failedTasks: work.tasks.map(({ task }) => ({ task_guid: task.task_guid, reason })),
  };
}

/** What evacuating the ledger means: RUNNING instances keep serving, CLAIMED ones are dropped. Those already stopping are left alone. */
export function planEvacuation(ledger: Ledger, stopping: ReadonlySet<string>): { running: LrpSlot[]; claimed: LrpSlot[] } {
  const plan = { running: [] as LrpSlot[], claimed: [] as LrpSlot[] };
  for (const slot of ledger.values()) {
    if (slot.kind !== 'lrp' || stopping.has(slot.handle)) continue;
    (slot.state === 'RUNNING' ? plan.running : plan.claimed).push(slot);
  }
  return plan;
}

/** What is left at the timeout: instances not yet stopping, tasks still running. */
export function planTimeout(ledger: Ledger, stopping: ReadonlySet<string>): { instances: LrpSlot[]; tasks: TaskSlot[] } {
  const plan = { instances: [] as LrpSlot[], tasks: [] as TaskSlot[] };
  for (const slot of ledger.values()) {
    if (slot.kind === 'lrp' && !stopping.has(slot.handle)) plan.instances.push(slot);
    else if (slot.kind === 'task' && slot.state === 'RUNNING') plan.tasks.push(slot);
  }
  return plan;
}

/** Drained: no instance (starting, running or stopping) and no running task; completed tasks only wait for their delete. */
export function isDrained(ledger: Ledger): boolean {
  for (const slot of ledger.values()) if (slot.kind === 'lrp' || slot.state === 'RUNNING') return false;
  return true;
}

/** The effects a drain asks of the cell actor, bound to its current state. */
export interface DrainHost {
  readonly ledger: Ledger;
  readonly stopping: ReadonlySet<string>;
  readonly log: Logger;
  report(r: CellReport): void;
  /** stop the instance's container (reported `lrp-stopped` when it ends) */
  stopLrp(slot: LrpSlot): void;
  cancelTask(slot: TaskSlot, reason: string): void;
  /** the presence changed: send a heartbeat now */
  heartbeat(): void;
  /** deliver the timeout to the cell after `ms` */
  armTimeout(ms: number): void;
  reply(to: Ref<CellDrained>, drained: CellDrained): void;
}

interface DrainState {
  deadline: number;
  timedOut: boolean;
  drained: boolean;
  waiters: Array<Ref<CellDrained>>;
}

/** One cell's drain; created with the cell, started by its first `cell/evacuate`. */
export class CellDrain {
  private drain: DrainState | undefined;

  constructor(
    private readonly cellId: string,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** The cell is draining or drained: it takes no work and its presence says so. */
  get evacuating(): boolean {
    return this.drain !== undefined;
  }

  /** `cell/evacuate`: the first one starts the drain; any `replyTo` hears when it is drained. */
  begin(host: DrainHost, replyTo?: Ref<CellDrained>): void {
    if (this.drain) {
      if (replyTo) this.drain.waiters.push(replyTo);
      this.check(host);
      return;
    }
    this.drain = { deadline: this.now() + this.timeoutMs, timedOut: false, drained: false, waiters: replyTo ? [replyTo] : [] };
    const { running, claimed } = planEvacuation(host.ledger, host.stopping);
    host.log.info({ cell_id: this.cellId, running: running.length, starting: claimed.length, timeout_ms: this.timeoutMs }, 'cell.evacuating');
    host.heartbeat();
    for (const slot of claimed) {
      host.stopLrp(slot);
      host.report({ type: 'cell-report/lrp-evacuating', ...instanceKey(this.cellId, slot) });
    }
    for (const slot of running) host.report({ type: 'cell-report/lrp-evacuating', ...instanceKey(this.cellId, slot) });
    host.armTimeout(this.timeoutMs);
    this.check(host);
  }

  /** The cell actor (re)started while draining: the timeout is armed again for the time left. */
  resume(host: DrainHost): void {
    if (!this.drain || this.drain.drained || this.drain.timedOut) return;
    host.armTimeout(Math.max(0, this.drain.deadline - this.now()));
  }

  /** An instance became RUNNING while draining (adopted after a restart): it is evacuated too. */
  onRunning(host: DrainHost, slot: LrpSlot): void {
    if (!this.drain || slot.state !== 'RUNNING' || host.stopping.has(slot.handle)) return;
    host.report({ type: 'cell-report/lrp-evacuating', ...instanceKey(this.cellId, slot) });
  }

  /** Reconcile tick: say again which instances are evacuating (a lost report, a control restart). */
  remind(host: DrainHost): void {
    if (!this.drain || this.drain.drained) return;
    for (const slot of planEvacuation(host.ledger, host.stopping).running) host.report({ type: 'cell-report/lrp-evacuating', ...instanceKey(this.cellId, slot) });
  }

  /** The timeout passed: stop whatever is left (Diego's rep deletes every container). */
  timeout(host: DrainHost): void {
    const drain = this.drain;
    if (!drain || drain.drained || drain.timedOut) return;
    drain.timedOut = true;
    const { instances, tasks } = planTimeout(host.ledger, host.stopping);
    for (const slot of instances) {
      // rep: `Cell <id> reached evacuation timeout for instance <guid>`
      host.log.warn({ cell_id: this.cellId, process_guid: slot.process_guid, index: slot.index, instance_guid: slot.instance_guid }, 'cell.evacuation-timeout');
      host.stopLrp(slot);
    }
    for (const slot of tasks) host.cancelTask(slot, EvacuationTexts.taskTimedOut);
    this.check(host);
  }

  /** After every message: once nothing is left, the cell is drained and its waiters hear it. */
  check(host: DrainHost): void {
    const drain = this.drain;
    if (!drain || !isDrained(host.ledger)) return;
    const drained: CellDrained = { cell_id: this.cellId, timed_out: drain.timedOut };
    if (!drain.drained) {
      drain.drained = true;
      host.log.info(drained, 'cell.drained');
    }
    for (const to of drain.waiters.splice(0)) host.reply(to, drained);
  }
}
