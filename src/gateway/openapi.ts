/**
 * `GET /openapi.json`: the gateway as an OpenAPI 3.1 document, generated from the routes fastify
 * registered and their `schema` objects, with the models' JSON Schemas as components. Nothing
 * is written twice: a route added anywhere (also by `options.plugins`) shows up by itself.
 *
 * `collectRoutes(app)` must run before any route is added (fastify's `onRoute` hook only sees
 * later routes); `buildGateway` calls it first. The document is built on the first request,
 * once every route is registered.
 */
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { GatewayDeps } from './deps.js';
import { DEFAULT_MAX_INSTANCES } from '../models/limits.js';
import { MODEL_SCHEMAS, withMaxInstances } from '../models/schemas.js';

/** One route as fastify registered it. */
export interface CollectedRoute {
  method: string;
  /** fastify's path: `/v1/tasks/:task_guid`, `/v1/actors/*` */
  url: string;
  schema?: FastifySchema;
}

type Json = Record<string, unknown>;

const collected = new WeakMap<FastifyInstance, CollectedRoute[]>();

/** Starts recording the routes added to `app` from now on. */
export function collectRoutes(app: FastifyInstance): void {
  const routes: CollectedRoute[] = [];
  collected.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      // HEAD routes are fastify's automatic twins of GET routes
      if (method !== 'HEAD') routes.push({ method, url: route.url ?? route.path, ...(route.schema ? { schema: route.schema } : {}) });
    }
  });
}

/** Serves `GET /openapi.json`; `collectRoutes(app)` must have run first. */
export function registerOpenApi(app: FastifyInstance, deps: GatewayDeps): void {
  const routes = collected.get(app);
  if (!routes) throw new Error('registerOpenApi: call collectRoutes(app) before adding routes');
  let document: Json | undefined;
  app.get('/openapi.json', {
    schema: { summary: 'This API, machine-readable', tags: ['meta'], response: { 200: { type: 'object', description: 'an OpenAPI 3.1 document' } } },
  }, async () => (document ??= openApiDocument(routes, packageVersion(), deps.control.settings?.maxInstances ?? DEFAULT_MAX_INSTANCES)));
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The OpenAPI 3.1 document for `routes`, on a node that allows `maxInstances` per DesiredLRP. */
export function openApiDocument(routes: readonly CollectedRoute[], version: string, maxInstances = DEFAULT_MAX_INSTANCES): Json {
  const paths: Record<string, Json> = {};
  const tags = new Set<string>();
  for (const route of [...routes].sort((a, b) => a.url.localeCompare(b.url))) {
    const { path, params } = openApiPath(route.url);
    (route.schema?.tags ?? []).forEach((tag) => tags.add(tag));
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route, path, params);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Auctor',
      version,
      description: 'The admin REST gateway of an Auctor control node. Every request body is parsed as JSON whatever its Content-Type; errors are {"error": {"type", "message"}}.',
    },
    paths,
    components: {
      schemas: withMaxInstances(MODEL_SCHEMAS, maxInstances),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'required when the node was started with --api-token (which it must be when --api is not loopback)' },
      },
    },
    security: [{ bearer: [] }],
    tags: [...tags].sort().map((name) => ({ name })),
  };
}

/** `/v1/tasks/:task_guid` → `/v1/tasks/{task_guid}`; a trailing `*` becomes `{path}`. */
function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url
    .replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, (_match, name: string) => {
      params.push(name);
      return `{${name}}`;
    })
    .replace(/\*$/, () => {
      params.push('path');
      return '{path}';
    });
  return { path, params };
}

function operation(route: CollectedRoute, path: string, pathParams: string[]): Json {
  const schema = route.schema ?? {};
  const paramSchemas = (schema.params as Json | undefined)?.['properties'] as Record<string, Json> | undefined;
  const query = schema.querystring as Json | undefined;
  const queryRequired = new Set((query?.['required'] as string[] | undefined) ?? []);
  const parameters = [
    ...pathParams.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: paramSchemas?.[name] ?? { type: 'string' },
      ...(name === 'path' && path.endsWith('{path}') ? { description: 'the rest of the path; may contain /' } : {}),
    })),
    ...Object.entries((query?.['properties'] as Record<string, Json> | undefined) ?? {}).map(([name, s]) => ({ name, in: 'query', required: queryRequired.has(name), schema: s })),
  ];
  return {
    operationId: schema.operationId ?? `${route.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(schema.description ? { description: schema.description } : {}),
    ...(schema.tags ? { tags: schema.tags } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(schema.body ? { requestBody: requestBody(schema.body as Json) } : {}),
    responses: responses(schema.response as Record<string, Json> | undefined),
  };
}

function requestBody(body: Json): Json {
  return { required: !acceptsNull(body), content: { 'application/json': { schema: body } } };
}

/** Whether a body schema (or the component it refers to) allows null, i.e. an empty body. */
function acceptsNull(schema: Json): boolean {
  const ref = typeof schema['$ref'] === 'string' ? schema['$ref'].replace('#/components/schemas/', '') : undefined;
  const target = (ref !== undefined ? (MODEL_SCHEMAS as Record<string, Json>)[ref] : schema) ?? {};
  const type = target['type'];
  return type === 'null' || (Array.isArray(type) && type.includes('null'));
}

/**
 * A route's `response` as OpenAPI responses: a JSON Schema becomes `application/json` content;
 * `{type: 'null'}` a body-less answer; fastify's `{content: {<type>: {schema}}}` form (SSE,
 * Prometheus text) is kept as it is. Every operation can also answer 401 when a token is set.
 */
function responses(response: Record<string, Json> | undefined): Json {
  const out: Record<string, Json> = {};
  for (const [status, schema] of Object.entries(response ?? {})) {
    const description = (schema['description'] as string | undefined) ?? STATUS_CODES[Number(status)] ?? status;
    if (schema['content'] !== undefined) out[status] = { description, content: schema['content'] };
    else if (schema['type'] === 'null') out[status] = { description };
    else out[status] = { description: STATUS_CODES[Number(status)] ?? status, content: { 'application/json': { schema } } };
  }
  if (Object.keys(out).length === 0) out['200'] = { description: 'OK' };
  out['401'] ??= { description: 'Unauthorized: a token is set and the request lacks it', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  return out;
}
