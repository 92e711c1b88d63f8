/**
 * Virtual children (docs/011 "Virtual actors"): persistent children that exist by their name
 * in an index kept beside the journals (the runtime store, `virtual/<parent>|<name>`), not by
 * being alive. The kernel activates one (spawns it; it replays its journal) when a message,
 * an ask or one of its durable timers arrives for its path, and passivates it (stops it: its
 * state is already on disk) once it has been idle for `idleAfterMs` and says it is idle.
 *
 * Activation and passivation are synchronous in the event loop, which is what keeps messages in
 * order and never lost: a message sent before the stop is in the mailbox (and then the child is
 * not idle), one sent after finds no actor and activates a new one, which holds it in its
 * mailbox while it replays. A child is passivated only with an empty mailbox, no message in
 * hand and no eager write in flight, so the replay sees everything it wrote.
 */
import type { Timer } from '../../base/clock.js';
import type { ActiveBudget } from './active-budget.js';
import type { RuntimeStore } from '../persistence/runtime-store.js';
import type { PersistentActorSpec } from './actor-spec.js';
import type { DeadLetterReason } from './delivery.js';
import { findActor, type NactRef } from './nact-internals.js';
import { refPath, type AnyRef, type Ref } from './protocol.js';
import type { ActorSystem } from './system.js';

/** How a parent declares its virtual children (`ActorSystem.spawnVirtualKind`). */
export interface VirtualKindSpec<S, M, E> {
  /** the children's kind, as the registry and the tree show it */
  kind: string;
  /** the persistent actor of the child named `name`: its journal key, handlers, policy, summary */
  spec: (name: string) => Omit<PersistentActorSpec<S, M, E>, 'name' | 'kind'>;
  /** an active child this long without a message is passivated (if `isIdle` agrees) */
  idleAfterMs: number;
  /** whether the child may be passivated in this state (no pending work); default: always */
  isIdle?: (state: S) => boolean;
  /**
   * at most this many children of this kind active on the node, across every parent that
   * declares it (the first declaration's limit counts): past it, an activation passivates the
   * least recently used idle ones at once (active-budget.ts); default: no limit
   */
  activeLimit?: number;
  /**
   * called right after each activation with the child's ref: a virtual child that has virtual
   * children of its own declares them here (`spawnVirtualKind(ref, ...)`), so a message for a
   * grandchild activates the child, then the grandchild
   */
  onActivate?: (ref: Ref<M>, name: string) => void;
  /**
   * the children declare their own virtual children later than `onActivate`: on a message, once
   * their journal is replayed (their children's specs need that state). A message for a
   * grandchild whose parent is passive activates the parent, sends it `wake()` (nothing else may
   * reach it) and waits until the parent declares its children (or stops: then it is a dead letter)
   */
  declaresChildrenLater?: { wake: () => M };
}

/** How many virtual children a parent has, from the index: no child is activated to count. */
export interface VirtualCounts {
  kind: string;
  total: number;
  active: number;
  passive: number;
}

/** One virtual child as the paged listing shows it. */
export interface VirtualChildInfo {
  name: string;
  path: string;
  status: 'active' | 'passive' | 'quarantined';
  /** what its spec's summary said of its state when it was last passivated (null before) */
  summary: unknown;
}

interface IndexRecord {
  /** the summary at its last passivation */
  s?: unknown;
}

interface Active {
  ref: NactRef;
  lastAt: number;
  summary: ((state: never) => unknown) | undefined;
}

export const VIRTUAL_INDEX = 'virtual/';

/** The virtual children one parent declared. */
export class VirtualChildren<S, M, E> {
  readonly parentPath: string;
  private readonly prefix: string;
  private readonly active = new Map<string, Active>();
  /** added with `fresh` and not activated since */
  private readonly fresh = new Set<string>();
  /** added with `startsFrom` and not activated since */
  private readonly starts = new Map<string, NonNullable<PersistentActorSpec<S, M, E>['startsFrom']>>();
  /** adds and removes whose index write is not committed yet */
  private readonly changes = new Map<string, { present: boolean; write: Promise<void> }>();
  /** how many of `changes` are adds */
  private adding = 0;
  /** summaries of passivations whose index write is not committed yet (a read would not see them) */
  private readonly unwritten = new Map<string, { summary: unknown }>();
  private total: number;
  private sweep: Timer | undefined;
  private disposed = false;

  /** @internal made by ActorSystem.spawnVirtualKind */
  constructor(
    private readonly system: ActorSystem,
    private readonly store: RuntimeStore,
    private readonly parent: AnyRef,
    private readonly spec: VirtualKindSpec<S, M, E>,
    private readonly budget?: ActiveBudget,
  ) {
    if (!(spec.idleAfterMs > 0)) throw new Error('virtual children need idleAfterMs > 0');
    this.parentPath = refPath(parent);
    this.prefix = `${VIRTUAL_INDEX}${this.parentPath}|`;
    this.total = store.count(this.prefix);
  }

