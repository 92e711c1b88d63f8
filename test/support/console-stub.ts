/**
 * A stand-in gateway for the console's browser tests and bench: the real page and its modules
 * (`registerConsole`), the API's GET listings answered from functions the caller gives, and an
 * event stream whose every connection the caller writes by hand (to drop it, answer 410, ...).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsole } from '../../src/gateway/console.js';

export interface ConsoleStubOptions {
  /** GET path -> its JSON answer (a string is sent as it is: prepared JSON) */
  answers: Record<string, () => unknown>;
  /** writes one `/v1/events` connection; `n` counts them from 0. Default: headers and a quiet stream */
  events?: (request: IncomingMessage, response: ServerResponse, n: number) => void;
  /** more routes */
  routes?: (app: FastifyInstance) => void;
}

export interface ConsoleStub {
  url: string;
  /** how many times each GET path of `answers` was asked */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** Starts an SSE answer the way the gateway does. */
export function openEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  response.write('retry: 2000\n: stub events\n\n');
}

/** One SSE frame. */
export const sseFrame = (id: number, type: string, data: unknown): string => `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

export async function startConsoleStub(options: ConsoleStubOptions): Promise<ConsoleStub> {
  const app = Fastify({ logger: false });
  registerConsole(app);
  const calls = new Map<string, number>();
  for (const [path, answer] of Object.entries(options.answers)) {
    app.get(path, (_request, reply) => {
      calls.set(path, (calls.get(path) ?? 0) + 1);
      const body = answer();
      return reply.header('content-type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));
    });
  }
  let connections = 0;
  app.get('/v1/events', (request, reply) => {
    reply.hijack();
    const n = connections++;
    if (options.events) options.events(request.raw, reply.raw, n);
    else openEventStream(reply.raw);
  });
  options.routes?.(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    calls,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
