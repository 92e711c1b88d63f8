/**
 * How the kernel spawns an actor and a persistent actor over nact: the handler nact calls wraps
 * the typed spec (its context built once, the last-message stamp once per turn, eager writes and
 * snapshot cadence for persistent ones), and every spawned actor is registered for introspection.
 * ActorSystem.spawn and spawnPersistent are these.
 */
import { handlerContext, nactProps, registerSpawned, type ActorContext, type ActorSpec, type PersistentActorSpec, type PersistentContext } from './actor-spec.js';
import { findActor, nact, type NactActor, type NactContext, type NactRef } from './nact-internals.js';
import type { AnyRef, Ref } from './protocol.js';
import type { RegistryEntry } from './registry.js';
import { currentTurn } from './turns.js';
import { shareEmptyChildMaps } from './children-view.js';
import { shieldPersistentActorClass, skipFirstRecovery, trackWrite } from './shield.js';
import type { ActorSystem } from './system.js';

/** Sent by the kernel to an actor whose eager write failed: its handler fails with `error`. */
class PersistFailed {
  constructor(readonly error: unknown) {}
}

function localParent(parent: AnyRef): NactRef {
  if (parent.type === 'remote') throw new Error(`cannot spawn under a remote actor: /${parent.node}${parent.at}`);
  return parent;
}

export function spawnActor<S, M>(system: ActorSystem, parent: AnyRef, spec: ActorSpec<S, M>): Ref<M> {
  let ref: NactRef | undefined;
  let entry: RegistryEntry | undefined;
  let ctx: ActorContext<M> | undefined;
  let stamped = -1;
  const f = (state: S, msg: M, nctx: NactContext) => {
    ctx = handlerContext(system, ctx, nctx);
    // once per turn (at most 64 messages, 2 ms): a clock read costs as much as a small handler
    if (entry && stamped !== currentTurn()) {
      stamped = currentTurn();
      entry.lastMessageAt = system.clock.now();
    }
    return spec.handle(state, msg, ctx);
  };
  ref = nact.spawn(localParent(parent), f, spec.name, {
    ...nactProps(system, spec, () => ref!),
    initialStateFunc: (nctx: NactContext) => spec.initialState((ctx = handlerContext(system, ctx, nctx))),
  });
  const actor = findActor(ref);
  if (actor) shareEmptyChildMaps(actor);
  if (actor && spec.onArrival) handleOnArrival(actor, spec.onArrival);
  entry = registerSpawned(system, ref, parent, spec);
  return ref as Ref<M>;
}

/**
 * Gives `actor` its own dispatch (every path to it goes through dispatch: local refs, remoting,
 * virtual activation) that first offers the message to `onArrival`. A restart keeps the actor
 * object, so it keeps this too.
 */
function handleOnArrival<M>(actor: NactActor, onArrival: (msg: M) => boolean): void {
  const queue = actor.dispatch;
  actor.dispatch = function (this: NactActor, message: unknown, sender?: NactRef) {
    let taken = false;
    if (!this.stopped) {
      try {
        taken = onArrival(message as M);
      } catch {
        taken = false;
      }
    }
    if (!taken) queue.call(this, message, sender);
  };
}

export function spawnPersistentActor<S, M, E>(system: ActorSystem, parent: AnyRef, spec: PersistentActorSpec<S, M, E>): Ref<M> {
  let ref: NactRef | undefined;
  let entry: RegistryEntry | undefined;
  let ctx: PersistentContext<M, E, S> | undefined;
  let actor: NactActor | undefined;
  const every = spec.snapshotEvery;
  const f = (state: S, msg: unknown, nctx: NactContext) => {
    if (nctx.recovering) return spec.applyEvent(state, msg as E);
    if (msg instanceof PersistFailed) throw msg.error;
    ctx = handlerContext(system, ctx, nctx) as PersistentContext<M, E, S>;
    let working = state;
    ctx.persist = async (event, tags) => {
      await nctx.persist!(event, tags);
      working = spec.applyEvent(working, event);
      return working;
    };
    ctx.persistEagerly = (event, tags) => {
      working = spec.applyEvent(working, event);
      const durable = trackWrite(actor, nctx.persist!(event, tags));
      durable.catch((error: unknown) => {
        if (ref) system.dispatch(ref as Ref<unknown>, new PersistFailed(error));
      });
      return { state: working, durable };
    };
    if (entry) entry.lastMessageAt = system.clock.now();
    const next = spec.handle(state, msg as M, ctx);
    if (typeof every !== 'function' || !actor) return next;
    // nact re-arms its countdown from `snapshotEvery` when it takes a snapshot, after this
    return Promise.resolve(next).then((s) => {
      const a = actor!;
      a.snapshotEvery = Math.max(1, every(s));
      a.messagesToNextSnapshot = Math.min(a.messagesToNextSnapshot ?? a.snapshotEvery, a.snapshotEvery);
      return s;
    });
  };
  ref = nact.spawnPersistent(localParent(parent), f, spec.key, spec.name, {
    ...nactProps(system, spec, () => ref!),
    initialStateFunc: () => spec.initialState(),
    // a function's first answer comes after the first message (the countdown is clamped then)
    ...(typeof every === 'function' ? { snapshotEvery: Number.MAX_SAFE_INTEGER } : every ? { snapshotEvery: every } : {}),
  });
  actor = findActor(ref);
  if (actor) {
    shareEmptyChildMaps(actor);
    shieldPersistentActorClass(actor);
    if (spec.startsFrom) {
      const { events, written } = spec.startsFrom;
      skipFirstRecovery(actor, { state: events.reduce(spec.applyEvent, actor.state as S), sequenceNumber: events.length });
      trackWrite(actor, written.then(() => undefined));
    } else if (spec.fresh) skipFirstRecovery(actor);
  }
  entry = registerSpawned(system, ref, parent, spec, spec.key);
  return ref as Ref<M>;
}
