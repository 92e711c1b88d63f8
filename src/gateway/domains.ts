/** `/v1/domains`: fresh domains (API.md); freshness gates only destructive convergence. */
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { sendError } from './errors.js';
import { ref, schemaRefs } from './schemas.js';

export function registerDomains(app: FastifyInstance, { control }: GatewayDeps): void {
  app.get('/v1/domains', {
    schema: { summary: 'Fresh domains', tags: ['domains'], response: { 200: { type: 'array', items: { type: 'string' } }, ...schemaRefs.unavailable } },
  }, async () => control.domains());

  app.put<{ Params: { domain: string } }>('/v1/domains/:domain', {
    schema: { summary: 'Mark a domain fresh for ttl seconds (0 = forever)', tags: ['domains'], body: ref('DomainRequest'), response: { 204: schemaRefs.noContent, ...schemaRefs.bodyErrors } },
  }, async (request, reply) => {
    // an empty body is `{}`: fresh forever, as BBS's UpsertDomain with ttl 0
    const result = await control.upsertDomain(request.params.domain, request.body ?? {});
    return result.ok ? reply.code(204).send() : sendError(reply, result.error);
  });
}
