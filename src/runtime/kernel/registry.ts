/**
 * Every live actor of one node, for introspection (the gateway's `/v1/actors`). The kernel adds
 * an entry when it spawns an actor and removes it once the actor has stopped; live figures
 * (mailbox length, status) are read from nact's actor object when asked, so the hot path only
 * pays for a timestamp per message.
 *
 * It also keeps the quarantined actors (stopped for good by their policy, docs/011
 * "Quarantine"): shown in the tree with status `quarantined` until their parent releases them,
 * spawns a new actor in their place, or stops itself.
 */
import { findActor, type NactRef } from './nact-internals.js';
import { refPath } from './protocol.js';
import type { ProtocolSchema } from './protocol-schema.js';

export type ActorStatus = 'recovering' | 'running' | 'stopped' | 'quarantined';

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
  /** set when it declared virtual children: how many, from their index (the active ones are also its children in the tree) */
  virtual?: { kind: string; total: number; active: number; passive: number };
}

export interface ActorTreeNode extends ActorInfo {
  children: ActorTreeNode[];
}

/** An actor its policy quarantined: stopped, and kept here with the failure that spent its restarts. */
export interface QuarantinedActor {
  path: string;
  name: string;
  kind: string;
  parent: string | null;
  persistenceKey?: string;
  /** the failure it was quarantined for; `at` is when (ms since the epoch) */
  failure: ActorFailure;
  restarts: number;
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
  /** quarantined actors by parent path, then name */
  private readonly quarantines = new Map<string | null, Map<string, QuarantinedActor>>();
  private quarantineCount = 0;
  private deadLetterCount = 0;
  /** set by the kernel: the counts of the virtual children an actor declared, and what to do when one stops */
  virtualHooks: { counts(path: string): ActorInfo['virtual'] | undefined; stopped(path: string, ref: NactRef): void } | undefined;

  /**
   * Called by the kernel when it spawns an actor; it sets `lastMessageAt` on the entry itself.
   * An actor spawned where a quarantined one was replaces it: its parent chose to try again.
   */
  add(ref: NactRef, kind: string, parent: string | null, options: RegistryOptions): RegistryEntry {
    const entry: RegistryEntry = { ref, kind, parent, restarts: 0, lastFailure: null, lastMessageAt: null, ...options };
    const path = refPath(ref);
    this.entries.set(path, entry);
    if (this.quarantineCount > 0) this.release(path);
    return entry;
  }

  /**
   * Called once the actor has stopped, so stopped actors leave the registry, and with them the
   * quarantined children they kept.
   */
  remove(path: string, ref: NactRef): void {
    // A new actor may have been spawned under the same name before the old one's afterStop ran.
    if (this.entries.get(path)?.ref !== ref) return;
    this.entries.delete(path);
    this.virtualHooks?.stopped(path, ref);
    const kept = this.quarantines.get(path);
    if (kept) {
      this.quarantineCount -= kept.size;
      this.quarantines.delete(path);
    }
  }

  /**
   * Marks the live actor at `path` quarantined with `error` (the kernel then stops it): its entry
   * and its own quarantined children give way to a {@link QuarantinedActor}. Undefined when not live.
   */
  quarantine(path: string, error: unknown, at: number): QuarantinedActor | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    this.remove(path, entry.ref);
    const name = nameOf(path, entry.ref);
    const marked: QuarantinedActor = {
      path, name, kind: entry.kind, parent: entry.parent,
      ...(entry.persistenceKey === undefined ? {} : { persistenceKey: entry.persistenceKey }),
      failure: { message: describeError(error), at },
      restarts: entry.restarts,
    };
    const siblings = this.quarantines.get(entry.parent) ?? new Map<string, QuarantinedActor>();
    if (!siblings.has(name)) this.quarantineCount += 1;
    siblings.set(name, marked);
    this.quarantines.set(entry.parent, siblings);
    return marked;
  }

  /** The quarantined children of `parent` (null: top level), by name. */
  quarantinedChildren(parent: string | null): ReadonlyMap<string, QuarantinedActor> {
    return this.quarantines.get(parent) ?? NO_QUARANTINES;
  }

  /** The quarantined actor at `path`, if any. */
  quarantined(path: string): QuarantinedActor | undefined {
    const cut = path.lastIndexOf('/');
    return this.quarantines.get(cut <= 0 ? null : path.slice(0, cut))?.get(path.slice(cut + 1));
  }

  /** Every quarantined actor of the node, by path. */
  allQuarantined(): QuarantinedActor[] {
    return [...this.quarantines.values()].flatMap((m) => [...m.values()]).sort(byPath);
  }

  /** Forgets the quarantined actor at `path` and returns it; undefined when there was none. */
  release(path: string): QuarantinedActor | undefined {
    const marked = this.quarantined(path);
    if (!marked) return undefined;
    const siblings = this.quarantines.get(marked.parent)!;
    siblings.delete(marked.name);
    if (siblings.size === 0) this.quarantines.delete(marked.parent);
    this.quarantineCount -= 1;
    return marked;
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

  /** The live actor at `path`, or else the quarantined one. */
  get(path: string): ActorInfo | undefined {
    const entry = this.entries.get(path);
    if (entry) return this.describe(path, entry);
    const marked = this.quarantineCount > 0 ? this.quarantined(path) : undefined;
    return marked && quarantinedInfo(marked);
  }

  list(): ActorInfo[] {
    return [...this.entries].map(([path, entry]) => this.describe(path, entry));
  }

  /**
   * Every live actor's kind, mailbox length and restarts, for a metrics scrape: none of what
   * {@link list} adds (summaries of each actor's state, virtual children's counts), which cost a
   * scrape about 1 s of CPU at 100k instances.
   */
  tally(visit: (kind: string, mailbox: number, restarts: number) => void): void {
    for (const entry of this.entries.values()) visit(entry.kind, findActor(entry.ref)?.mailbox.length ?? 0, entry.restarts);
  }

  /** Paths of the live actors whose parent is `path` (null: the top-level actors). */
  childrenOf(path: string | null): string[] {
    return [...this.entries].filter(([, e]) => e.parent === path).map(([p]) => p);
  }

  /**
   * The tree under `path` (or every top-level actor when omitted), `depth` levels deep
   * (1 = the roots only); quarantined actors are leaves with status `quarantined`.
   */
  tree(path?: string, depth = Number.POSITIVE_INFINITY): ActorTreeNode[] {
    const byParent = new Map<string | null, ActorInfo[]>();
    for (const info of [...this.list(), ...this.allQuarantined().map(quarantinedInfo)]) {
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
      name: nameOf(path, entry.ref),
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
      ...this.virtualOf(path),
    };
  }

  private virtualOf(path: string): { virtual?: ActorInfo['virtual'] } {
    const counts = this.virtualHooks?.counts(path);
    return counts ? { virtual: counts } : {};
  }
}

const NO_QUARANTINES: ReadonlyMap<string, QuarantinedActor> = new Map();

function nameOf(path: string, ref: NactRef): string {
  return ref.name ?? path.slice(path.lastIndexOf('/') + 1);
}

function quarantinedInfo(q: QuarantinedActor): ActorInfo {
  return {
    path: q.path, name: q.name, kind: q.kind, parent: q.parent, status: 'quarantined', restarts: q.restarts,
    lastFailure: q.failure, mailbox: 0, lastMessageAt: null, summary: null,
    ...(q.persistenceKey === undefined ? {} : { persistenceKey: q.persistenceKey }),
    since: q.failure.at,
  };
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
