/**
 * Delivery by path, for whoever holds an address rather than a reference (remoting hands every
 * envelope that arrives to {@link PathDelivery.deliver} through `ActorSystem.deliver`), and the
 * one record of a message that could not be delivered ({@link DeadLetter}): counted in the
 * registry (`auctor_actor_dead_letters_total`) and logged at debug. Nothing outside the kernel
 * touches nact's actor objects: a caller gets a {@link Delivery}, never the actor.
 */
import type { AnyRef, RemoteActorRef } from './protocol.js';
import { findActor, findSystem, type NactActor, type NactRef } from './nact-internals.js';
import type { ActorRegistry } from './registry.js';

/** Why a message to a local path was not delivered. */
export type DeadLetterReason =
  /** no actor lives at the path (never did, or stopped and left the tree) */
  | 'no-such-actor'
  /** the actor found there has stopped */
  | 'stopped'
  /** its policy quarantined the actor that lived there (docs/011 "Quarantine") */
  | 'quarantined';

/** What became of a message handed to a local path. */
export type Delivery = 'delivered' | DeadLetterReason;

/** A message that could not be delivered, as the kernel counts and logs it. */
export interface DeadLetter {
  /** the path it was for, inside `node`'s tree when `node` is set, else this node's */
  to: string;
  node?: string;
  /** the message's type tag, when it had one */
  type?: unknown;
  /** a {@link DeadLetterReason}, or the sender's own words (`node b is down`) */
  reason?: string;
  /** the node it arrived from, for a message that came over remoting */
  from?: string;
}

/** How `ActorSystem.dispatch` sends a message. */
export interface DispatchOptions {
  /**
   * To a remote ref: in the remoting's priority lane (docs/050-remoting.md "Priority lane"), ahead
   * of the bulk traffic queued for that node, for a small liveness signal. Ignored for a local ref.
   */
  priority?: boolean;
}

/** Carries messages for refs on other nodes; installed by remoting (src/runtime/remoting/remote-node.ts). */
export interface RemoteRouter {
  /** Sends `msg` toward `ref`'s node; false (a dead letter, counted) when it cannot. Never throws. */
  dispatch(ref: RemoteActorRef, msg: unknown, options?: DispatchOptions): boolean;
  /** Asks across nodes: the reply, or AskTimeoutError after `timeoutMs`, or a fast failure when the node is unreachable or down. */
  query<R>(ref: RemoteActorRef, make: (replyTo: AnyRef) => unknown, timeoutMs: number): Promise<R>;
}

const MAX_CACHED_PATHS = 10_000;

/** The type tag of a message, for a dead letter's record. */
export const typeOf = (msg: unknown): unknown => (msg as { type?: unknown } | null | undefined)?.type;

/**
 * Resolves paths to live actors and hands them messages. The live actor at a path is
 * remembered, so a message costs no walk down nact's tree: the last one strongly (a WeakRef's
 * deref costs as much as the lookup it saves), the others weakly, so the cache keeps at most one
 * stopped actor and its state alive. A stopped one is resolved again: a new actor may live at the
 * path now, or none (a dead letter).
 */
export class PathDelivery {
  private readonly actors = new Map<string, WeakRef<NactActor>>();
  private lastPath = '';
  private lastActor: NactActor | undefined;

  constructor(
    private readonly systemName: string,
    private readonly registry: ActorRegistry,
    private readonly deadLetter: (letter: DeadLetter) => void,
    /** activates the virtual child at a path with no live actor (virtual-kinds.ts), or says why not */
    private readonly activate: (path: string) => Pick<NactActor, 'dispatch'> | DeadLetterReason | undefined = () => undefined,
  ) {}

  /** Hands `message` to the live actor at `path` (no sender), or records a dead letter and says why. */
  deliver(path: string, message: unknown, from?: string): Delivery {
    const last = this.lastActor;
    if (last !== undefined && path === this.lastPath && !last.stopped) {
      last.dispatch(message);
      return 'delivered';
    }
    return this.resolveAndDeliver(path, message, from);
  }

  /** The reference of the actor at `path` (`/a/b`), while it is in the tree. */
  lookup(path: string): AnyRef | undefined {
    return findActor(this.refTo(path))?.reference as AnyRef | undefined;
  }

  /** The temporary reference of the local ask numbered `id`, while it waits for its reply. */
  temporary(id: number): AnyRef | undefined {
    if (!findSystem(this.systemName)?.tempReferences.has(id)) return undefined;
    const ref: NactRef = { type: 'temp', id, system: { name: this.systemName }, path: { parts: [] } };
    return ref as AnyRef;
  }

  /** Forgets every remembered actor (the system is shutting down). */
  clear(): void {
    this.lastActor = undefined;
    this.actors.clear();
  }

  private resolveAndDeliver(path: string, message: unknown, from: string | undefined): Delivery {
    this.lastActor = undefined;
    let actor = this.actors.get(path)?.deref();
    if (actor === undefined || actor.stopped) {
      actor = findActor(this.refTo(path));
      if (actor !== undefined && !actor.stopped) {
        if (this.actors.size >= MAX_CACHED_PATHS) this.actors.clear();
        this.actors.set(path, new WeakRef(actor));
      }
    }
    if (actor !== undefined && !actor.stopped) {
      this.lastPath = path;
      this.lastActor = actor;
      actor.dispatch(message);
      return 'delivered';
    }
    this.actors.delete(path);
    const virtual = this.activate(path);
    if (typeof virtual === 'object') {
      virtual.dispatch(message);
      return 'delivered';
    }
    const reason: DeadLetterReason = virtual ?? (this.registry.quarantined(path) ? 'quarantined' : actor?.stopped ? 'stopped' : 'no-such-actor');
    this.deadLetter({ to: path, type: typeOf(message), reason, ...(from === undefined ? {} : { from }) });
    return reason;
  }

  private refTo(path: string): NactRef {
    return { type: 'actor', path: { parts: path.split('/').filter(Boolean) }, system: { name: this.systemName } };
  }
}
