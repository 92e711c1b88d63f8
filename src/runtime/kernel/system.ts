/**
 * The kernel: one actor system per node, a thin typed layer over nact with the shield
 * installed, every actor registered for introspection, and supervision declared per actor as a
 * {@link CrashPolicy} (crash-policy.ts; the policies live in supervision.ts). Actor specs and
 * handler contexts are in actor-spec.ts, how nact runs them in spawning.ts; this module
 * re-exports the specs and the crash types.
 */
import { ActorNotFoundError, ActorQuarantinedError, AskTimeoutError } from '../../base/errors.js';
import type { PersistenceEngine } from '../persistence/engine.js';
import type { ActorSpec, PersistentActorSpec, StatelessSpec } from './actor-spec.js';
import { systemClock, type Clock } from '../../base/clock.js';
import type { CrashPolicy } from './crash-policy.js';
import { silentLogger, type Logger } from '../../base/logger.js';
import { findActor, findSystem, nact, type NactRef } from './nact-internals.js';
import { refPath, type AnyRef, type Ref, type RemoteActorRef } from './protocol.js';
import { ActorRegistry, describeError, type QuarantinedActor } from './registry.js';
import { failAsk, FailedReply } from './failed-asks.js';
import { deleteJournalsWithPrefix, releaseQuarantined } from './quarantine-release.js';
import { PathDelivery, typeOf, type DeadLetter, type Delivery, type DispatchOptions, type RemoteRouter } from './delivery.js';
import { NactIncompatibleError } from './nact-compat.js';
import { DurableTimers } from './durable-timers.js';
import { VirtualKinds } from './virtual-kinds.js';
import type { VirtualChildren, VirtualKindSpec } from './virtual.js';
import { installShield, setShieldReporter, shieldSystem } from './shield.js';
import { spawnActor, spawnPersistentActor } from './spawning.js';

export type { ActorContext, ActorSpec, PersistentActorSpec, PersistentContext, StatelessSpec } from './actor-spec.js';
export type { CrashDecision, CrashPolicy, Failure } from './crash-policy.js';
export type { DeadLetter, DeadLetterReason, Delivery, DispatchOptions, RemoteRouter } from './delivery.js';
export type { VirtualChildInfo, VirtualChildren, VirtualCounts, VirtualKindSpec } from './virtual.js';
export type { DurableTimerInfo, DurableTimers } from './durable-timers.js';

try {
  installShield();
} catch (error) {
  // not the nact the shield was written for (nact-compat.ts): nothing is patched, start refuses
  if (!(error instanceof NactIncompatibleError)) throw error;
}

export interface SystemOptions {
  /** the node name; unique in this process */
  name: string;
  engine?: PersistenceEngine;
  clock?: Clock;
  logger?: Logger;
  /**
   * Durable timers fire only once {@link ActorSystem.startTimers} is called (default: at start).
   * A control group's standby defers them: its store is a copy of the active's, its timers the
   * active's, and it may not write until it leads.
   */
  deferTimers?: boolean;
}

type Parent = AnyRef;


export class ActorSystem {
  readonly registry = new ActorRegistry();
  private remote: RemoteRouter | undefined;
  /** the system itself: the parent of top-level actors */
  readonly root: AnyRef;
  readonly clock: Clock;
  readonly log: Logger;
  /** the journals' engine (undefined without persistence): read by whatever rebuilds from them */
  readonly engine: PersistenceEngine | undefined;
  private readonly byPath: PathDelivery;
  private readonly durableTimers: DurableTimers | undefined;
  private readonly virtualKinds: VirtualKinds;

  private constructor(readonly name: string, options: SystemOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger();
    this.engine = options.engine;
    const store = options.engine?.runtimeStore?.();
    this.durableTimers = store && new DurableTimers(store, this.clock, (path, msg) => this.deliver(path, msg), this.log);
    this.virtualKinds = new VirtualKinds(this, store, this.durableTimers);
    this.registry.virtualHooks = { counts: (path) => this.virtualKinds.counts(path), stopped: (path, ref) => this.virtualKinds.stopped(path, ref) };
    this.byPath = new PathDelivery(name, this.registry, (letter) => this.deadLetter(letter), (path) => this.virtualKinds.activate(path));
    const plugins: unknown[] = [{ name }, shieldSystem];
    if (options.engine) plugins.push(nact.configurePersistence(options.engine));
    this.root = nact.start(...plugins) as AnyRef;
  }

  /**
   * Throws {@link NactIncompatibleError} when this process cannot run actors: the installed nact
   * is not the version the kernel's patches were written for, or lacks what they patch.
   */
  static assertCanStart(): void {
    installShield();
  }

