/**
 * The node's virtual children by parent (virtual.ts): what the kernel consults when a message,
 * an ask or a durable timer finds no live actor at a path, before calling it a dead letter.
 */
import type { RuntimeStore } from '../persistence/runtime-store.js';
import { typeOf, type DeadLetterReason } from './delivery.js';
import type { DurableTimers } from './durable-timers.js';
import { findActor, type NactActor, type NactRef } from './nact-internals.js';
import { refPath, type AnyRef } from './protocol.js';
import type { ActorSystem } from './system.js';
import { ActiveBudget } from './active-budget.js';
import { VirtualChildren, type VirtualCounts, type VirtualKindSpec } from './virtual.js';

/**
 * Messages for the children of a parent just activated that declares its virtual children later
 * (VirtualKindSpec.declaresChildrenLater): they wait here, in order, until it declares them or stops.
 */
export interface PendingActivation {
  readonly pending: true;
  /** holds `msg` for the child until its parent declared its virtual children */
  dispatch(msg: unknown): void;
  /** resolves once the parent declared its children, or stopped (then the messages were dead letters) */
  readonly settled: Promise<void>;
}

interface Waiting {
  parent: NactRef;
  messages: Array<{ name: string; msg: unknown }>;
  settled: Promise<void>;
  settle: () => void;
}

export class VirtualKinds {
  private readonly byParent = new Map<string, { parent: AnyRef; children: VirtualChildren<unknown, unknown, unknown> }>();
  /** by parent path: what waits for that parent to declare its virtual children */
  private readonly waiting = new Map<string, Waiting>();
  /** by kind: the active limits (VirtualKindSpec.activeLimit) */
  private readonly budgets = new Map<string, ActiveBudget>();

  constructor(
    private readonly system: ActorSystem,
    private readonly store: RuntimeStore | undefined,
    private readonly timers: DurableTimers | undefined,
  ) {}

  /** See ActorSystem.spawnVirtualKind. */
  declare<S, M, E>(parent: AnyRef, spec: VirtualKindSpec<S, M, E>): VirtualChildren<S, M, E> {
    if (!this.store) throw new Error('virtual children need a persistence engine with a runtime store');
    if (parent.type !== 'actor' && parent.type !== 'system') throw new Error('virtual children need a local parent');
    const path = parent.type === 'system' ? '' : refPath(parent);
    const existing = this.byParent.get(path);
    if (existing && existing.parent === parent) throw new Error(`${path || '/'} already declared its virtual children`);
    existing?.children.dispose();
    const children = new VirtualChildren<S, M, E>(this.system, this.store, parent, spec, this.budgetOf(spec));
    this.byParent.set(path, { parent, children: children as unknown as VirtualChildren<unknown, unknown, unknown> });
    this.timers?.fireParked(path);
    this.flushWaiting(path, children as unknown as VirtualChildren<unknown, unknown, unknown>);
    return children;
  }

  /** The kind's shared active limit, made by its first declaration that sets one. */
  private budgetOf(spec: { kind: string; activeLimit?: number }): ActiveBudget | undefined {
    let budget = this.budgets.get(spec.kind);
    if (!budget && spec.activeLimit !== undefined) this.budgets.set(spec.kind, (budget = new ActiveBudget(spec.kind, spec.activeLimit, this.system.clock)));
    return budget;
  }

  /** The active limits by kind: how many are active, how many were passivated to keep within each, and how many looks that took. */
  budgetCounts(): Array<{ kind: string; limit: number; active: number; shed: number; checked: number }> {
    return [...this.budgets.values()].map((b) => ({ kind: b.kind, limit: b.limit, active: b.active, shed: b.shed, checked: b.checked }));
  }

