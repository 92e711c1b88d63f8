/**
 * `/v1/actors`: the supervision tree, one actor, and messages to an actor (API.md, docs/032).
 *
 * Paths name the node first: `/<node>/<path in that node's tree>`, e.g. `/control-1/control/lrps`.
 * `GET /v1/actors` answers `{nodes: [{node, path, actors}]}`, one entry per node, so the cluster
 * issue adds nodes without changing the shape; today there is this node only.
 *
 * POST `/v1/actors/<path>/messages`: the last segment `messages` is the verb, so an actor named
 * `messages` is reached as `.../messages/messages`.
 */
import type { FastifyInstance } from 'fastify';
import type { ActorTreeNode } from '../actors/kernel/registry.js';
import type { Ref } from '../actors/kernel/protocol.js';
import { AskTimeoutError, AuctorError, invalidField } from '../models/errors.js';
import { msToNs } from '../models/time.js';
import { ActorMessageChecker, replyToJson } from './actor-messages.js';
import type { GatewayDeps } from './deps.js';
import { errorBody, sendError } from './errors.js';
import { flagParam, optionalWholeNumber } from './params.js';
import { ref } from './schemas.js';

export const DEFAULT_ASK_TIMEOUT_MS = 5_000;
export const MAX_ASK_TIMEOUT_MS = 60_000;

/** One actor as the API shows it; times in ns since the epoch, like the models' `since`. */
export interface ActorView {
  path: string;
  name: string;
  kind: string;
  status: string;
  restarts: number;
  last_failure: { message: string; at: number } | null;
  mailbox: number;
  since: number;
  last_message_at: number | null;
  summary: unknown;
  persistence_key?: string;
  /** live children, whether listed below or cut off by `depth` */
  children_count: number;
  children: ActorView[];
}

export interface NodeView {
  node: string;
  path: string;
  actors: ActorView[];
}

type Wildcard = { Params: { '*': string }; Querystring: Record<string, string | undefined> };

export function registerActors(app: FastifyInstance, deps: GatewayDeps): void {
  const checker = new ActorMessageChecker();
  const { node, system } = deps;
  const prefix = `/${node}`;

  /** The views under `path` (every top-level actor when omitted), `depth` levels deep. */
  const views = (path: string | undefined, depth: number): ActorView[] => {
    // one level more than shown, so the last shown level still knows how many children it has
    const toView = (n: ActorTreeNode, level: number): ActorView => ({
      path: prefix + n.path,
      name: n.name,
      kind: n.kind,
      status: n.status,
      restarts: n.restarts,
      last_failure: n.lastFailure && { message: n.lastFailure.message, at: msToNs(n.lastFailure.at) },
      mailbox: n.mailbox,
      since: msToNs(n.since),
      last_message_at: n.lastMessageAt === null ? null : msToNs(n.lastMessageAt),
      summary: replyToJson(n.summary),
      ...(n.persistenceKey === undefined ? {} : { persistence_key: n.persistenceKey }),
      children_count: n.children.length,
      children: level < depth ? n.children.map((c) => toView(c, level + 1)) : [],
    });
    return system.registry.tree(path, depth + 1).map((n) => toView(n, 1));
  };

  const nodeView = (depth: number): NodeView => ({ node, path: prefix, actors: views(undefined, depth) });

  /** The actor path inside this node, or the ResourceNotFound error; `''` names the node itself. */
  const local = (wildcard: string): string => {
    const segments = wildcard.split('/').filter((s) => s !== '');
    if (segments[0] !== node) throw new AuctorError('ResourceNotFound', `node not found: ${segments[0] ?? ''}`);
    return segments.slice(1).map((s) => '/' + s).join('');
  };

  const depthParam = (value: string | undefined): number => {
    const depth = optionalWholeNumber(value, 'depth');
    if (depth === undefined) return Number.POSITIVE_INFINITY;
    if (depth < 1) throw invalidField('depth', 'must be at least 1');
    return depth;
  };

  const depthQuery = { type: 'object', properties: { depth: { type: 'integer', minimum: 1, description: '1 = the actors without their children; default: all' } } };

  app.get<Wildcard>('/v1/actors', {
    schema: { summary: 'The supervision tree of every node', tags: ['actors'], querystring: depthQuery, response: { 400: ref('Error') } },
  }, async (request) => ({ nodes: [nodeView(depthParam(request.query.depth))] }));

  app.get<Wildcard>('/v1/actors/*', {
    schema: { summary: 'One node or actor, with its subtree and the messages it accepts', tags: ['actors'], querystring: depthQuery, response: { 400: ref('Error'), 404: ref('Error') } },
  }, async (request, reply) => {
    const depth = depthParam(request.query.depth);
    const path = local(request.params['*']);
    if (path === '') return nodeView(depth);
    const [view] = views(path, depth);
    if (!view) return sendError(reply, new AuctorError('ResourceNotFound', `actor not found: ${prefix}${path}`));
    const protocol = system.registry.get(path)?.protocol;
    const accepts = Object.entries(protocol?.messages ?? {}).map(([type, m]) => ({ type, ...m }));
    return { ...view, accepts };
  });

  app.post<Wildcard>('/v1/actors/*', {
    schema: {
      summary: 'Send a message to an actor; with ask=true wait for its reply',
      tags: ['actors'],
      querystring: { type: 'object', properties: { ask: { type: 'boolean' }, timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_ASK_TIMEOUT_MS } } },
      body: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
      response: { 200: { type: 'object', properties: { reply: {} } }, 202: { type: 'null' }, 400: ref('Error'), 404: ref('Error'), 504: ref('Error') },
    },
  }, async (request, reply) => {
    const wildcard = request.params['*'];
    const match = /^(.*)\/messages\/?$/.exec(wildcard);
    if (!match) return reply.code(404).send(errorBody('ResourceNotFound', `no route: POST ${request.url.split('?')[0]}`));
    const ask = flagParam(request.query.ask, 'ask');
    const timeoutMs = optionalWholeNumber(request.query.timeout_ms, 'timeout_ms') ?? DEFAULT_ASK_TIMEOUT_MS;
    if (timeoutMs < 1 || timeoutMs > MAX_ASK_TIMEOUT_MS) throw invalidField('timeout_ms', `must be between 1 and ${MAX_ASK_TIMEOUT_MS}`);
    const path = local(match[1]!);
    const info = path === '' ? undefined : system.registry.get(path);
    const target = info && (system.lookup(path) as Ref<Record<string, unknown>> | undefined);
    if (!info || !target) return sendError(reply, new AuctorError('ResourceNotFound', `actor not found: ${prefix}${path}`));
    const { message, reply: replies } = checker.check(prefix + path, info.kind, info.protocol, request.body, ask);

    if (!ask) {
      if (!system.dispatch(target, message)) return sendError(reply, new AuctorError('ResourceNotFound', `actor not found: ${prefix}${path}`));
      return reply.code(202).send();
    }
    try {
      const answer = await system.query<Record<string, unknown>, unknown>(target, (replyTo) => (replies === 'none' ? message : { ...message, replyTo }), timeoutMs);
      return { reply: replyToJson(answer) };
    } catch (error) {
      if (error instanceof AskTimeoutError) {
        const hint = replies === 'none' ? ` (${String(message.type)} has no reply; it was delivered)` : '';
        return reply.code(504).send(errorBody('Timeout', `no reply from ${prefix}${path} within ${timeoutMs}ms${hint}`));
      }
      if (error instanceof AuctorError) return sendError(reply, error);
      throw error;
    }
  });
}
