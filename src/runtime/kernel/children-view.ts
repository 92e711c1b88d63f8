/**
 * The shield's fix for nact hazard (h) (table in shield.ts): nact copied an actor's children into
 * a new Map for every message. Here a message's context carries a {@link ChildrenView} instead,
 * O(1) to make, and the last context serves again while the sender is the same and no child was
 * spawned or stopped (fix (k)'s shared Nobody is what lets messages without a sender match).
 * Apart from shield.ts because it is self-contained: the view and the three Actor methods
 * (createContext, childSpawned, childStopped) that keep it exact.
 */
import { ActorClass, type NactActor, type NactRef } from './nact-internals.js';

/** Patches nact's Actor so each message's context carries a {@link ChildrenView}; called by installShield. */
export function installChildrenView(): void {
  const proto = ActorClass.prototype as NactActor & ChildTracking;
  proto.createContext = function (this: NactActor & ChildTracking, sender: unknown) {
    // the last context serves again while its children view recorded no change (it then reads
    // the live children, as a new one would) and the sender is the same: no garbage per message
    const last = this.auctorContext;
    if (last !== undefined && last.sender === sender && last.children.unchanged) return last;
    const children = new ChildrenView(this.childReferences);
    this.auctorChildrenView = children;
    const ctx = { parent: this.parent ? this.parent.reference : undefined, path: this.path, self: this.reference, name: this.name, children, sender, log: this.log };
    this.auctorContext = ctx;
    return ctx;
  };
  proto.childSpawned = function (this: NactActor & ChildTracking, child: NactActor) {
    this.auctorChildrenView?.record(child.name, this.childReferences.get(child.name));
    // its first child: maps of its own (a view made before keeps reading the shared empty ones,
    // which is what the children were when its message started)
    if (this.children === NO_CHILDREN) {
      this.children = new Map();
      this.childReferences = new Map();
    }
    this.children.set(child.name, child);
    this.childReferences.set(child.name, child.reference);
  };
  proto.childStopped = function (this: NactActor & ChildTracking, child: NactActor) {
    this.auctorChildrenView?.record(child.name, this.childReferences.get(child.name));
    this.children.delete(child.name);
    this.childReferences.delete(child.name);
  };
}

/** A Map that refuses to be filled: the shared empty child maps must stay empty. */
class NoChildren<V> extends Map<string, V> {
  override set(name: string): this {
    throw new Error(`shared empty child map: cannot add "${name}"`);
  }
}

const NO_CHILDREN = new NoChildren<NactActor>();
const NO_CHILD_REFERENCES = new NoChildren<NactRef>();

/**
 * Gives a just-spawned actor that has no children the shared empty child maps: nact makes two
 * Maps per actor (about 400 bytes with their tables) that most actors (instances, containers)
 * never fill. Its first child gives it maps of its own (childSpawned above).
 */
export function shareEmptyChildMaps(actor: NactActor): void {
  const a = actor as NactActor & ChildTracking;
  if (a.children.size > 0 || a.childReferences.size > 0) return;
  a.children = NO_CHILDREN;
  a.childReferences = NO_CHILD_REFERENCES;
  // the context its initial state was made with views the Maps just dropped: not to be reused
  a.auctorContext = undefined;
  a.auctorChildrenView = undefined;
}

/** What the (h) patch adds to nact's Actor. */
interface ChildTracking {
  childReferences: Map<string, NactRef>;
  path: unknown;
  log: unknown;
  /** the view handed to the message being handled; it records the changes made meanwhile */
  auctorChildrenView?: ChildrenView;
  /** the context handed to the last message */
  auctorContext?: { sender: unknown; children: ChildrenView };
  createContext(sender: unknown): unknown;
  childSpawned(child: NactActor): void;
  childStopped(child: NactActor): void;
}

/**
 * The children as of the start of a message, without copying them (nact copied the whole map
 * for every message). It reads the live map and keeps, for each child spawned or stopped since,
 * what the name held before, so lookups stay O(1) and the view stays exact while its message is
 * handled. Iteration builds the snapshot only when children changed. Once the actor starts its
 * next message the view stops recording and follows the live children (no handler keeps one
 * past its own message).
 */
export class ChildrenView implements ReadonlyMap<string, NactRef> {
  private undo: Map<string, NactRef | undefined> | undefined;

  constructor(private readonly live: ReadonlyMap<string, NactRef>) {}

  /** @internal called before the live map changes under `name` */
  record(name: string, previous: NactRef | undefined): void {
    this.undo ??= new Map();
    if (!this.undo.has(name)) this.undo.set(name, previous);
  }

  /** @internal no child was spawned or stopped since this view was made */
  get unchanged(): boolean {
    return this.undo === undefined;
  }

  get(name: string): NactRef | undefined {
    return this.undo?.has(name) ? this.undo.get(name) : this.live.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  get size(): number {
    return this.snapshot().size;
  }

  forEach(f: (value: NactRef, key: string, map: ReadonlyMap<string, NactRef>) => void, thisArg?: unknown): void {
    this.snapshot().forEach((v, k) => f.call(thisArg, v, k, this));
  }

  entries(): MapIterator<[string, NactRef]> {
    return this.snapshot().entries();
  }

  keys(): MapIterator<string> {
    return this.snapshot().keys();
  }

  values(): MapIterator<NactRef> {
    return this.snapshot().values();
  }

  [Symbol.iterator](): MapIterator<[string, NactRef]> {
    return this.entries();
  }

  private snapshot(): ReadonlyMap<string, NactRef> {
    if (!this.undo || this.undo.size === 0) return this.live;
    const map = new Map(this.live);
    for (const [name, ref] of this.undo) {
      if (ref === undefined) map.delete(name);
      else map.set(name, ref);
    }
    return map;
  }
}