  /** Starts the node's actor system. Throws if one of that name is already running here, or as {@link assertCanStart}. */
  static start(options: SystemOptions): ActorSystem {
    ActorSystem.assertCanStart();
    if (findSystem(options.name)) throw new Error(`an actor system named "${options.name}" is already running in this process`);
    const system = new ActorSystem(options.name, options);
    if (!options.deferTimers) system.durableTimers?.start();
    setShieldReporter(options.name, (event, fields) => system.log.error({ ...fields, error: describeError(fields.error) }, event));
    return system;
  }

  spawn<S, M>(parent: Parent, spec: ActorSpec<S, M>): Ref<M> {
    return spawnActor(this, parent, spec);
  }

  spawnPersistent<S, M, E>(parent: Parent, spec: PersistentActorSpec<S, M, E>): Ref<M> {
    return spawnPersistentActor(this, parent, spec);
  }

  /**
   * Journals `events` as the first events (1..n) of `key`, which must never have been written
   * (a name with a fresh epoch); resolves once they are durable. For a parent that spawns the
   * key's actor with `startsFrom` these events: issued in the same turn as the parent's own
   * write, the two share a commit, and the child does not have to run before either is stored.
   */
  journal(key: string, events: readonly unknown[]): Promise<void> {
    const engine = this.engine;
    if (!engine) return Promise.reject(new Error(`no persistence engine to journal ${key}`));
    const createdAt = Date.now();
    return Promise.all(events.map((data, i) => engine.persist({ data, sequenceNumber: i + 1, key, tags: [], createdAt, isDeleted: false }))).then(() => undefined);
  }

  /**
   * Declares the virtual children of `parent` (docs/011 "Virtual actors"): persistent children
   * that exist by name in an index beside the journals, activated by what arrives for their path
   * and passivated when idle. Needs an engine with a runtime store (both engines have one).
   * Declared once per parent actor, after spawning it; they go when it stops.
   */
  spawnVirtualKind<S, M, E>(parent: Parent, spec: VirtualKindSpec<S, M, E>): VirtualChildren<S, M, E> {
    return this.virtualKinds.declare(parent, spec);
  }

  /** The kinds with an active limit (VirtualKindSpec.activeLimit): how many are active, how many were passivated to keep within it, and how many looks that took. */
  virtualBudgets(): Array<{ kind: string; limit: number; active: number; shed: number; checked: number }> {
    return this.virtualKinds.budgetCounts();
  }

  /** The virtual children the actor at `path` declared, if any (counts, paged listing; nothing is activated). */
  virtualChildrenOf(path: string): VirtualChildren<unknown, unknown, unknown> | undefined {
    return this.virtualKinds.of(path);
  }

  /** Starts the durable timers of a system started with `deferTimers` (their stored ones due now fire at once). */
  startTimers(): void {
    this.durableTimers?.start();
  }

  /**
   * Timers kept in the persistence engine: they survive passivation and node restarts, and a
   * due one activates its passive target (durable-timers.ts). Throws without an engine that has
   * a runtime store.
   */
  get timers(): DurableTimers {
    if (!this.durableTimers) throw new Error('durable timers need a persistence engine with a runtime store');
    return this.durableTimers;
  }

  /**
   * An actor without state. Unlike nact's spawnStateless it keeps the given onCrash (nact
   * overwrote it with `resume`, issue #55); `resume` stays the default.
   */
  spawnStateless<M>(parent: Parent, spec: StatelessSpec<M>): Ref<M> {
    return this.spawn<undefined, M>(parent, {
      onCrash: () => 'resume',
      ...spec,
      initialState: () => undefined,
      handle: async (_state, msg, ctx) => {
        await spec.handle(msg, ctx);
        return undefined;
      },
    });
  }

  /** Fire and forget. Returns false (and counts a dead letter) when the target is gone. */
  dispatch<M>(ref: Ref<M>, msg: M, options?: DispatchOptions): boolean {
    if (ref.type === 'remote') return this.remoteDispatch(ref, msg, options);
    if (ref.type !== 'actor') {
      nact.dispatch(ref, msg);
      return true;
    }
    // one lookup, not nact.dispatch's second one
    const actor = findActor(ref);
    if (actor && !actor.stopped) {
      actor.dispatch(msg);
      return true;
    }
    const path = refPath(ref);
    const virtual = this.virtualKinds.activate(path);
    if (typeof virtual === 'object') {
      virtual.dispatch(msg);
      return true;
    }
    this.deadLetter({ to: path, type: typeOf(msg), reason: virtual ?? (actor ? 'stopped' : 'no-such-actor') });
    return false;
  }

