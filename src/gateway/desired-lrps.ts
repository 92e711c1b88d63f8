/** `/v1/desired_lrps`: desire, list, get, update and remove DesiredLRPs (API.md). */
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { listingBody } from './json-rows.js';
import { stringParam } from './params.js';
import { errorResponses, ref, schemaRefs } from './schemas.js';

type GuidParams = { Params: { process_guid: string } };

export function registerDesiredLrps(app: FastifyInstance, { control }: GatewayDeps): void {
  app.post('/v1/desired_lrps', {
    schema: { summary: 'Desire an LRP', tags: ['lrps'], body: ref('DesiredLRPRequest'), response: { 201: ref('DesiredLRP'), ...schemaRefs.bodyErrors, ...errorResponses(409) } },
  }, async (request, reply) => {
    const result = await control.desireLrp(request.body);
    return result.ok ? reply.code(201).send(result.value) : sendError(reply, result.error);
  });

  app.get<{ Querystring: { domain?: string } }>('/v1/desired_lrps', {
    schema: { summary: 'List DesiredLRPs', tags: ['lrps'], querystring: { type: 'object', properties: { domain: { type: 'string' } } }, response: { 200: { type: 'array', items: ref('DesiredLRP') }, ...schemaRefs.unavailable } },
  }, async (request, reply) => {
    const domain = stringParam(request.query.domain);
    return listingBody(reply, await control.lrps(domain === undefined ? {} : { domain }));
  });

  app.get<GuidParams>('/v1/desired_lrps/:process_guid', {
    schema: { summary: 'One DesiredLRP', tags: ['lrps'], response: { 200: ref('DesiredLRP'), ...schemaRefs.notFound } },
  }, async (request, reply) => {
    const desired = await control.getLrp(request.params.process_guid);
    return desired ?? sendError(reply, notFound(`desired lrp ${request.params.process_guid}`));
  });

  app.patch<GuidParams>('/v1/desired_lrps/:process_guid', {
    schema: { summary: 'Update instances, routes, annotation, metric_tags or crash_policy', tags: ['lrps'], body: ref('DesiredLRPUpdate'), response: { 200: ref('DesiredLRP'), ...schemaRefs.bodyErrors, ...schemaRefs.notFound } },
  }, async (request, reply) => {
    const result = await control.updateLrp(request.params.process_guid, request.body);
    return result.ok ? result.value : sendError(reply, result.error);
  });

  app.delete<GuidParams>('/v1/desired_lrps/:process_guid', {
    schema: { summary: 'Remove a DesiredLRP and stop all its instances', tags: ['lrps'], response: { 204: schemaRefs.noContent, ...schemaRefs.notFound } },
  }, async (request, reply) => {
    const result = await control.removeLrp(request.params.process_guid);
    return result.ok ? reply.code(204).send() : sendError(reply, result.error);
  });
}
