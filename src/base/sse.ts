/** A Server-Sent Events reader (the WHATWG event-stream format), fed chunks as they arrive: the CLI and the router read the gateway's streams with it. */

export interface SseMessage {
  /** the last `id` seen, as SSE carries it over; '' before any */
  id: string;
  /** the `event` field; `message` when absent */
  event: string;
  data: string;
}

export class SseParser {
  private buffer = '';
  private lastId = '';
  private event = '';
  private data: string[] = [];

  /** Feeds text; returns the messages it completed (a blank line ends one). */
  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // a lone `\r` at the end may be the first half of `\r\n`: wait for more
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const message = { id: this.lastId, event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.lastId = value;
    return undefined;
  }
}

/** Reads an SSE response body to its end, calling `onMessage` for each message. */
export async function readSse(body: ReadableStream<Uint8Array>, onMessage: (message: SseMessage) => void): Promise<void> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    for (const message of parser.push(decoder.decode(chunk, { stream: true }))) onMessage(message);
  }
}