  /** The parent at `path` declared its children: what waited for them is handed over, in order. */
  private flushWaiting(path: string, children: VirtualChildren<unknown, unknown, unknown> | undefined): void {
    const waiting = this.waiting.get(path);
    if (!waiting) return;
    this.waiting.delete(path);
    for (const { name, msg } of waiting.messages) {
      const ref = children ? children.activate(name) : 'no-such-actor';
      const actor = typeof ref === 'string' ? undefined : findActor(ref);
      if (actor) actor.dispatch(msg);
      else this.system.deadLetter({ to: `${path}/${name}`, type: typeOf(msg), reason: typeof ref === 'string' ? ref : 'no-such-actor' });
    }
    waiting.settle();
  }

  /**
   * A message for the child `name` of the live `parent` at `path`, which has not declared its
   * children yet: it waits for that; the first one sends the parent `wake` so that it does.
   */
  private waitFor(path: string, parent: NactActor, name: string, wake: unknown): PendingActivation {
    let waiting = this.waiting.get(path);
    if (!waiting || (waiting.parent as unknown) !== parent.reference) {
      let settle!: () => void;
      const settled = new Promise<void>((resolve) => (settle = resolve));
      waiting = { parent: parent.reference as NactRef, messages: [], settled, settle };
      this.waiting.set(path, waiting);
      parent.dispatch(wake);
    }
    const entry = waiting;
    return { pending: true, settled: entry.settled, dispatch: (msg) => void entry.messages.push({ name, msg }) };
  }

  /** The message that makes the actor at `path` declare its children, if it is a virtual child of a kind that declares them later. */
  private wakeOf(path: string): unknown {
    const cut = path.lastIndexOf('/');
    return cut < 0 ? undefined : this.byParent.get(path.slice(0, cut))?.children.wakeMessage();
  }

  /**
   * The live actor for `path` once a virtual child there is activated; why not when its parent
   * declared virtual children but this one cannot be (quarantined, unknown); undefined when
   * the path is no virtual child at all.
   */
  activate(path: string): NactActor | PendingActivation | DeadLetterReason | undefined {
    if (this.byParent.size === 0) return undefined;
    const cut = path.lastIndexOf('/');
    if (cut < 0) return undefined;
    const parentPath = path.slice(0, cut);
    let children = this.byParent.get(parentPath)?.children;
    // the parent may be a passive virtual child itself: activating it declares its children again
    // (onActivate), or later (declaresChildrenLater: the message waits for that)
    if (!children && parentPath !== '') {
      const parent = this.activate(parentPath);
      if (parent === undefined || typeof parent === 'string' || 'pending' in parent) return undefined;
      children = this.byParent.get(parentPath)?.children;
      const wake = children ? undefined : this.wakeOf(parentPath);
      if (wake !== undefined) return this.waitFor(parentPath, parent, path.slice(cut + 1), wake);
    }
    if (!children) return undefined;
    const ref = children.activate(path.slice(cut + 1));
    if (typeof ref === 'string') return ref;
    return findActor(ref) ?? 'no-such-actor';
  }

  /** The counts of the virtual children of the actor at `path`, if it declared any. */
  counts(path: string): VirtualCounts | undefined {
    return this.byParent.get(path)?.children.counts();
  }

  /** The virtual children of `path`, if it declared any. */
  of(path: string): VirtualChildren<unknown, unknown, unknown> | undefined {
    return this.byParent.get(path)?.children;
  }

  /** The actor at `path` (`ref`) stopped: the virtual children it declared go with it. */
  stopped(path: string, ref: NactRef): void {
    const waiting = this.waiting.get(path);
    if (waiting && (waiting.parent as unknown) === ref) this.flushWaiting(path, undefined);
    const declared = this.byParent.get(path);
    if (!declared || (declared.parent as unknown) !== ref) return;
    declared.children.dispose();
    this.byParent.delete(path);
  }

  clear(): void {
    for (const { children } of this.byParent.values()) children.dispose();
    this.byParent.clear();
    for (const path of [...this.waiting.keys()]) this.flushWaiting(path, undefined);
  }
}
