/**
 * Every live actor of one node, for introspection (the gateway's `/v1/actors`). The kernel adds
 * an entry when it spawns an actor and removes it once the actor has stopped; live figures
 * (mailbox length, status) are read from nact's actor object when asked, so the hot path only
 * pays for a timestamp per message.
 */
import { findActor, type NactRef } from './nact-internals.js';
import { refPath } from './protocol.js';
import type { ProtocolSchema } from './protocol-schema.js';

export type ActorStatus = 'recovering' | 'running' | 'stopped';

export interface ActorFailure {
  message: string;
  /** ms since the epoch */
  at: number;
}

/** What an operator sees of one actor. */
export interface ActorInfo {
  path: string;
  name: string;
  kind: string;
  parent: string | null;
  status: ActorStatus;
  restarts: number;
  lastFailure: ActorFailure | null;
  mailbox: number;
  /** ms since the epoch of the last message handled, null before the first (stamped once per turn: it may lag by up to 64 messages or 2 ms) */
  lastMessageAt: number | null;
  /** what the actor chooses to expose of its state */
  summary: unknown;
  persistenceKey?: string;
  /** ms since the epoch it was spawned or last restarted */
  since: number;
  /** the messages it accepts from outside; none when absent */
  protocol?: ProtocolSchema;
}

export interface ActorTreeNode extends ActorInfo {
  children: ActorTreeNode[];
}

/** The registry's record of one actor; the kernel keeps it to stamp messages without a lookup. */
export interface RegistryEntry {
  ref: NactRef;
  kind: string;
  parent: string | null;
  restarts: number;
  lastFailure: ActorFailure | null;
  lastMessageAt: number | null;
  summarize?: (state: unknown) => unknown;
  persistenceKey?: string;
  since: number;
  protocol?: ProtocolSchema;
}

/** What the kernel knows of an actor when it spawns it, besides its ref, kind and parent. */
export interface RegistryOptions {
  summarize?: (state: unknown) => unknown;
  persistenceKey?: string;
  protocol?: ProtocolSchema;
  /** ms since the epoch */
  since: number;
}

export class ActorRegistry {
  private readonly entries = new Map<string, RegistryEntry>();
  private deadLetterCount = 0;

  /** Called by the kernel when it spawns an actor; it sets `lastMessageAt` on the entry itself. */
  add(ref: NactRef, kind: string, parent: string | null, options: RegistryOptions): RegistryEntry {
    const entry: RegistryEntry = { ref, kind, parent, restarts: 0, lastFailure: null, lastMessageAt: null, ...options };
    this.entries.set(refPath(ref), entry);
    return entry;
  }

  /** Called once the actor has stopped, so stopped actors leave the registry. */
  remove(path: string, ref: NactRef): void {
    // A new actor may have been spawned under the same name before the old one's afterStop ran.
    if (this.entries.get(path)?.ref === ref) this.entries.delete(path);
  }

  failed(path: string, error: unknown, at: number): void {
    const entry = this.entries.get(path);
    if (entry) entry.lastFailure = { message: describeError(error), at };
  }

  restarted(path: string, at: number): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    entry.restarts += 1;
    entry.since = at;
  }

  deadLetter(): void {
    this.deadLetterCount += 1;
  }

  /** Messages sent to actors that had stopped or never existed. */
  get deadLetters(): number {
    return this.deadLetterCount;
  }

  get size(): number {
    return this.entries.size;
  }

  get(path: string): ActorInfo | undefined {
    const entry = this.entries.get(path);
    return entry && this.describe(path, entry);
  }

  list(): ActorInfo[] {
    return [...this.entries].map(([path, entry]) => this.describe(path, entry));
  }

  /** Paths of the live actors whose parent is `path` (null: the top-level actors). */
  childrenOf(path: string | null): string[] {
    return [...this.entries].filter(([, e]) => e.parent === path).map(([p]) => p);
  }

  /**
   * The tree under `path` (or every top-level actor when omitted), `depth` levels deep
   * (1 = the roots only).
   */
  tree(path?: string, depth = Number.POSITIVE_INFINITY): ActorTreeNode[] {
    const byParent = new Map<string | null, ActorInfo[]>();
    for (const info of this.list()) {
      const siblings = byParent.get(info.parent) ?? [];
      siblings.push(info);
      byParent.set(info.parent, siblings);
    }
    const build = (info: ActorInfo, level: number): ActorTreeNode => ({
      ...info,
      children: level >= depth ? [] : (byParent.get(info.path) ?? []).sort(byPath).map((c) => build(c, level + 1)),
    });
    const roots = path === undefined ? (byParent.get(null) ?? []) : [this.get(path)].filter((x): x is ActorInfo => !!x);
    return roots.sort(byPath).map((r) => build(r, 1));
  }

  private describe(path: string, entry: RegistryEntry): ActorInfo {
    const actor = findActor(entry.ref);
    const status: ActorStatus = !actor || actor.stopped ? 'stopped' : actor.auctorRecovering ? 'recovering' : 'running';
    let summary: unknown = null;
    if (actor && entry.summarize) {
      try {
        summary = entry.summarize(actor.state);
      } catch (error) {
        summary = { error: `summary failed: ${describeError(error)}` };
      }
    }
    return {
      path,
      name: entry.ref.name ?? path.slice(path.lastIndexOf('/') + 1),
      kind: entry.kind,
      parent: entry.parent,
      status,
      restarts: entry.restarts,
      lastFailure: entry.lastFailure,
      mailbox: actor?.mailbox.length ?? 0,
      lastMessageAt: entry.lastMessageAt,
      summary,
      ...(entry.persistenceKey === undefined ? {} : { persistenceKey: entry.persistenceKey }),
      since: entry.since,
      ...(entry.protocol ? { protocol: entry.protocol } : {}),
    };
  }
}

function byPath(a: ActorInfo, b: ActorInfo): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
