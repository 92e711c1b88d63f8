/**
 * Remote death-watch at the node level: a watcher learns once when the node (one incarnation)
 * behind a remote actor is gone: judged down, left, or replaced by a newer incarnation. Remote
 * refs use it to fail pending queries and to tell watching actors; an actor stopping on a live
 * node is the remote side's business (the kernel's own death-watch).
 */
import type { MemberEvent } from './member-table.js';
import type { Member } from './member.js';
import { isAlive } from './member.js';

export type TerminationReason = 'down' | 'left' | 'replaced' | 'unknown';

export interface NodeTerminated {
  node: string;
  incarnation: number | undefined;
  reason: TerminationReason;
}

/** What the watch needs of Membership. */
export interface MemberSource {
  member(name: string): Member | undefined;
  onEvent(handler: (event: MemberEvent) => void): () => void;
}

interface Watch {
  node: string;
  incarnation: number;
  notify: (terminated: NodeTerminated) => void;
}

export class DeathWatch {
  private readonly watches = new Set<Watch>();
  private readonly unsubscribe: () => void;

  constructor(private readonly members: MemberSource) {
    this.unsubscribe = members.onEvent((event) => this.onEvent(event));
  }

  /**
   * Calls `notify` once when `node` (the given incarnation, else the one known now) is down, has
   * left or was replaced. A node not known as alive (and not joining) counts as gone already:
   * `notify` runs on the next microtask. Returns the unwatch.
   */
  watch(node: string, incarnation: number | undefined, notify: (terminated: NodeTerminated) => void): () => void {
    const member = this.members.member(node);
    const gone = (reason: TerminationReason) => {
      queueMicrotask(() => notify({ node, incarnation, reason }));
      return () => {};
    };
    if (!member) return gone('unknown');
    if (incarnation !== undefined && incarnation < member.incarnation) return gone('replaced');
    if (incarnation === undefined || incarnation === member.incarnation) {
      if (member.status === 'left') return gone('left');
      if (!isAlive(member.status)) return gone('down');
    }
    const watch: Watch = { node, incarnation: incarnation ?? member.incarnation, notify };
    this.watches.add(watch);
    return () => this.watches.delete(watch);
  }

  /** How many watches are waiting. */
  get size(): number {
    return this.watches.size;
  }

  dispose(): void {
    this.unsubscribe();
    this.watches.clear();
  }

  private onEvent(event: MemberEvent): void {
    const reason: TerminationReason | undefined =
      event.type === 'member-left' ? 'left' : event.type === 'member-down' ? (event.reason === 'replaced' ? 'replaced' : 'down') : undefined;
    const { name, incarnation } = event.member;
    let failure: unknown;
    for (const watch of [...this.watches]) {
      const hit = watch.node === name && (reason ? watch.incarnation === incarnation : event.type === 'member-up' && watch.incarnation < incarnation);
      if (!hit) continue;
      this.watches.delete(watch);
      try {
        watch.notify({ node: name, incarnation: watch.incarnation, reason: reason ?? 'replaced' });
      } catch (error) {
        failure ??= error;
      }
    }
    // every watcher was told; the first failure goes to Membership, which logs it
    if (failure !== undefined) throw failure;
  }
}
