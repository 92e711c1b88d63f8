/**
 * One SSE subscriber's bounded writer. Frames go straight to the sink while it accepts them;
 * once `write` returns false (the socket's buffer is full) they queue here until 'drain', and
 * when the queue would pass `limitBytes` the subscriber is too slow: the writer stops for good
 * and calls `onOverflow` once, so the caller can disconnect it. Memory per subscriber is thus
 * at most the sink's own high-water mark plus `limitBytes` plus one frame.
 */

/** The part of `http.ServerResponse` the writer uses. */
export interface SseSink {
  /** Writes a chunk; false when the caller should wait for 'drain'. */
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

/** A frame to send: its text and its size in bytes (counted once, shared by every subscriber). */
export interface SseFrame {
  text: string;
  bytes: number;
}

export function sseFrame(text: string): SseFrame {
  return { text, bytes: Buffer.byteLength(text) };
}

/** `id`/`event`/`data` lines and the blank line that ends an event; `data` must hold no newline. */
export function formatEvent(id: number, type: string, data: string): string {
  return `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;
}

/** A comment line: ignored by clients, keeps proxies from timing the connection out. */
export function formatComment(text: string): string {
  return `: ${text}\n\n`;
}

export class SseWriter {
  private readonly queue: SseFrame[] = [];
  private queuedBytes = 0;
  private waiting = false;
  private stopped = false;

  constructor(
    private readonly sink: SseSink,
    private readonly limitBytes: number,
    private readonly onOverflow: (queuedBytes: number) => void,
  ) {}

  /** Bytes waiting here for 'drain' (not counting what the sink buffers itself). */
  get backlogBytes(): number {
    return this.queuedBytes;
  }

  /** Whether the sink asked to wait: a heartbeat then has no point. */
  get backlogged(): boolean {
    return this.waiting;
  }

  /** Whether the writer overflowed or was stopped: it sends nothing more. */
  get done(): boolean {
    return this.stopped;
  }

  /**
   * Sends or queues `frame`. Returns false when the writer is done, including when this frame
   * would pass the bound (then `onOverflow` has been called and nothing more is sent).
   */
  send(frame: SseFrame): boolean {
    if (this.stopped) return false;
    if (!this.waiting) {
      if (!this.sink.write(frame.text)) {
        this.waiting = true;
        this.sink.once('drain', this.flush);
      }
      return true;
    }
    if (this.queuedBytes + frame.bytes > this.limitBytes) {
      const queued = this.queuedBytes;
      this.stop();
      this.onOverflow(queued);
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.bytes;
    return true;
  }

  /** Sends nothing more and lets go of the queue; the caller ends the response. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (this.waiting) this.sink.removeListener('drain', this.flush);
  }

  private readonly flush = (): void => {
    this.waiting = false;
    let sent = 0;
    while (sent < this.queue.length && !this.stopped) {
      const frame = this.queue[sent++]!;
      this.queuedBytes -= frame.bytes;
      if (!this.sink.write(frame.text)) {
        this.waiting = true;
        this.sink.once('drain', this.flush);
        break;
      }
    }
    this.queue.splice(0, sent);
  };
}
