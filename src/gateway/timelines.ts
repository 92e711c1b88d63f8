/**
 * An instance's timeline (docs/030-api.md "Timeline"): the scheduler's decisions about one index
 * (placements and their failures, claims, crashes with their backoff, evacuation, suspicion,
 * replacement, removal), read from its journal without waking its actor (actual-lrp.timeline.ts).
 */
import type { FastifyInstance } from 'fastify';
import { invalidField } from '../base/errors.js';
import { TIMELINE_DEFAULT_LIMIT, TIMELINE_MAX_LIMIT } from '../actors/actual-lrp.timeline.js';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { optionalWholeNumber, wholeNumber } from './params.js';
import { consoleSchemas, errorResponses, schemaRefs } from './schemas.js';

export function registerTimelines(app: FastifyInstance, { control }: GatewayDeps): void {
  app.get<{ Params: { process_guid: string; index: string }; Querystring: { limit?: string } }>('/v1/actual_lrps/:process_guid/:index/timeline', {
    schema: {
      summary: "One instance's timeline from its journal, oldest first",
      tags: ['lrps'],
      params: schemaRefs.indexParams,
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: TIMELINE_MAX_LIMIT, default: TIMELINE_DEFAULT_LIMIT, description: 'the last N entries' } } },
      response: { 200: consoleSchemas.instanceTimeline, ...errorResponses(400, 404) },
    },
  }, async (request, reply) => {
    const { process_guid } = request.params;
    const index = wholeNumber(request.params.index, 'index');
    const limit = optionalWholeNumber(request.query.limit, 'limit') ?? TIMELINE_DEFAULT_LIMIT;
    if (limit < 1 || limit > TIMELINE_MAX_LIMIT) throw invalidField('limit', `must be in 1..${TIMELINE_MAX_LIMIT}, got ${limit}`);
    const timeline = await control.inspect.instanceTimeline(process_guid, index, limit);
    return timeline ?? sendError(reply, notFound(`actual lrp ${process_guid}/${index}`));
  });
}
