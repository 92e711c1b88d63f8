/**
 * The gateway's view of the node's event hub: it numbers every event from 0 in the order the
 * hub publishes them (one counter per node run, so every subscriber sees the same id for the
 * same event), formats each once as an SSE frame shared by all subscribers, keeps the most
 * recent frames so a client can resume after `Last-Event-ID`, and fans them out.
 *
 * The hub publishes synchronously from inside the control actors, so a listener must be quick
 * and must not throw into them: a listener's exception is reported and the listener dropped.
 */
import type { Observable, Subscription } from 'rxjs';
import type { AuctorEvent, EventType } from '../models/events.js';
import { formatEvent, sseFrame, type SseFrame } from './sse-writer.js';

/** What the journal reads: the hub's stream (`EventHub` fits). */
export interface EventFeed {
  readonly events$: Observable<AuctorEvent>;
}

export interface JournalEntry extends SseFrame {
  id: number;
  type: EventType;
}

export type JournalListener = (entry: JournalEntry) => void;

export interface JournalOptions {
  /** recent events kept for resuming, by count … */
  keepEvents: number;
  /** … and by bytes of frames, whichever is reached first */
  keepBytes: number;
  /** a listener threw; it has been removed */
  onListenerError?: (error: unknown) => void;
}

/** Why a resume cannot be served: the events after `after` are not all kept. */
export interface ResumeGap {
  after: number;
  /** the oldest id kept, or undefined when nothing is */
  oldest: number | undefined;
  /** the id the next event will get */
  next: number;
}

export class EventJournal {
  private next = 0;
  private readonly recent: JournalEntry[] = [];
  private recentBytes = 0;
  private readonly listeners = new Set<JournalListener>();
  private readonly subscription: Subscription;

  constructor(feed: EventFeed, private readonly options: JournalOptions) {
    this.subscription = feed.events$.subscribe((event) => this.append(event));
  }

  /** The id the next event will get. */
  get nextId(): number {
    return this.next;
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /**
   * Whether a resume after `after` can be served: undefined if every event after it is still
   * kept, else the gap (some were dropped, or `after` is an id this run never gave).
   */
  gapAfter(after: number): ResumeGap | undefined {
    const oldest = this.recent[0]?.id;
    const missing = after >= this.next || (after + 1 < this.next && (oldest === undefined || oldest > after + 1));
    return missing ? { after, oldest, next: this.next } : undefined;
  }

  /**
   * Adds a listener for every event from now on and returns its removal. With `after`, first
   * replays (synchronously, so nothing is missed or repeated) the kept events whose id is
   * greater; check `gapAfter` first: a gap here is a bug and throws.
   */
  subscribe(listener: JournalListener, after?: number): () => void {
    if (after !== undefined) {
      if (this.gapAfter(after)) throw new Error(`events after ${after} are not kept`);
      for (let i = this.recent.length - (this.next - 1 - after); i < this.recent.length; i++) listener(this.recent[i]!);
    }
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Stops reading the hub and forgets every listener. */
  dispose(): void {
    this.subscription.unsubscribe();
    this.listeners.clear();
    this.recent.length = 0;
    this.recentBytes = 0;
  }

  private append(event: AuctorEvent): void {
    const id = this.next++;
    const entry: JournalEntry = { id, type: event.type, ...sseFrame(formatEvent(id, event.type, JSON.stringify(event.data))) };
    if (this.options.keepEvents > 0) {
      this.recent.push(entry);
      this.recentBytes += entry.bytes;
      while (this.recent.length > this.options.keepEvents || (this.recent.length > 1 && this.recentBytes > this.options.keepBytes)) {
        this.recentBytes -= this.recent.shift()!.bytes;
      }
    }
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch (error) {
        this.listeners.delete(listener);
        this.options.onListenerError?.(error);
      }
    }
  }
}
