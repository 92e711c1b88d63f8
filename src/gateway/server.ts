/**
 * The admin REST gateway (API.md "REST gateway"), on fastify. One route file per resource;
 * this file assembles them with what every route shares: JSON bodies of any declared content
 * type, a body size limit, bearer auth, Auctor's error bodies, and a 404 for unknown paths.
 * Every body is checked once as it is parsed (`checkJsonBounds`): nested at most 32 deep, every
 * string well-formed Unicode, so no route, actor or other node ever gets one that is not.
 *
 * Fastify's schema validation and serialization are off: route schemas document the API
 * (`/openapi.json`), while the models' validators, run by the control actors, are the one
 * source of truth for what is valid.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { registerActors } from './actors.js';
import { registerActualLrps } from './actual-lrps.js';
import { BadUrlAnswers } from './bad-url.js';
import { requireToken } from './auth.js';
import { registerCells } from './cells.js';
import { registerConsole } from './console.js';
import { registerDesiredLrps } from './desired-lrps.js';
import { registerDomains } from './domains.js';
import { errorBody, fromFastifyError } from './errors.js';
import { registerMetrics } from './metrics.js';
import { registerEvents } from './events.js';
import { fenceRequests, registerLeader } from './leader.js';
import { registerLogs } from './logs.js';
import { registerMembers } from './members.js';
import { collectRoutes, registerOpenApi } from './openapi.js';
import { registerQuarantine } from './quarantine.js';
import { registerTasks } from './tasks.js';
import { registerPlacements } from './placements.js';
import { registerTimelines } from './timelines.js';
import { AuctorError } from '../base/errors.js';
import { checkJsonBounds } from '../models/json-bounds.js';

/** Larger than any valid request (routes ≤ 128 KiB, annotation ≤ 10 KiB), small enough to refuse floods. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Fastify refuses a path parameter longer than 100 characters with a 414 of its own shape (a
 * guard for regex parameters, which no route has); Node's 16 KiB header limit bounds a URL
 * already, so the models judge a long guid or domain and name it.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

export interface GatewayOptions {
  /** bearer token every request must carry; none = no auth (loopback only: the CLI enforces it) */
  token?: string;
  bodyLimitBytes?: number;
  /** route files beyond the resources (events, actors, metrics, OpenAPI), registered in order */
  plugins?: Array<(app: FastifyInstance, deps: GatewayDeps) => void>;
}

export function buildGateway(deps: GatewayDeps, options: GatewayOptions = {}): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const badUrls = new BadUrlAnswers((error, reply) => {
    const { status, body } = fromFastifyError(error, bodyLimit);
    void reply.code(status).send(body);
  });
  const app = Fastify({
    bodyLimit,
    logger: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // a malformed URL gets Auctor's error body too, naming the parameter when the path is not UTF-8
    frameworkErrors: badUrls.handler,
  });
  collectRoutes(app); // before any route, for /openapi.json
  badUrls.collect(app); // and to name the parameter of a path that is not UTF-8
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // every body is JSON whatever its declared type: `curl -d @lrp.json` sends form-urlencoded
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return done(new AuctorError('InvalidJSON', `invalid JSON: ${(error as Error).message}`), undefined);
    }
    try {
      checkJsonBounds(parsed);
    } catch (error) {
      return done(error as AuctorError, undefined);
    }
    done(null, parsed);
  });

  if (options.token) requireToken(app, options.token);
  // in a control group: nothing served or acknowledged unless this node holds the lead (leader.ts)
  if (deps.leadership) {
    fenceRequests(app, deps.leadership);
    registerLeader(app, deps.leadership);
  }
  // the operator console at `/`: its routes are declared open, the hook above lets them through
  registerConsole(app);

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = fromFastifyError(error as { statusCode?: number; code?: string; message: string }, bodyLimit);
    if (status >= 500) deps.log.error({ method: request.method, url: request.url, error: (error as Error).stack ?? String(error) }, 'gateway.request-failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody('ResourceNotFound', `no route: ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.get('/v1/ping', { schema: { summary: 'Liveness', tags: ['node'], response: { 200: { type: 'object', properties: { available: { type: 'boolean' } } } } } }, async () => ({ available: true }));
  for (const register of [registerDomains, registerDesiredLrps, registerActualLrps, registerTasks, registerPlacements, registerTimelines, registerQuarantine, registerCells, registerEvents, registerLogs, registerActors, registerMembers, registerMetrics, registerOpenApi, ...(options.plugins ?? [])]) register(app, deps);
  return app;
}

export interface Gateway {
  /** `http://host:port` it listens on */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 picks one). */
export async function startGateway(deps: GatewayDeps, host: string, port: number, options: GatewayOptions = {}): Promise<Gateway> {
  const app = buildGateway(deps, options);
  await app.listen({ host, port });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${bound}`, port: bound, close: () => app.close() };
}
