/** `/v1/tasks`: desire, list, get, cancel and resolve Tasks (API.md). */
import type { FastifyInstance } from 'fastify';
import type { TaskFilter } from '../actors/tasks.protocol.js';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { listingBody } from './json-rows.js';
import { stringParam } from './params.js';
import { errorResponses, ref, schemaRefs } from './schemas.js';

type GuidParams = { Params: { task_guid: string } };

export function registerTasks(app: FastifyInstance, { control }: GatewayDeps): void {
  app.post('/v1/tasks', {
    schema: { summary: 'Desire a task; it is auctioned at once', tags: ['tasks'], body: ref('TaskRequest'), response: { 201: ref('Task'), ...schemaRefs.bodyErrors, ...errorResponses(409) } },
  }, async (request, reply) => {
    const result = await control.desireTask(request.body);
    return result.ok ? reply.code(201).send(result.value) : sendError(reply, result.error);
  });

  app.get<{ Querystring: { domain?: string; cell_id?: string } }>('/v1/tasks', {
    schema: {
      summary: 'List tasks',
      tags: ['tasks'],
      querystring: { type: 'object', properties: { domain: { type: 'string' }, cell_id: { type: 'string' } } },
      response: { 200: { type: 'array', items: ref('Task') }, ...schemaRefs.unavailable },
    },
  }, async (request, reply) => {
    const filter: TaskFilter = {};
    const domain = stringParam(request.query.domain);
    const cellId = stringParam(request.query.cell_id);
    if (domain !== undefined) filter.domain = domain;
    if (cellId !== undefined) filter.cell_id = cellId;
    return listingBody(reply, await control.tasks(filter));
  });

  app.get<GuidParams>('/v1/tasks/:task_guid', {
    schema: { summary: 'One task', tags: ['tasks'], response: { 200: ref('Task'), ...schemaRefs.notFound } },
  }, async (request, reply) => {
    const task = await control.getTask(request.params.task_guid);
    return task ?? sendError(reply, notFound(`task ${request.params.task_guid}`));
  });

  app.post<GuidParams>('/v1/tasks/:task_guid/cancel', {
    schema: { summary: 'Cancel: PENDING or RUNNING → COMPLETED, failed, "task was cancelled"', tags: ['tasks'], response: { 204: schemaRefs.noContent, ...errorResponses(404, 409) } },
  }, async (request, reply) => {
    const result = await control.cancelTask(request.params.task_guid);
    return result.ok ? reply.code(204).send() : sendError(reply, result.error);
  });

  app.delete<GuidParams>('/v1/tasks/:task_guid', {
    schema: { summary: 'Resolve: a COMPLETED (or RESOLVING) task is deleted', tags: ['tasks'], response: { 204: schemaRefs.noContent, ...errorResponses(404, 409) } },
  }, async (request, reply) => {
    const result = await control.resolveTask(request.params.task_guid);
    return result.ok ? reply.code(204).send() : sendError(reply, result.error);
  });
}
