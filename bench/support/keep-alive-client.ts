/**
 * A REST client as Cloud Controller is one: keep-alive connections (at most `sockets` open, so
 * at most that many requests in flight), each answer read whole and timed.
 */
import { Agent, request } from 'node:http';
import { readAnswer, type HttpAnswer } from '../../test/support/gateway-node.js';

export interface TimedAnswer extends HttpAnswer {
  /** from sending the request to the end of the answer */
  ms: number;
}

export class KeepAliveClient {
  private readonly agent: Agent;

  constructor(private readonly url: string, readonly sockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }

  /** One request; rejects only when no answer came (connection refused or reset). */
  send(method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<TimedAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${path}`, {
        method,
        agent: this.agent,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      }, (res) => readAnswer(res).then((answer) => resolve({ ...answer, ms: performance.now() - t0 }), reject));
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the idle connections (the control node it talked to may be gone). */
  close(): void {
    this.agent.destroy();
  }
}

/** Runs `each` over `items`, at most `parallel` at a time, taking them in order. */
export async function inParallel<T>(items: readonly T[], parallel: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
}
