/** `/v1/actual_lrps`: instances, one LRP's instances, one instance, retiring one (API.md). */
import type { FastifyInstance } from 'fastify';
import type { ActualLrpFilter } from '../actors/lrps.protocol.js';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { listingBody } from './json-rows.js';
import { stringParam, wholeNumber } from './params.js';
import { errorResponses, ref, schemaRefs } from './schemas.js';

type IndexParams = { Params: { process_guid: string; index: string } };
const list = { type: 'array', items: ref('ActualLRP') };

export function registerActualLrps(app: FastifyInstance, { control }: GatewayDeps): void {
  app.get<{ Querystring: { domain?: string; cell_id?: string; process_guid?: string } }>('/v1/actual_lrps', {
    schema: {
      summary: 'List ActualLRPs',
      tags: ['lrps'],
      querystring: { type: 'object', properties: { domain: { type: 'string' }, cell_id: { type: 'string' }, process_guid: { type: 'string' } } },
      response: { 200: list, ...schemaRefs.unavailable },
    },
  }, async (request, reply) => {
    const filter: ActualLrpFilter = {};
    const { domain, cell_id, process_guid } = request.query;
    if (stringParam(domain) !== undefined) filter.domain = domain!;
    if (stringParam(cell_id) !== undefined) filter.cell_id = cell_id!;
    if (stringParam(process_guid) !== undefined) filter.process_guid = process_guid!;
    return listingBody(reply, await control.actualLrps(filter));
  });

  app.get<{ Params: { process_guid: string } }>('/v1/actual_lrps/:process_guid', {
    schema: { summary: "One LRP's instances", tags: ['lrps'], response: { 200: list, ...schemaRefs.unavailable } },
  }, async (request) => control.actualLrps({ process_guid: request.params.process_guid }));

  app.get<IndexParams>('/v1/actual_lrps/:process_guid/index/:index', {
    schema: { summary: 'One instance (its ORDINARY row first)', tags: ['lrps'], params: schemaRefs.indexParams, response: { 200: ref('ActualLRP'), ...errorResponses(400, 404) } },
  }, async (request, reply) => {
    const index = wholeNumber(request.params.index, 'index');
    const rows = await control.actualLrps({ process_guid: request.params.process_guid, index });
    // the ORDINARY row when there is one, else the SUSPECT or EVACUATING copy
    const row = rows.find((a) => a.presence === 'ORDINARY') ?? rows[0];
    return row ?? sendError(reply, notFound(`actual lrp ${request.params.process_guid}/${index}`));
  });

  app.delete<IndexParams>('/v1/actual_lrps/:process_guid/index/:index', {
    schema: { summary: 'Retire (stop) one instance; a fresh one replaces it', tags: ['lrps'], params: schemaRefs.indexParams, response: { 204: schemaRefs.noContent, ...errorResponses(400, 404) } },
  }, async (request, reply) => {
    const index = wholeNumber(request.params.index, 'index');
    const result = await control.retireActualLrp(request.params.process_guid, index);
    return result.ok ? reply.code(204).send() : sendError(reply, result.error);
  });
}
