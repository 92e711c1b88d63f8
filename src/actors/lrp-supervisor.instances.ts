/**
 * An LRP supervisor's instances as virtual children (docs/020 "Instances"): the declaration the
 * supervisor (lrp-supervisor.ts) makes once, the clean-up of what an earlier LRP of the same
 * guid left in the index, and what the query index tells it so it wakes no instance needlessly.
 */
import type { AnyRef, Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { VirtualChildren } from '../runtime/kernel/virtual.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ActualLrpMsg, LrpContainer } from './actual-lrp.protocol.js';
import type { ActualLrpEvent, ActualLrpState } from './actual-lrp.rows.js';
import { actualLrpSpec, instanceIsIdle } from './actual-lrp.js';
import { RESTART_TIMER } from './actual-lrp.turn.js';
import type { ControlDeps } from './control-deps.js';
import type { QueryIndex } from './query-index.js';

export type Instances = VirtualChildren<ActualLrpState, ActualLrpMsg, ActualLrpEvent>;

/**
 * Declares the instances of the supervisor `self`. An instance activated later starts from
 * `owner()`: the supervisor's newest DesiredLRP (or the deleted one, while its rows are removed).
 */
export function declareInstances(
  system: ActorSystem, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>, self: AnyRef,
  epoch: string, owner: () => DesiredLRP | undefined, onCrash: CrashPolicy,
): Instances {
  return system.spawnVirtualKind<ActualLrpState, ActualLrpMsg, ActualLrpEvent>(self, {
    kind: 'actual-lrp',
    idleAfterMs: deps.settings.instanceIdleMs,
    activeLimit: deps.settings.maxActiveInstances,
    isIdle: instanceIsIdle,
    spec: (name) => {
      const desired = owner();
      // declared on the supervisor's first message, once its state is known: only an LRP with
      // neither a DesiredLRP nor a deleted one has no owner, and it has no instances
      if (!desired) throw new Error(`actual-lrp ${name}: its LRP has no DesiredLRP`);
      return actualLrpSpec(system, deps, auctioneer, desired, epoch, Number(name), onCrash);
    },
  });
}

/** Drops every instance in the index (and its restart timer): they belong to an earlier LRP of the same guid. */
export async function forgetStale(system: ActorSystem, instances: Instances, path: string): Promise<void> {
  if (instances.counts().total === 0) return; // a new guid's: no read
  for (let page = instances.list({ limit: 1000 }); page.length > 0; page = instances.list({ limit: 1000 })) {
    await Promise.all(page.map(({ name }) => Promise.all([instances.remove(name), system.timers.cancel(`${path}/${name}`, RESTART_TIMER)])));
  }
}

/**
 * After a recovery or a supervised restart, the desired indices below `instances` whose instance
 * has an effect to resume on `init`: no ORDINARY row (one is created and auctioned), UNCLAIMED
 * (an auction) or CRASHED (its restart timer is armed again). A RUNNING or CLAIMED one has none
 * and is not activated. Every index when the query index cannot say (none, its rebuild failed,
 * or it could not read this LRP's journals).
 */
export async function indicesToResume(queries: QueryIndex | undefined, processGuid: string, instances: number): Promise<number[]> {
  const all = Array.from({ length: instances }, (_, i) => i);
  if (!queries) return all;
  const rebuilt = await queries.ready.then(() => true, () => false);
  if (!rebuilt || queries.unreadable.lrp.has(processGuid) || queries.unreadable.instances.has(processGuid)) return all;
  const ordinary = new Map(queries.actualLrps({ process_guid: processGuid }).filter((a) => a.presence === 'ORDINARY').map((a) => [a.index, a.state]));
  return all.filter((i) => { const state = ordinary.get(i); return state !== 'RUNNING' && state !== 'CLAIMED'; });
}

/**
 * Whether the query index's ORDINARY row of the container's index is RUNNING as this very
 * container (its instance guid, on its cell): then `actual-lrp/reconcile` would change nothing.
 */
export function runsAsIndexed(queries: QueryIndex | undefined, c: LrpContainer): boolean {
  if (!queries || queries.unreadable.lrp.has(c.process_guid) || queries.unreadable.instances.has(c.process_guid)) return false;
  const row = queries.actualLrps({ process_guid: c.process_guid, index: c.index }).find((a) => a.presence === 'ORDINARY');
  return row?.state === 'RUNNING' && row.instance_guid === c.instance_guid && row.cell_id === c.cell_id;
}