  get kind(): string {
    return this.spec.kind;
  }

  /** @internal the message that makes a child declare its own virtual children, when it declares them later (VirtualKindSpec.declaresChildrenLater) */
  wakeMessage(): M | undefined {
    return this.spec.declaresChildrenLater?.wake();
  }

  /** The address of the child `name`: sending to it (or asking it) activates it when passive. */
  ref(name: string): Ref<M> {
    const parts = [...(this.parent.type === 'system' ? [] : this.parent.path.parts), name];
    return { type: 'actor', path: { parts }, name, system: { name: this.system.name } } as Ref<M>;
  }

  /** Whether `name` is one of the children (in the index), active or not. An active one is (`remove` stops it first): no read. */
  has(name: string): boolean {
    const change = this.changes.get(name);
    if (change) return change.present;
    // every child is an add not committed yet (a new parent's first ones): the store has no other
    if (this.total === this.adding) return false;
    return this.active.has(name) || this.store.get(this.prefix + name) !== undefined;
  }

  /**
   * Records the child `name` in the index (no activation); resolves once durable. `fresh`: its
   * journal key has never been written, so its first activation (on this node, before a
   * restart) reads no journal (`PersistentActorSpec.fresh`). `startsFrom`: the events the caller
   * journals for it now (`ActorSystem.journal`); its first activation folds them, reading nothing
   * (`PersistentActorSpec.startsFrom`).
   */
  add(name: string, options: { fresh?: boolean; startsFrom?: PersistentActorSpec<S, M, E>['startsFrom'] } = {}): Promise<void> {
    if (!/^[a-z0-9\-$_.+!*'(),]+$/i.test(name)) throw new Error(`bad virtual child name "${name}"`);
    const change = this.changes.get(name);
    if (change?.present) return change.write;
    if (!change && this.has(name)) return Promise.resolve();
    if (options.fresh) this.fresh.add(name);
    if (options.startsFrom) this.starts.set(name, options.startsFrom);
    this.total += 1;
    return this.change(name, true, this.store.put(this.prefix + name, {} satisfies IndexRecord));
  }

  /**
   * Stops the child `name` if active and removes it from the index (its journal and timers are
   * the caller's to delete); resolves once durable.
   */
  remove(name: string): Promise<void> {
    const live = this.active.get(name);
    if (live) {
      this.active.delete(name);
      this.budget?.delete(live);
      this.system.stop(live.ref as AnyRef);
    }
    this.unwritten.delete(name);
    this.fresh.delete(name);
    this.starts.delete(name);
    const change = this.changes.get(name);
    if (change && !change.present) return change.write;
    if (!this.has(name)) return Promise.resolve();
    this.total -= 1;
    return this.change(name, false, this.store.remove(this.prefix + name));
  }

  /** Remembers an index write until it is committed: reads would not see it before. */
  private change(name: string, present: boolean, write: Promise<void>): Promise<void> {
    const change = { present, write };
    const replaced = this.changes.get(name);
    if (replaced?.present) this.adding -= 1;
    if (present) this.adding += 1;
    this.changes.set(name, change);
    const settled = () => {
      if (this.changes.get(name) !== change) return;
      this.changes.delete(name);
      if (present) this.adding -= 1;
    };
    write.then(settled, settled);
    return write;
  }

  /** Whether the child `name` is alive now. */
  isActive(name: string): boolean {
    return this.active.has(name);
  }

  counts(): VirtualCounts {
    return { kind: this.spec.kind, total: this.total, active: this.active.size, passive: this.total - this.active.size };
  }

  /** The children in name order from the index, `limit` of them after `after`; none is activated. */
  list(options: { after?: string; limit?: number } = {}): VirtualChildInfo[] {
    const page = this.store.range<IndexRecord>(this.prefix, { limit: options.limit ?? 100, ...(options.after === undefined ? {} : { after: this.prefix + options.after }) });
    return page.map(({ key, value }) => {
      const name = key.slice(this.prefix.length);
      const path = `${this.parentPath}/${name}`;
      const status = this.active.has(name) ? 'active' : this.system.registry.quarantined(path) ? 'quarantined' : 'passive';
      return { name, path, status, summary: (this.unwritten.get(name)?.summary ?? value.s) ?? null };
    });
  }

  /**
   * @internal Activates the child `name` for a message or an ask on its path: spawns it (it
   * replays its journal and holds what arrives meanwhile in its mailbox). Returns why it cannot.
   */
  activate(name: string): NactRef | DeadLetterReason {
    const live = this.active.get(name);
    if (live) {
      const actor = findActor(live.ref);
      if (actor && !actor.stopped) return live.ref;
      // stopped by its policy (or its parent's restart), its afterStop not run yet: a new activation
      this.active.delete(name);
      this.budget?.delete(live);
    }
    if (this.disposed || !findActor(this.parent as NactRef)) return 'no-such-actor';
    if (this.system.registry.quarantined(`${this.parentPath}/${name}`)) return 'quarantined';
    if (!this.has(name)) return 'no-such-actor';
    let spec: ReturnType<VirtualKindSpec<S, M, E>['spec']>;
    try {
      spec = this.spec.spec(name);
    } catch (error) {
      // the parent cannot say what the child is (its record is gone meanwhile): nobody to deliver to
      this.system.log.warn({ actor: `${this.parentPath}/${name}`, error: String(error) }, 'virtual.no-spec');
      return 'no-such-actor';
    }
    const fresh = this.fresh.delete(name);
    const startsFrom = this.starts.get(name);
    this.starts.delete(name);
    const record: Active = { ref: undefined as unknown as NactRef, lastAt: this.system.clock.now(), summary: spec.summary };
    const ref = this.system.spawnPersistent<S, M, E>(this.parent, {
      ...spec,
      ...(startsFrom ? { startsFrom } : fresh ? { fresh } : {}),
      kind: this.spec.kind,
      name,
      handle: (state, msg, ctx) => {
        record.lastAt = this.system.clock.now();
        this.budget?.touch(record);
        return spec.handle(state, msg, ctx);
      },
      afterStop: (state) => {
        if (this.active.get(name) === record) this.active.delete(name);
        this.budget?.delete(record);
        spec.afterStop?.(state);
      },
    }) as unknown as NactRef;
    record.ref = ref;
    this.active.set(name, record);
    this.budget?.add(record, () => this.passivate(name, record));
    this.armSweep();
    this.spec.onActivate?.(ref as unknown as Ref<M>, name);
    return ref;
  }

  /** Passivates every active child idle for `idleAfterMs` whose state says it is idle; how many. */
  passivateIdle(): number {
    const now = this.system.clock.now();
    let stopped = 0;
    for (const [name, record] of this.active) {
      if (now - record.lastAt < this.spec.idleAfterMs) continue;
      if (this.passivate(name, record)) stopped += 1;
    }
    return stopped;
  }

  /**
   * Passivates the active child `name` now if nothing is in progress (its mailbox is empty, no
   * message in hand, no write in flight, no live children) and its state says it is idle; true
   * when it was stopped (or had stopped already).
   */
  private passivate(name: string, record: Active): boolean {
    const actor = findActor(record.ref);
    if (!actor || actor.stopped) {
      if (this.active.get(name) === record) this.active.delete(name);
      return true;
    }
    if (actor.busy || actor.mailbox.length > 0 || actor.auctorRecovering || actor.auctorWrites?.size) return false;
    // a parent stays while it has live children (its virtual ones passivate first), and while it
    // keeps quarantined ones: their marks go with it (registry.ts), and would be forgotten
    if (actor.children.size > 0 || this.system.registry.quarantinedChildren(`${this.parentPath}/${name}`).size > 0) return false;
    const state = actor.state as S;
    if (this.spec.isIdle && !this.spec.isIdle(state)) return false;
    this.active.delete(name);
    this.budget?.delete(record);
    const summary = summaryOf(record, state);
    this.system.stop(record.ref as AnyRef);
    // the journal is the truth; the index's summary is what a listing shows meanwhile
    const pending = { summary };
    this.unwritten.set(name, pending);
    this.store.put(this.prefix + name, { s: summary } satisfies IndexRecord).then(
      () => this.unwritten.get(name) === pending && this.unwritten.delete(name),
      (error: unknown) => this.system.log.error({ actor: `${this.parentPath}/${name}`, error: String(error) }, 'virtual.index-write-failed'),
    );
    return true;
  }

  /** @internal the parent stopped: no more activations; the active children stopped with it */
  dispose(): void {
    this.disposed = true;
    this.sweep?.cancel();
    this.sweep = undefined;
    for (const record of this.active.values()) this.budget?.delete(record);
    this.active.clear();
  }

  /** One clock timer per parent while it has active children: every idleAfterMs it passivates the idle ones. */
  private armSweep(): void {
    if (this.sweep || this.disposed) return;
    this.sweep = this.system.clock.setTimeout(() => {
      this.sweep = undefined;
      this.passivateIdle();
      if (this.active.size > 0) this.armSweep();
    }, this.spec.idleAfterMs);
  }
}

function summaryOf(record: Active, state: unknown): unknown {
  try {
    return record.summary ? (record.summary(state as never) ?? null) : null;
  } catch {
    return null;
  }
}
