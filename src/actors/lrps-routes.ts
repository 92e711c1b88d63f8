/**
 * Where a cell's reports and container lists about LRP instances go (docs/020 "Reports go to
 * the supervisor by path"). `control` routes them itself, in its own turn, to the supervisor's
 * path (the kernel activates a passive one), so they no longer queue in `lrps`' mailbox behind
 * desires and convergence passes: at 50k instances that mailbox held 52k messages. `lrps` keeps
 * the same routing for what reaches it before it declared its supervisors.
 *
 * Per LRP the order holds: `control` handles a cell's messages in the order they came and
 * dispatches each to one supervisor path. A report of an LRP nobody desires stops the instance
 * (`stopStray`); one of a quarantined LRP is left alone (nobody can say whether it is desired).
 */
import type { Logger } from '../base/logger.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { EvacuatingReport, InstanceReport, LrpContainer } from './actual-lrp.protocol.js';
import { CellPlacements, type Placement } from './cell-placements.js';
import type { ControlDeps } from './control-deps.js';
import { stopStray } from './lrp-supervisor.forwarding.js';
import { runsAsIndexed } from './lrp-supervisor.instances.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import type { Supervisors } from './lrps-supervisors.js';

/** Who hears about an LRP. */
export interface LrpTargets {
  /** the supervisor of a known LRP that is not quarantined */
  supervisor(guid: string): Ref<LrpSupervisorMsg> | undefined;
  /** whether the LRP is quarantined: its instances are left alone */
  held(guid: string): boolean;
}

interface Routing {
  system: ActorSystem;
  deps: ControlDeps;
  placements: CellPlacements;
  log: Logger;
}

/** A cell's report about an instance: to its supervisor; an undesired one is stopped. */
export function routeReport(r: Routing, to: LrpTargets, report: InstanceReport): void {
  r.placements.note(report);
  const ref = to.supervisor(report.process_guid);
  if (ref) r.system.dispatch(ref, { type: 'lrp/report', report });
  else if (!to.held(report.process_guid)) stopStray(r.deps, report, r.log);
}

/** A draining cell evacuates an instance: to its supervisor; an undesired one is stopped. */
export function routeEvacuating(r: Routing, to: LrpTargets, report: EvacuatingReport): void {
  const ref = to.supervisor(report.process_guid);
  if (ref) r.system.dispatch(ref, { type: 'lrp/evacuating', report });
  else if (!to.held(report.process_guid)) r.deps.clientFor(report.cell_id)?.stopInstance(report.process_guid, report.index, report.instance_guid);
}

/**
 * A cell's container list, read both ways: an instance on this cell that the list leaves out is
 * gone (its index replaces it); a listed container goes to its LRP's supervisor unless it runs
 * as its indexed row says (`runsAsIndexed`: nothing to catch up, so no idle clock is reset);
 * one of an LRP nobody desires is stopped.
 */
export function routeContainers(r: Routing, to: LrpTargets, cellId: string, containers: readonly LrpContainer[]): void {
  // during the index's rebuild after a start: asked again once it is ready (lists-set-aside.ts)
  if (r.deps.listsSetAside?.setAside(cellId)) return;
  const listed = new Set(containers.map((c) => c.instance_guid));
  for (const m of r.placements.missingFrom(cellId, listed)) {
    const ref = to.supervisor(m.process_guid);
    if (ref) r.system.dispatch(ref, { type: 'lrp/container-missing', index: m.index, cell_id: m.cell_id, instance_guid: m.instance_guid });
  }
  const byGuid = new Map<string, LrpContainer[]>();
  for (const c of containers) {
    if (runsAsIndexed(r.deps.queries, c)) continue;
    const list = byGuid.get(c.process_guid);
    if (list) list.push(c);
    else byGuid.set(c.process_guid, [c]);
  }
  for (const [guid, news] of byGuid) {
    const ref = to.supervisor(guid);
    if (ref) r.system.dispatch(ref, { type: 'lrp/reconcile', containers: news });
    else if (!to.held(guid)) news.forEach((c) => stopStray(r.deps, { type: 'cell-report/lrp-running', ...c }, r.log));
  }
}

/**
 * Cell placements that a convergence pass replaces (with what the rows said) without losing
 * what reports and lists said while it ran: those now reach it during a pass, not after it.
 */
export class LivePlacements extends CellPlacements {
  private duringPass: Array<(p: CellPlacements) => void> | undefined;

  /** A pass starts reading rows: what is noted from now on is kept through its `replaceWith`. */
  passStarted(): void {
    this.duringPass = [];
  }

  override note(r: Placement & { type: InstanceReport['type'] }): void {
    super.note(r);
    this.duringPass?.push((p) => p.note(r));
  }

  override missingFrom(cellId: string, listed: ReadonlySet<string>): Placement[] {
    const missing = super.missingFrom(cellId, listed);
    if (missing.length > 0) this.duringPass?.push((p) => missing.forEach((m) => p.forget(m.cell_id, m.instance_guid)));
    return missing;
  }

  override replaceWith(other: CellPlacements): void {
    const noted = this.duringPass ?? [];
    this.duringPass = undefined;
    for (const apply of noted) apply(other);
    super.replaceWith(other);
  }
}

/**
 * The routing `control` does for `lrps` (created by `control`, handed to `spawnLrps`, which
 * attaches its supervisors once declared). Each method returns false before that: the message
 * is then sent to `lrps`, which routes it the same way.
 */
export class LrpRoutes {
  /** which instances are on which cell (cell-placements.ts), shared with `lrps`' convergence passes */
  readonly placements = new LivePlacements();
  private attached: { supervisors: Supervisors; lrpsPath: string } | undefined;

  constructor(private readonly system: ActorSystem, private readonly deps: ControlDeps) {}

  /** `lrps` declared its supervisors (virtual children under `lrpsPath`). */
  attach(supervisors: Supervisors, lrpsPath: string): void {
    this.attached = { supervisors, lrpsPath };
  }

  report(report: InstanceReport, log: Logger): boolean {
    return this.route(log, (r, to) => routeReport(r, to, report));
  }

  evacuating(report: EvacuatingReport, log: Logger): boolean {
    return this.route(log, (r, to) => routeEvacuating(r, to, report));
  }

  containers(cellId: string, containers: readonly LrpContainer[], log: Logger): boolean {
    return this.route(log, (r, to) => routeContainers(r, to, cellId, containers));
  }

  private route(log: Logger, send: (r: Routing, to: LrpTargets) => void): boolean {
    const a = this.attached;
    if (!a) return false;
    // the supervisors' index is kept with the registry (lrps-supervisors.ts); quarantined ones stay stopped
    const held = this.system.registry.quarantinedChildren(a.lrpsPath);
    send({ system: this.system, deps: this.deps, placements: this.placements, log }, {
      supervisor: (guid) => (!held.has(guid) && a.supervisors.has(guid) ? a.supervisors.ref(guid) : undefined),
      held: (guid) => held.has(guid),
    });
    return true;
  }
}
