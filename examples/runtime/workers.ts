/**
 * Supervision with restart intensity: `/workers` spawns two children and declares how each is
 * supervised (the kernel's policies, src/runtime/kernel/supervision.ts):
 * - `flaky`: `oneForOne`, at most 3 restarts in a minute; the 4th crash within it escalates, and
 *   `/workers`'s own policy (declared by its parent) restarts `/workers` with fresh children;
 * - `fragile`: `restartOrQuarantine`, at most 2 restarts in a minute; the 3rd crash within it
 *   quarantines that child alone (stopped, shown in the tree with its error) and `/workers` goes on.
 * A child crashes when it is asked to: `worker/crash` makes its handler throw.
 */
import { oneForOne, restartOrQuarantine } from '../../src/runtime/kernel/supervision.js';
import { assertNever, type AnyRef, type Ref } from '../../src/runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../../src/runtime/kernel/system.js';

export type WorkerMsg =
  /** the handler throws; an ask of it fails at once with ActorFailedError */
  | { type: 'worker/crash'; replyTo: Ref<never> }
  /** how many messages this life of the worker handled */
  | { type: 'worker/ping'; replyTo: Ref<number> };

export const WorkerMsg = {
  crash: (replyTo: Ref<never>): WorkerMsg => ({ type: 'worker/crash', replyTo }),
  ping: (replyTo: Ref<number>): WorkerMsg => ({ type: 'worker/ping', replyTo }),
};

export const WORKERS_PATH = '/workers';
export const FLAKY_INTENSITY = { maxRestarts: 3, withinMs: 60_000 };
export const FRAGILE_INTENSITY = { maxRestarts: 2, withinMs: 60_000 };

/** Spawns `/workers` under `parent` (whose default policy, oneForOne 10 in 10 s, restarts it when a child escalates). */
export function spawnWorkers(system: ActorSystem, parent: AnyRef = system.root): AnyRef {
  return system.spawn<null, never>(parent, {
    kind: 'workers',
    name: 'workers',
    // runs again on each restart of /workers: the children and their restart windows start over
    initialState: (ctx) => {
      spawnWorker(system, ctx.self, 'flaky', oneForOne(ctx.clock, FLAKY_INTENSITY));
      // a quarantined child stays set aside until released (docs/011 "Quarantine"): not respawned
      if (!system.registry.quarantinedChildren(ctx.path).has('fragile')) spawnWorker(system, ctx.self, 'fragile', restartOrQuarantine(ctx.clock, FRAGILE_INTENSITY));
      return null;
    },
    handle: (state) => state,
  });
}

function spawnWorker(system: ActorSystem, parent: AnyRef, name: string, onCrash: CrashPolicy): Ref<WorkerMsg> {
  return system.spawn<number, WorkerMsg>(parent, {
    kind: 'worker',
    name,
    onCrash,
    initialState: () => 0,
    summary: (handled) => ({ handled }),
    handle: (handled, msg, ctx) => {
      switch (msg.type) {
        case 'worker/crash':
          throw new Error(`${name} was asked to crash`);
        case 'worker/ping':
          ctx.system.dispatch(msg.replyTo, handled + 1);
          return handled + 1;
        default:
          return assertNever(msg);
      }
    },
  });
}
