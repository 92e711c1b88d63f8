/**
 * Bearer-token auth (API.md): with a token set, every request must carry
 * `Authorization: Bearer <token>` (compared in constant time), or it gets 401 and nothing else.
 * The one exception is a route declared with `config: { open: true }`: the console's page and
 * its code (`console.ts`), which hold no data; every API route stays closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether `header` carries `token`; hashing first makes the comparison length-independent. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!.trim()), digest(token));
}

export function requireToken(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request, reply) => {
    if ((request.routeOptions.config as { open?: boolean } | undefined)?.open === true) return;
    if (bearerMatches(request.headers.authorization, token)) return;
    return reply.code(401).header('www-authenticate', 'Bearer').send(errorBody('Unauthorized', 'missing or wrong bearer token'));
  });
}
