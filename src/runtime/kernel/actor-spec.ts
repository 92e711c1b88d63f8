/**
 * How an actor is declared to the kernel (system.ts): the spec passed to spawn, spawnPersistent
 * or spawnStateless, the context its handler sees with each message, and what the kernel makes
 * of a spec when it spawns (nact's properties, the registry entry).
 */
import type { Clock } from '../../base/clock.js';
import { supervise, type CrashPolicy } from './crash-policy.js';
import type { Logger } from '../../base/logger.js';
import type { NactContext, NactRef } from './nact-internals.js';
import { refPath, type AnyRef, type Ref } from './protocol.js';
import type { ProtocolSchema } from './protocol-schema.js';
import type { RegistryEntry } from './registry.js';
import { oneForOne } from './supervision.js';
import type { ActorSystem } from './system.js';

export interface ActorContext<M> {
  readonly self: Ref<M>;
  readonly path: string;
  readonly name: string;
  readonly parent: AnyRef | undefined;
  /** the children as of the current message */
  children: ReadonlyMap<string, AnyRef>;
  readonly system: ActorSystem;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface PersistentContext<M, E, S = unknown> extends ActorContext<M> {
  /**
   * Persists `event`, waits until it is durable, applies it to the state being built for this
   * message and returns that state. Only once it resolves may the actor acknowledge anything.
   */
  persist(event: E, tags?: string[]): Promise<S>;
  /**
   * Applies `event` to the state being built at once and journals it without waiting (Akka's
   * `persistAsync`, with the state updated eagerly), so the actor takes its next message while
   * the write is in flight and concurrent writes share a commit and an fsync. Returns the new
   * state and `durable`, which resolves once the event is durable: nothing that depends on the
   * event may be acknowledged before. If the write fails, `durable` rejects and the actor fails
   * with the error (its policy decides); a restart first waits for the writes in flight, then
   * replays what is durable. Caveat: a snapshot taken meanwhile holds the eager state, so it can
   * include an event whose write then fails (a full disk, or a duplicate sequence: two live actors).
   */
  persistEagerly(event: E, tags?: string[]): { state: S; durable: Promise<void> };
}

/** What every kind of spec declares. */
export interface CommonSpec<S> {
  /** what the registry and the tree show, e.g. `lrp-supervisor` */
  kind: string;
  /** unique among siblings; nact's rules: letters, digits and `-$_.+!*'(),` */
  name?: string;
  /** default: oneForOne with the default restart intensity (supervision.ts) */
  onCrash?: CrashPolicy;
  /** what the actor exposes of its state to operators */
  summary?: (state: S) => unknown;
  /** the messages operators may send it through the gateway; none when omitted */
  protocol?: ProtocolSchema;
  /** idle passivation */
  shutdownAfterMs?: number;
  afterStop?: (state: S) => void;
}

export interface ActorSpec<S, M> extends CommonSpec<S> {
  initialState: (ctx: ActorContext<M>) => S;
  handle: (state: S, msg: M, ctx: ActorContext<M>) => S | Promise<S>;
  /**
   * Runs as a message is handed to the actor, before its mailbox (docs/011 "Handled on
   * arrival"): true when it took the message, which is then not queued; false to queue it. For a
   * router's forwarding of what must not wait behind a long mailbox (a liveness signal). It runs
   * on the sender's stack, without the actor's state: keep it quick; if it throws, the message
   * is queued as usual.
   */
  onArrival?: (msg: M) => boolean;
}

export interface PersistentActorSpec<S, M, E> extends CommonSpec<S> {
  /** the journal key; one live actor per key */
  key: string;
  /**
   * the key has never been written (it names an epoch chosen just now): the first start does
   * not read the journal; a restart still replays it. Wrong when the key has events: the actor
   * would start empty and its first write would collide with the stored sequence.
   */
  fresh?: boolean;
  /**
   * The first events of a key never written, which the spawner is journaling right now
   * (`ActorSystem.journal`, issued in the same turn as its own write so both share a commit):
   * the first start folds them instead of reading the journal (implies `fresh`), and its own
   * first write follows them. A restart first waits for `written`, then replays what is durable.
   * Nothing may be acknowledged on the actor's behalf before `written` resolves.
   */
  startsFrom?: { events: E[]; written: Promise<unknown> };
  /**
   * persisted events between snapshots; none when omitted. A function is asked after each
   * message: a state that grows can snapshot every `size` events, so each snapshot's cost is
   * spread over as many events and replay stays bounded by the size.
   */
  snapshotEvery?: number | ((state: S) => number);
  initialState: () => S;
  /** pure: folds one event into the state, during replay and after each persist */
  applyEvent: (state: S, event: E) => S;
  /** handles a command; effects belong here and never run during replay */
  handle: (state: S, msg: M, ctx: PersistentContext<M, E, S>) => S | Promise<S>;
}

export interface StatelessSpec<M> extends Omit<CommonSpec<undefined>, 'summary'> {
  handle: (msg: M, ctx: ActorContext<M>) => void | Promise<void>;
  /** as ActorSpec's */
  onArrival?: (msg: M) => boolean;
}

/**
 * The context an actor's handler sees: built on its first message and kept (`ctx`), since nact
 * runs one message at a time per actor; only the children can change between messages.
 */
export function handlerContext<M>(system: ActorSystem, ctx: ActorContext<M> | undefined, nctx: NactContext): ActorContext<M> {
  if (ctx) {
    ctx.children = nctx.children as ReadonlyMap<string, AnyRef>;
    return ctx;
  }
  const path = refPath(nctx.self);
  const log = system.log;
  let child: Logger | undefined;
  return {
    self: nctx.self as Ref<M>,
    path,
    name: nctx.name,
    parent: nctx.parent as AnyRef | undefined,
    children: nctx.children as ReadonlyMap<string, AnyRef>,
    system,
    get log() {
      return (child ??= log.child({ actor: path }));
    },
    clock: system.clock,
  };
}

/** Adds a just-spawned actor to `system`'s registry. */
export function registerSpawned<S>(system: ActorSystem, ref: NactRef, parent: AnyRef, spec: CommonSpec<S>, persistenceKey?: string): RegistryEntry {
  const parentPath = parent.type === 'system' ? null : refPath(parent);
  const summarize = spec.summary as ((state: unknown) => unknown) | undefined;
  return system.registry.add(ref, spec.kind, parentPath, {
    since: system.clock.now(),
    ...(summarize ? { summarize } : {}),
    ...(persistenceKey === undefined ? {} : { persistenceKey }),
    ...(spec.protocol ? { protocol: spec.protocol } : {}),
  });
}

/** The properties nact spawns an actor with for `spec`: its policy, its afterStop, its passivation. */
export function nactProps<S>(system: ActorSystem, spec: CommonSpec<S>, self: () => NactRef): Record<string, unknown> {
  return {
    onCrash: supervise(system, spec.onCrash ?? oneForOne(system.clock)),
    afterStop: (state: S) => {
      system.registry.remove(refPath(self()), self());
      spec.afterStop?.(state);
    },
    ...(spec.shutdownAfterMs ? { shutdownAfter: spec.shutdownAfterMs } : {}),
  };
}
