/**
 * Supervision as the kernel declares it: what a {@link CrashPolicy} is asked and may decide
 * (the policies themselves live in supervision.ts), and the adapter that runs one as nact's
 * onCrash for an actor the system spawns.
 */
import { ActorFailedError, ActorQuarantinedError } from '../../base/errors.js';
import { failAsksOf } from './failed-asks.js';
import type { NactRef, NactSupervisionCtx } from './nact-internals.js';
import { refPath } from './protocol.js';
import { describeError } from './registry.js';
import type { ActorSystem } from './system.js';

/** What a supervision policy decides about a failure. */
export type CrashDecision =
  /** the faulted actor keeps its state and goes on with its next message */
  | 'resume'
  /** the faulted actor starts over: initial state (a persistent one replays its journal), children stopped */
  | 'restart'
  /** the faulted actor and all its siblings restart (one-for-all) */
  | 'restart-all'
  | 'stop'
  | 'stop-all'
  /** the parent decides, as if it had failed itself */
  | 'escalate'
  /**
   * the faulted actor is stopped for good and kept in the registry as quarantined with this
   * failure (the tree shows it) until its parent releases it; asks waiting in its mailbox fail
   * with ActorQuarantinedError. Its parent is not told: it reads
   * `registry.quarantinedChildren(path)` and does not respawn what it finds there.
   */
  | 'quarantine';

export interface Failure {
  /** path of the actor whose policy is deciding */
  path: string;
  error: unknown;
  /** the message being handled, when there was one */
  message: unknown;
  /** set when a child escalated: the child's path */
  child?: string;
}

/** Decides what happens to an actor that failed (or whose child escalated to it). */
export type CrashPolicy = (failure: Failure) => CrashDecision | Promise<CrashDecision>;

/**
 * Adapts a CrashPolicy to nact's onCrash: records the failure in `system`'s registry, maps the
 * decision. Whatever it is, the failed message is never handled again, so an ask waiting for
 * its reply fails now (ActorFailedError) rather than at its timeout.
 */
export function supervise(system: Pick<ActorSystem, 'registry' | 'log' | 'clock'>, policy: CrashPolicy) {
  return async (message: unknown, error: unknown, ctx: NactSupervisionCtx, child?: NactRef) => {
    const path = refPath(ctx.self);
    const childPath = child && refPath(child);
    if (!childPath) {
      system.registry.failed(path, error, system.clock.now());
      failAsksOf(message, undefined, () => new ActorFailedError(path, describeError(error)));
    }
    let decision: CrashDecision;
    try {
      decision = await policy({ path, error, message, ...(childPath ? { child: childPath } : {}) });
    } catch (policyError) {
      system.log.error({ actor: path, error: describeError(policyError) }, 'actor.policy-failed');
      decision = 'escalate';
    }
    system.log.warn({ actor: path, child: childPath, error: describeError(error), decision }, 'actor.crashed');
    switch (decision) {
      case 'resume':
        return ctx.resume;
      case 'restart':
        system.registry.restarted(path, system.clock.now());
        return ctx.reset;
      case 'restart-all': {
        const parentPath = system.registry.get(path)?.parent ?? null;
        system.registry.childrenOf(parentPath).forEach((p) => system.registry.restarted(p, system.clock.now()));
        return ctx.resetAll;
      }
      case 'stop':
        return ctx.stop;
      case 'stop-all':
        return ctx.stopAll;
      case 'escalate':
        return ctx.escalate;
      case 'quarantine': {
        const marked = system.registry.quarantine(path, error, system.clock.now());
        system.log.error({ actor: path, kind: marked?.kind, restarts: marked?.restarts, error: describeError(error) }, 'actor.quarantined');
        const quarantined = () => new ActorQuarantinedError(path, describeError(error));
        for (const queued of ctx.mailbox as Array<{ message: unknown; sender: unknown }>) failAsksOf(queued.message, queued.sender, quarantined);
        return ctx.stop;
      }
    }
  };
}
