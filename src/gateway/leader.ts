/**
 * The gateway in a control group (docs/054-control-group.md): `GET /v1/leader`, and the fence
 * every other request passes. A node that does not hold the lead (a standby, or an active whose
 * own lease deadline passed) serves nothing but `/v1/ping` and `/v1/leader`: every other request,
 * reads included, is answered 307 to the active, or 503 with Retry-After while there is none. A
 * mutating request whose 2xx is about to be sent after the node stopped holding is answered 503
 * instead: no acknowledgement leaves a node that may no longer lead. An active whose deadline
 * passed while etcd was away is read-only: it serves reads from its own state and answers every
 * mutating request 503 with Retry-After (refused before anything was applied).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LeaderInfo } from '../runtime/cluster/leader-records.js';
import { errorBody } from './errors.js';
import { ref } from './schemas.js';

/** The node's side of the election, as the gateway needs it (a LeaderElection fits). */
export interface GatewayLeadership {
  /** true while this node leads and may acknowledge */
  holds(): boolean;
  /** the leader as this node sees it; undefined while there is none */
  leader(): LeaderInfo | undefined;
  /** true while this node led and is read-only: its lease deadline passed and etcd has not been reached since */
  readOnly?(): boolean;
}

/** Seconds a client waits before asking again while no node leads. */
export const RETRY_AFTER_S = 1;

const ALWAYS_SERVED = new Set(['/v1/leader', '/v1/ping']);
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const leaderSchema = {
  type: 'object',
  required: ['name', 'api', 'listen', 'term'],
  properties: { name: { type: 'string' }, api: { type: 'string' }, listen: { type: 'string' }, term: { type: 'integer' } },
};

export function registerLeader(app: FastifyInstance, leadership: GatewayLeadership): void {
  app.get('/v1/leader', { schema: { summary: 'The active control node of the group', tags: ['node'], response: { 200: leaderSchema, 503: ref('Error') } } }, async (_request, reply) => {
    const leader = leadership.leader();
    if (!leader) return noLeader(reply);
    return leader;
  });
}

/** Adds the fence (above) to `app`; after auth, so an unauthenticated client learns nothing. */
export function fenceRequests(app: FastifyInstance, leadership: GatewayLeadership): void {
  app.addHook('onRequest', async (request, reply) => {
    if (leadership.holds() || ALWAYS_SERVED.has(pathOf(request)) || isOpen(request)) return;
    if (leadership.readOnly?.()) return MUTATING.has(request.method) ? readOnly(reply) : undefined;
    return redirect(request, reply, leadership);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method) || reply.statusCode >= 300 || leadership.holds()) return payload;
    // no Retry-After: the write may have been applied, so no client should repeat it unasked
    void reply.code(503).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(errorBody('Unavailable', 'this node stopped leading before it could acknowledge; the outcome is unknown, ask the active (GET /v1/leader)'));
  });
}

/** 307 to the same path on the active, or 503 while none is known. */
export function redirect(request: FastifyRequest, reply: FastifyReply, leadership: GatewayLeadership): FastifyReply {
  const leader = leadership.leader();
  if (!leader) return noLeader(reply);
  return reply.code(307).header('location', new URL(request.url, leader.api).toString()).send(errorBody('NotLeader', `this node is a standby; the active is ${leader.name} at ${leader.api}`));
}

function readOnly(reply: FastifyReply): FastifyReply {
  return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(errorBody('Unavailable', 'this control node cannot reach etcd and is read-only: reads are served, writes are refused (this one was not applied); retry shortly'));
}

function noLeader(reply: FastifyReply): FastifyReply {
  return reply.code(503).header('retry-after', String(RETRY_AFTER_S)).send(errorBody('Unavailable', 'no control node leads at the moment (an election is under way); retry shortly'));
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0]!;
const isOpen = (request: FastifyRequest) => (request.routeOptions.config as { open?: boolean } | undefined)?.open === true;
