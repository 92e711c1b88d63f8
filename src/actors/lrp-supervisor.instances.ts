/**
 * An LRP supervisor's instances as virtual children (docs/020 "Instances"): the declaration the
 * supervisor (lrp-supervisor.ts) makes once, and the clean-up of what an earlier LRP of the same
 * guid left in the index.
 */
import type { AnyRef, Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { VirtualChildren } from '../runtime/kernel/virtual.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ActualLrpMsg } from './actual-lrp.protocol.js';
import type { ActualLrpEvent, ActualLrpState } from './actual-lrp.rows.js';
import { actualLrpSpec, instanceIsIdle } from './actual-lrp.js';
import { RESTART_TIMER } from './actual-lrp.turn.js';
import type { ControlDeps } from './control-deps.js';

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
  for (let page = instances.list({ limit: 1000 }); page.length > 0; page = instances.list({ limit: 1000 })) {
    await Promise.all(page.map(({ name }) => Promise.all([instances.remove(name), system.timers.cancel(`${path}/${name}`, RESTART_TIMER)])));
  }
}
