/**
 * How `lrps` answers `lrps/converge`: the pass is queued outside its handler (lrps-convergence.ts
 * `passQueue`, docs/020 "A pass does not hold lrps"), so desires, updates and the rest are
 * answered while a pass runs, between its slices.
 */
import type { Logger } from '../base/logger.js';
import { AuctorError } from '../base/errors.js';
import { msToNs } from '../models/time.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { LivePlacements } from './lrps-routes.js';
import { nextTurn, type ControlDeps } from './control-deps.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import { askRows, convergeInSlices, lrpReader, type passQueue } from './lrps-convergence.js';
import type { Supervisors } from './lrps-supervisors.js';
import type { LrpsMsg } from './lrps.protocol.js';
import type { QueryIndex } from './query-index.js';

type Ask = <R>(ref: Ref<LrpSupervisorMsg>, make: (replyTo: Ref<R>) => LrpSupervisorMsg) => Promise<R>;

/** What a pass needs of `lrps`: its registry is read as it is when the pass starts, not when queued. */
export interface LrpsPassContext {
  system: ActorSystem;
  deps: ControlDeps;
  children: Supervisors;
  /** `lrps`' path (its quarantined children are those of this path) */
  path: string;
  /** the registry (process guid → epoch) as of the message being handled */
  registry: () => Record<string, string>;
  placements: LivePlacements;
  runPass: ReturnType<typeof passQueue>;
  ask: Ask;
  log: Logger;
}

/** Queues one pass; it answers `msg.replyTo` with its counts once its last slice is sent (`Unavailable` when it fails). */
export function startConvergencePass(c: LrpsPassContext, msg: Extract<LrpsMsg, { type: 'lrps/converge' }>): void {
  const { system, deps, placements } = c;
  const supervisorNow = (guid: string) => (Object.hasOwn(c.registry(), guid) && !system.registry.quarantinedChildren(c.path).has(guid) ? c.children.ref(guid) : undefined);
  c.runPass(async () => {
    // planned from the query index; only the records it could not read are asked
    if (deps.queries) await deps.queries.ready;
    placements.passStarted();
    const pass = await convergeInSlices({
      lrps: lrpsWithSupervisors(deps.queries, c.registry, supervisorNow),
      presentCells: msg.presentCells, freshDomains: msg.freshDomains, heardCells: msg.heardCells,
      now: msToNs(system.clock.now()), settings: { ...deps.settings.restart, ...deps.settings.lrpConvergence },
      sliceLrps: deps.settings.convergenceSliceLrps, betweenSlices: deps.betweenSlices ?? nextTurn,
      read: lrpReader(deps.queries, (guid) => askRows(supervisorNow(guid), c.ask)),
      send: (guid, m) => { const ref = supervisorNow(guid); if (ref) system.dispatch(ref, m); },
      log: c.log,
    });
    placements.replaceWith(pass.placements);
    c.log.debug({ slices: pass.slices, max_slice_ms: Math.round(pass.maxSliceMs) }, 'lrps.converged');
    system.dispatch(msg.replyTo, pass.counts);
  }, (error) => {
    c.log.error({ error: String(error) }, 'lrps.converge-failed');
    system.fail(msg.replyTo, new AuctorError('Unavailable', `convergence pass failed: ${String(error)}`));
  });
}

/**
 * The guids of the registry's LRPs that have a supervisor now, in the registry's order, checked
 * as the pass reads them: from the query index's entries (a Map) where there is one, since
 * listing the registry's object of 200k keys at once held the loop for 110-200 ms.
 */
function* lrpsWithSupervisors(queries: QueryIndex | undefined, registry: () => Record<string, string>, supervisorNow: (guid: string) => unknown): Generator<string> {
  const guids = queries ? queries.guids() : Object.keys(registry());
  for (const guid of guids) if (supervisorNow(guid) !== undefined) yield guid;
}
