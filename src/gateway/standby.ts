/**
 * The gateway of a standby control node (docs/054-control-group.md): it runs no control actors,
 * so it answers `/v1/ping` and `/v1/leader` and sends every other request to the active (307), or
 * 503 with Retry-After while none leads. It is replaced by the full gateway, on the same address,
 * once the node wins.
 */
import Fastify from 'fastify';
import { requireToken } from './auth.js';
import { errorBody } from './errors.js';
import { redirect, registerLeader, type GatewayLeadership } from './leader.js';
import type { Gateway } from './server.js';

export async function startStandbyGateway(leadership: GatewayLeadership, host: string, port: number, options: { token?: string } = {}): Promise<Gateway> {
  const app = Fastify({ logger: false, return503OnClosing: true });
  // as the full gateway: route schemas document, they do not validate or serialize
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // bodies are never read here: the fence answers before any parsing
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  if (options.token) requireToken(app, options.token);
  app.get('/v1/ping', async () => ({ available: true }));
  registerLeader(app, leadership);
  app.setNotFoundHandler((request, reply) => redirect(request, reply, leadership));
  app.setErrorHandler((error, _request, reply) => reply.code(500).send(errorBody('UnknownError', (error as Error).message)));
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${bound}`, port: bound, close: () => app.close() };
}
