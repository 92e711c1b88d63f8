/**
 * A small Server-Sent Events client for tests, on node:http with a fresh connection: it parses
 * the stream as the SSE spec does (fields per line, an event per blank line, `:` comments) and
 * keeps everything it read, or hands each event to `onEvent` (bench/support/running-watch.ts
 * reads hundreds of thousands). A non-200 answer keeps its body instead.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseOptions {
  /** called with each event as it is parsed */
  onEvent?: (event: SseEvent) => void;
  /** keep the events in `events`; default true */
  keep?: boolean;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  /** the body of a non-200 answer */
  body = '';
  /** resolves when the server ends or breaks the stream, or `close()` is called */
  readonly ended: Promise<void>;
  private pending = '';
  private current: { id?: string; event?: string; data: string[] } = { data: [] };

  private constructor(private readonly res: IncomingMessage, private readonly options: SseOptions) {
    res.setEncoding('utf8');
    this.ended = new Promise((resolve) => res.once('close', () => resolve()));
    res.on('error', () => {});
    res.on('data', (chunk: string) => (res.statusCode === 200 ? this.parse(chunk) : (this.body += chunk)));
  }

  /** Connects; resolves once the status and headers are in. */
  static open(url: string, headers: Record<string, string> = {}, options: SseOptions = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      request(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false }, (res) => resolve(new SseClient(res, options)))
        .on('error', reject)
        .end();
    });
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.res.headers;
  }

  /** Resolves with the events once `done(events)` holds; rejects after `timeoutMs`. */
  async waitFor(done: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.events)) {
      if (Date.now() > deadline) throw new Error(`SSE: condition not met within ${timeoutMs}ms; got ${this.events.map((e) => `${e.id}:${e.event}`).join(' ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.events;
  }

  /** Closes the connection from the client's side. */
  close(): Promise<void> {
    this.res.destroy();
    return this.ended;
  }

  private parse(chunk: string): void {
    this.pending += chunk;
    let newline: number;
    while ((newline = this.pending.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + (this.pending.startsWith('\r\n', newline) ? 2 : 1));
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      const { id, event, data } = this.current;
      if (data.length > 0) {
        const parsed = { id, event: event ?? 'message', data: data.join('\n') };
        if (this.options.keep !== false) this.events.push(parsed);
        this.options.onEvent?.(parsed);
      }
      this.current = { data: [] };
      return;
    }
    if (line.startsWith(':')) return void this.comments.push(line.slice(1).trim());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') this.current.id = value;
    else if (field === 'event') this.current.event = value;
    else if (field === 'data') this.current.data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}
