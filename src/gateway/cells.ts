/** `/v1/cells`: the live cells with capacity, what is free and what they run (API.md). */
import type { FastifyInstance } from 'fastify';
import type { CellView } from '../actors/cells.protocol.js';
import type { GatewayDeps } from './deps.js';
import { sendError } from './errors.js';
import { ref, schemaRefs } from './schemas.js';

/** The `Cell` model: the presence, plus the cell's own figures when it answered in time. */
export function cellModel({ presence, state }: CellView): Record<string, unknown> {
  return {
    ...presence,
    // a cell that does not say (an older node) enforces nothing as far as anyone can tell
    enforces: presence.enforces ?? [],
    available_resources: state?.available_resources ?? null,
    lrp_count: state?.lrps.length ?? null,
    task_count: state?.tasks.length ?? null,
    starting_container_count: state?.starting_container_count ?? null,
    evacuating: state?.evacuating ?? presence.evacuating ?? false,
    // null when the cell did not answer within the state timeout
    reachable: state !== undefined,
  };
}

export function registerCells(app: FastifyInstance, deps: GatewayDeps): void {
  const { control } = deps;
  app.get('/v1/cells', {
    schema: { summary: 'Live cells', tags: ['cells'], response: { 200: { type: 'array', items: ref('Cell') }, ...schemaRefs.unavailable } },
  }, async () => (await control.cellViews()).map(cellModel).sort((a, b) => String(a.cell_id).localeCompare(String(b.cell_id))));

  app.post<{ Params: { cell_id: string } }>('/v1/cells/:cell_id/evacuate', {
    schema: {
      summary: 'Drain a cell: it takes no new work, its instances start elsewhere first, then its containers stop',
      tags: ['cells'],
      response: { 202: ref('Cell'), ...schemaRefs.errors },
    },
  }, async (request, reply) => {
    const result = await control.evacuateCell(request.params.cell_id);
    // 202: the cell accepted; the drain goes on in the background (watch GET /v1/cells or the events)
    return result.ok ? reply.code(202).send(result.value) : sendError(reply, result.error);
  });
}
