/**
 * The event hub: every change the control side makes is published here, in the order it was
 * made durable, and the gateway serves `events$` as SSE later. Not an actor: publishing is a
 * synchronous fan-out with no state worth supervising.
 */
import { Subject, type Observable } from 'rxjs';
import type { AuctorEvent } from '../models/events.js';

export class EventHub {
  private readonly subject = new Subject<AuctorEvent>();
  readonly events$: Observable<AuctorEvent> = this.subject.asObservable();

  publish(event: AuctorEvent): void {
    this.subject.next(event);
  }

  publishAll(events: readonly AuctorEvent[]): void {
    for (const event of events) this.subject.next(event);
  }

  close(): void {
    this.subject.complete();
  }
}
