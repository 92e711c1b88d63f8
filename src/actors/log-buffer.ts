/**
 * What the containers on this node printed, kept for `GET /v1/actual_lrps/:guid/logs` and
 * `GET /v1/tasks/:guid/logs`: the last lines of each LRP (across its instances and their
 * restarts, so a crash's last words survive the restart) and of each task, with live
 * subscribers for `?follow=true`. Bounded twice: lines per LRP or task, and LRPs and tasks
 * kept (the least recently written go first). Not persisted: a node restart starts empty.
 */
import type { OutputLine } from '../garden/backend.js';

/** Whose output a line is. */
export type OutputOwner =
  | { kind: 'lrp'; process_guid: string; index: number; instance_guid: string }
  | { kind: 'task'; task_guid: string };

/** One line as the logs endpoints serve it. */
export interface LogLine {
  /** ms since the epoch */
  at: number;
  source: string;
  stream: OutputLine['stream'];
  line: string;
  index?: number;
  instance_guid?: string;
}

export interface LogBufferLimits {
  linesPerKey: number;
  keys: number;
}

export const DEFAULT_LOG_LIMITS: LogBufferLimits = { linesPerKey: 1000, keys: 5000 };

type Listener = (line: LogLine) => void;

/** A fixed-size ring of the latest lines. */
class Ring {
  private readonly items: LogLine[] = [];
  private start = 0;
  constructor(private readonly size: number) {}

  push(line: LogLine): void {
    if (this.items.length < this.size) this.items.push(line);
    else {
      this.items[this.start] = line;
      this.start = (this.start + 1) % this.size;
    }
  }

  /** the last `n` lines, oldest first */
  last(n: number): LogLine[] {
    const ordered = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    return n >= ordered.length ? ordered : ordered.slice(ordered.length - n);
  }
}

export const logKey = (owner: OutputOwner): string => (owner.kind === 'lrp' ? `lrp:${owner.process_guid}` : `task:${owner.task_guid}`);

export class LogBuffer {
  /** Map order is recency order: a write moves its key to the end */
  private readonly rings = new Map<string, Ring>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly limits: LogBufferLimits = DEFAULT_LOG_LIMITS) {}

  /** Keeps a line and hands it to the key's followers. */
  append(owner: OutputOwner, output: OutputLine): void {
    const key = logKey(owner);
    const line: LogLine = {
      at: output.at,
      source: output.source,
      stream: output.stream,
      line: output.line,
      ...(owner.kind === 'lrp' ? { index: owner.index, instance_guid: owner.instance_guid } : {}),
    };
    let ring = this.rings.get(key);
    if (ring) this.rings.delete(key);
    else {
      ring = new Ring(this.limits.linesPerKey);
      if (this.rings.size >= this.limits.keys) this.rings.delete(this.rings.keys().next().value!);
    }
    this.rings.set(key, ring);
    ring.push(line);
    for (const listener of this.listeners.get(key) ?? []) listener(line);
  }

  /** The last `tail` lines of `key` (see `logKey`), oldest first; `index` keeps one instance's. */
  lines(key: string, tail: number, index?: number): LogLine[] {
    const ring = this.rings.get(key);
    if (!ring) return [];
    if (index === undefined) return ring.last(tail);
    const mine = ring.last(this.limits.linesPerKey).filter((l) => l.index === index);
    return mine.slice(Math.max(0, mine.length - tail));
  }

  /** Calls `listener` with every new line of `key`; returns the unsubscribe. */
  follow(key: string, listener: Listener): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) this.listeners.delete(key);
    };
  }

  /** How many followers are attached (all keys): for tests and metrics. */
  get followers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
