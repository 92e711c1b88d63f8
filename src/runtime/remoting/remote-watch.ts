/**
 * Remote death-watch at node granularity: membership says when a node's incarnation is down,
 * and every watch on that node (made while that incarnation or an older one was current) fires
 * once and is gone. A restarted node is a new incarnation: watches made on it are not touched
 * by news of the old one. Which incarnations went down is remembered, so watching one of them
 * fires at once.
 */
import type { Logger } from '../../base/logger.js';
import { describeError } from '../kernel/registry.js';

export interface NodeDown {
  node: string;
  incarnation: number;
  reason: string;
}

interface Watch {
  /** the incarnation watched; undefined: whichever goes down next */
  incarnation: number | undefined;
  notify(down: NodeDown): void;
}

export class DeathWatch {
  private readonly watches = new Map<string, Set<Watch>>();
  /** per node, the newest incarnation known to be down */
  private readonly downed = new Map<string, NodeDown>();

  constructor(private readonly log: Logger) {}

  /** Calls `notify` once when `node` (at `incarnation`, if given) goes down; the result cancels it. */
  watch(node: string, incarnation: number | undefined, notify: (down: NodeDown) => void): () => void {
    const known = this.downed.get(node);
    if (known && incarnation !== undefined && incarnation <= known.incarnation) {
      queueMicrotask(() => this.call(notify, known));
      return () => {};
    }
    const entry: Watch = { incarnation, notify };
    let set = this.watches.get(node);
    if (!set) this.watches.set(node, (set = new Set()));
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.watches.get(node) === set) this.watches.delete(node);
    };
  }

  /** True when `incarnation` of `node` is known to be down. */
  isDown(node: string, incarnation: number | undefined): boolean {
    const known = this.downed.get(node);
    return known !== undefined && incarnation !== undefined && incarnation <= known.incarnation;
  }

  /** Membership re-admitted `incarnation` of `node` (a healed link): it is no longer down. */
  nodeUp(node: string, incarnation: number): void {
    if (this.downed.get(node)?.incarnation === incarnation) this.downed.delete(node);
  }

  /** Tells (once) every watch of `down.node` at `down.incarnation` or older; how many were told. */
  nodeDown(down: NodeDown): number {
    const known = this.downed.get(down.node);
    if (!known || known.incarnation < down.incarnation) this.downed.set(down.node, down);
    const set = this.watches.get(down.node);
    if (!set) return 0;
    let told = 0;
    for (const entry of [...set]) {
      if (entry.incarnation !== undefined && entry.incarnation > down.incarnation) continue;
      set.delete(entry);
      this.call(entry.notify, down);
      told++;
    }
    if (set.size === 0) this.watches.delete(down.node);
    return told;
  }

  /** Watches still waiting. */
  get size(): number {
    let n = 0;
    for (const set of this.watches.values()) n += set.size;
    return n;
  }

  clear(): void {
    this.watches.clear();
  }

  private call(notify: (down: NodeDown) => void, down: NodeDown): void {
    try {
      notify(down);
    } catch (error) {
      this.log.error({ node: down.node, error: describeError(error) }, 'remoting.watcher-failed');
    }
  }
}
