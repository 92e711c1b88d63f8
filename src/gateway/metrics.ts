/**
 * `GET /metrics` (API.md): the node's figures as Prometheus text, and every gateway request's
 * latency by method, route pattern and status (docs/033-metrics.md).
 */
import type { FastifyInstance } from 'fastify';
import { NodeMetrics } from '../metrics/node-metrics.js';
import type { GatewayDeps } from './deps.js';

/** Label of requests no route matched: the raw URL would make one series per probe. */
export const UNMATCHED_ROUTE = 'unmatched';

export function registerMetrics(app: FastifyInstance, deps: GatewayDeps): void {
  let metrics = deps.metrics;
  if (!metrics) {
    // a gateway built without the node's metrics (tests) still serves its own
    const own = new NodeMetrics({ system: deps.system });
    own.watchControl(deps.control);
    app.addHook('onClose', async () => own.close());
    metrics = own;
  }
  const node = metrics;
  app.addHook('onResponse', async (request, reply) => {
    node.httpRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics', description: 'Prometheus text exposition format 0.0.4', tags: ['node'] },
  }, async (_request, reply) => reply.type(node.contentType).send(await node.scrape()));
}
