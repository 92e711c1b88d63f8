/**
 * Why an instance or a task is not placed (docs/030-api.md "Placement"): the last auction's
 * failure with each cell's shortfall, from the control's bounded store (control-inspection.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { notFound, sendError } from './errors.js';
import { wholeNumber } from './params.js';
import { consoleSchemas, errorResponses, schemaRefs } from './schemas.js';

export function registerPlacements(app: FastifyInstance, { control }: GatewayDeps): void {
  app.get<{ Params: { process_guid: string; index: string } }>('/v1/actual_lrps/:process_guid/:index/placement', {
    schema: {
      summary: "Why an unplaced instance's last auction failed, cell by cell",
      tags: ['lrps'],
      params: schemaRefs.indexParams,
      response: { 200: consoleSchemas.instancePlacement, ...errorResponses(400, 404) },
    },
  }, async (request, reply) => {
    const { process_guid } = request.params;
    const index = wholeNumber(request.params.index, 'index');
    const placement = await control.inspect.instancePlacement(process_guid, index);
    return placement ?? sendError(reply, notFound(`placement failure of actual lrp ${process_guid}/${index}`));
  });

  app.get<{ Params: { task_guid: string } }>('/v1/tasks/:task_guid/placement', {
    schema: {
      summary: "Why a task's last auction failed, cell by cell (while it has no cell)",
      tags: ['tasks'],
      response: { 200: consoleSchemas.taskPlacement, ...errorResponses(404) },
    },
  }, async (request, reply) => {
    const placement = await control.inspect.taskPlacement(request.params.task_guid);
    return placement ?? sendError(reply, notFound(`placement failure of task ${request.params.task_guid}`));
  });
}