  /**
   * Hands `msg` to the live local actor at `path` (`/control/lrps`), without a sender: how
   * remoting delivers what arrives (`from`: the node it came from). Anything else is a dead
   * letter, counted and logged as `actor.dead-letter` with the reason returned.
   */
  deliver(path: string, msg: unknown, from?: string): Delivery {
    return this.byPath.deliver(path, msg, from);
  }

  /**
   * The temporary reference of the local ask `id` (a `query` waiting for its reply), to answer
   * it with `dispatch` or `fail`; undefined once it was answered or timed out.
   */
  resolveTemporary(id: number): AnyRef | undefined {
    return this.byPath.temporary(id);
  }

  /** Counts a message that could not be delivered (`auctor_actor_dead_letters_total`) and logs it at debug as `event`. */
  deadLetter(letter: DeadLetter, event = 'actor.dead-letter'): void {
    this.registry.deadLetter();
    this.log.debug(letter, event);
  }

  /** Sends the message built around a reply address and waits for the reply. */
  async query<M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M, timeoutMs: number): Promise<R> {
    if (ref.type === 'remote') {
      if (this.remote) return this.remote.query<R>(ref, make as (replyTo: AnyRef) => unknown, timeoutMs);
      this.remoteDispatch(ref, undefined);
      throw new ActorNotFoundError(`/${ref.node}${ref.at}`);
    }
    if (ref.type === 'actor' && !findActor(ref)) {
      const path = refPath(ref);
      let virtual = this.virtualKinds.activate(path);
      // its parent was activated and declares its children later: ask once they are declared
      if (typeof virtual === 'object' && 'pending' in virtual) {
        await virtual.settled;
        virtual = findActor(ref) ?? this.virtualKinds.activate(path);
      }
      if (typeof virtual !== 'object' || 'pending' in virtual) {
        this.registry.deadLetter();
        const quarantined = virtual === 'quarantined' && this.registry.quarantined(path);
        if (quarantined) throw new ActorQuarantinedError(path, quarantined.failure.message);
        throw new ActorNotFoundError(path);
      }
    }
    let answer: unknown;
    try {
      answer = await nact.query(ref, make, timeoutMs);
    } catch (error) {
      if (error instanceof Error && error.message === 'Query Timeout') throw new AskTimeoutError(refPath(ref), timeoutMs);
      throw error;
    }
    if (answer instanceof FailedReply) throw answer.error;
    return answer as R;
  }

  /**
   * Answers an ask with a failure (its `query` rejects with `error` at once), for a reply type
   * with no room for one. False when `replyTo` is no local ask still waiting (a remote one times out).
   */
  fail(replyTo: AnyRef, error: Error): boolean {
    return failAsk(replyTo, error);
  }

  /** Forgets the quarantined actor at `path`, first deleting its journal with `deleteJournal`; what it was. */
  release(path: string, options: { deleteJournal?: boolean } = {}): Promise<QuarantinedActor | undefined> {
    return releaseQuarantined(this.registry, this.engine, this.log, path, !!options.deleteJournal);
  }

  /** Deletes every journal whose key starts with `prefix`; how many (none without an engine; a failure is logged). */
  deleteJournalsWithPrefix(prefix: string): Promise<number> {
    return deleteJournalsWithPrefix(this.engine, this.log, prefix);
  }

  /** Stops a local actor; a remote ref is left alone (remote stop is not supported). */
  stop(ref: AnyRef): void {
    if (ref.type !== 'remote') nact.stop(ref);
  }

  /**
   * Routes messages for remote refs through `router` (remoting calls this when it attaches);
   * the returned function detaches it. Without a router they are dead letters.
   */
  routeRemote(router: RemoteRouter): () => void {
    if (this.remote) throw new Error(`actor system "${this.name}" already has remoting attached`);
    this.remote = router;
    return () => {
      if (this.remote === router) this.remote = undefined;
    };
  }

  private remoteDispatch(ref: RemoteActorRef, msg: unknown, options?: DispatchOptions): boolean {
    if (this.remote) return this.remote.dispatch(ref, msg, options);
    this.deadLetter({ node: ref.node, to: ref.at, type: typeOf(msg), reason: 'no remoting attached' });
    return false;
  }

  /** Looks up a live actor by its path (`/a/b`). */
  lookup(path: string): AnyRef | undefined {
    return this.byPath.lookup(path);
  }

  /** Stops every actor, then waits a turn so their afterStop hooks have run. */
  async shutdown(): Promise<void> {
    this.durableTimers?.stop();
    this.virtualKinds.clear();
    nact.stop(this.root as NactRef);
    this.byPath.clear();
    await new Promise((resolve) => setImmediate(resolve));
    setShieldReporter(this.name, undefined);
  }
}
