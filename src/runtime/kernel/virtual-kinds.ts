/**
 * The node's virtual children by parent (virtual.ts): what the kernel consults when a message,
 * an ask or a durable timer finds no live actor at a path, before calling it a dead letter.
 */
import type { RuntimeStore } from '../persistence/runtime-store.js';
import type { DeadLetterReason } from './delivery.js';
import type { DurableTimers } from './durable-timers.js';
import { findActor, type NactActor, type NactRef } from './nact-internals.js';
import { refPath, type AnyRef } from './protocol.js';
import type { ActorSystem } from './system.js';
import { VirtualChildren, type VirtualCounts, type VirtualKindSpec } from './virtual.js';

export class VirtualKinds {
  private readonly byParent = new Map<string, { parent: AnyRef; children: VirtualChildren<unknown, unknown, unknown> }>();

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
    const children = new VirtualChildren<S, M, E>(this.system, this.store, parent, spec);
    this.byParent.set(path, { parent, children: children as unknown as VirtualChildren<unknown, unknown, unknown> });
    this.timers?.fireParked(path);
    return children;
  }

  /**
   * The live actor for `path` once a virtual child there is activated; why not when its parent
   * declared virtual children but this one cannot be (quarantined, unknown); undefined when
   * the path is no virtual child at all.
   */
  activate(path: string): NactActor | DeadLetterReason | undefined {
    if (this.byParent.size === 0) return undefined;
    const cut = path.lastIndexOf('/');
    if (cut < 0) return undefined;
    const parentPath = path.slice(0, cut);
    let children = this.byParent.get(parentPath)?.children;
    // the parent may be a passive virtual child itself: activating it declares its children again (onActivate)
    if (!children && parentPath !== '' && typeof this.activate(parentPath) === 'object') children = this.byParent.get(parentPath)?.children;
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
    const declared = this.byParent.get(path);
    if (!declared || (declared.parent as unknown) !== ref) return;
    declared.children.dispose();
    this.byParent.delete(path);
  }

  clear(): void {
    for (const { children } of this.byParent.values()) children.dispose();
    this.byParent.clear();
  }
}
