/**
 * `/v1/actors`: the supervision tree, one actor, and messages to an actor (API.md, docs/032).
 *
 * Paths name the node first: `/<node>/<path in that node's tree>`, e.g. `/control-1/control/lrps`.
 * `GET /v1/actors` answers `{nodes: [{node, path, actors}]}`: this node first, then every other
 * member by name. This node answers from its own registry (../runtime/kernel/introspection.ts);
 * another node answers through its `/cluster` actor over remoting, with the same code, so it
 * checks messages against its own actors' protocols. Either answers with an outcome (data); this
 * file alone maps outcomes to HTTP statuses and bodies. A member that does not answer within
 * {@link PEER_TIMEOUT_MS} is listed `status: 'unreachable'` without actors; its own routes answer
 * 503.
 *
 * POST `/v1/actors/<path>/messages`: the last segment `messages` is the verb, so an actor named
 * `messages` is reached as `.../messages/messages`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEFAULT_ASK_TIMEOUT_MS, MAX_ASK_TIMEOUT_MS, NodeIntrospection, failure, type Delivered, type ErrorData, type NodeView, type Outcome } from '../runtime/kernel/introspection.js';
import { assertNever, remoteRef, type Ref } from '../runtime/kernel/protocol.js';
import { describeError } from '../runtime/kernel/registry.js';
import { ClusterActorMsg } from '../runtime/cluster/cluster-actor.js';
import { isAlive, type MemberModel } from '../runtime/cluster/member.js';
import { CLUSTER_PATH } from '../runtime/cluster/protocol.js';
import { AskTimeoutError, AuctorError, invalidField } from '../base/errors.js';
import { isRecord } from '../base/guards.js';
import type { GatewayDeps } from './deps.js';
import { errorBody, isErrorCode, sendError } from './errors.js';
import { flagParam, optionalWholeNumber } from './params.js';
import { ref } from './schemas.js';

export { DEFAULT_ASK_TIMEOUT_MS, MAX_ASK_TIMEOUT_MS, type ActorView, type NodeView } from '../runtime/kernel/introspection.js';

/** How long a read waits for another node, and how much longer than the ask a delivery waits. */
export const PEER_TIMEOUT_MS = 2_000;

type Wildcard = { Params: { '*': string }; Querystring: Record<string, string | undefined> };

export function registerActors(app: FastifyInstance, deps: GatewayDeps): void {
  const { node, system } = deps;
  const local = new NodeIntrospection(system, node);

  /** Every other member this node knows, by name (left members are gone). */
  const peers = (): MemberModel[] =>
    (deps.cluster?.models() ?? []).filter((m) => !m.self && m.name !== node && m.status !== 'left').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  /**
   * Asks `member`'s `/cluster` actor; any failure to get a well-formed answer (an outcome whose
   * value passes `isValue`) is an Unavailable outcome.
   */
  const askPeer = async <V>(member: MemberModel, make: (replyTo: Ref<Outcome<V>>) => ClusterActorMsg, timeoutMs: number, isValue: (value: unknown) => boolean = () => true): Promise<Outcome<V>> => {
    if (!isAlive(member.status)) return unavailable(`node ${member.name} is ${member.status}`);
    try {
      const answer = await system.query<ClusterActorMsg, unknown>(remoteRef(member.name, CLUSTER_PATH, member.incarnation), make, timeoutMs);
      return isOutcome(answer, isValue) ? (answer as Outcome<V>) : unavailable(`node ${member.name} answered with something that is not an outcome`);
    } catch (error) {
      if (error instanceof AskTimeoutError) return unavailable(`no answer from node ${member.name} within ${timeoutMs}ms`);
      if (error instanceof AuctorError) return unavailable(`node ${member.name} is unreachable: ${error.message}`);
      deps.log.warn({ member: member.name, error: describeError(error) }, 'gateway.peer-query-failed');
      return unavailable(`node ${member.name} is unreachable`);
    }
  };

  const peerTree = async (member: MemberModel, depth: number | undefined): Promise<NodeView> => {
    const outcome = await askPeer(member, ClusterActorMsg.tree(depth), PEER_TIMEOUT_MS);
    if (outcome.ok && isNodeView(outcome.value)) return outcome.value;
    const reason = outcome.ok ? 'status 200' : outcome.error.message;
    return { node: member.name, path: `/${member.name}`, actors: [], status: 'unreachable', reason };
  };

  /** The node a wildcard names and the actor path inside it (`''` names the node itself). */
  const split = (wildcard: string): { target: string; path: string; member?: MemberModel } => {
    const segments = wildcard.split('/').filter((s) => s !== '');
    const target = segments[0] ?? '';
    const path = segments.slice(1).map((s) => '/' + s).join('');
    if (target === node) return { target, path };
    const member = target === '' ? undefined : peers().find((m) => m.name === target);
    if (!member) throw new AuctorError('ResourceNotFound', `node not found: ${target}`);
    return { target, path, member };
  };

  const depthParam = (value: string | undefined): number | undefined => {
    const depth = optionalWholeNumber(value, 'depth');
    if (depth !== undefined && depth < 1) throw invalidField('depth', 'must be at least 1');
    return depth;
  };

  const depthQuery = { type: 'object', properties: { depth: { type: 'integer', minimum: 1, description: '1 = the actors without their children; default: all' } } };

  app.get<Wildcard>('/v1/actors', {
    schema: { summary: 'The supervision tree of every node', tags: ['actors'], querystring: depthQuery, response: { 400: ref('Error') } },
  }, async (request) => {
    const depth = depthParam(request.query.depth);
    const others = await Promise.all(peers().map((m) => peerTree(m, depth)));
    return { nodes: [local.tree(depth), ...others] };
  });

  app.get<Wildcard>('/v1/actors/*', {
    schema: { summary: 'One node or actor, with its subtree and the messages it accepts', tags: ['actors'], querystring: depthQuery, response: { 400: ref('Error'), 404: ref('Error'), 503: ref('Error') } },
  }, async (request, reply) => {
    const depth = depthParam(request.query.depth);
    const { path, member } = split(request.params['*']);
    if (!member) return path === '' ? local.tree(depth) : sendView(reply, local.actor(path, depth));
    const outcome = await (path === '' ? askPeer(member, ClusterActorMsg.tree(depth), PEER_TIMEOUT_MS) : askPeer(member, ClusterActorMsg.actor(path, depth), PEER_TIMEOUT_MS));
    return sendView(reply, outcome);
  });

  app.post<Wildcard>('/v1/actors/*', {
    schema: {
      summary: 'Send a message to an actor; with ask=true wait for its reply',
      tags: ['actors'],
      querystring: { type: 'object', properties: { ask: { type: 'boolean' }, timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_ASK_TIMEOUT_MS } } },
      body: { type: 'object', properties: { type: { type: 'string' } }, required: ['type'] },
      response: { 200: { type: 'object', properties: { reply: {} } }, 202: { type: 'null' }, 400: ref('Error'), 404: ref('Error'), 503: ref('Error'), 504: ref('Error') },
    },
  }, async (request, reply) => {
    const match = /^(.*)\/messages\/?$/.exec(request.params['*']);
    if (!match) return reply.code(404).send(errorBody('ResourceNotFound', `no route: POST ${request.url.split('?')[0]}`));
    const ask = flagParam(request.query.ask, 'ask');
    const timeoutMs = optionalWholeNumber(request.query.timeout_ms, 'timeout_ms') ?? DEFAULT_ASK_TIMEOUT_MS;
    if (timeoutMs < 1 || timeoutMs > MAX_ASK_TIMEOUT_MS) throw invalidField('timeout_ms', `must be between 1 and ${MAX_ASK_TIMEOUT_MS}`);
    const { path, member } = split(match[1]!);
    if (!member) return sendDelivery(reply, await local.deliver({ path, message: request.body, ask, timeoutMs }));
    // the node answers `unanswered` itself when the ask times out there; the margin covers the way back
    const waitMs = (ask ? timeoutMs : 0) + PEER_TIMEOUT_MS;
    return sendDelivery(reply, await askPeer(member, ClusterActorMsg.deliver(path, request.body, ask, timeoutMs), waitMs, isDelivered));
  });
}

/** A tree or an actor: 200 with the view, or the error's status. */
function sendView(reply: FastifyReply, outcome: Outcome<unknown>): FastifyReply {
  return outcome.ok ? reply.code(200).send(outcome.value) : sendFailure(reply, outcome.error);
}

/** 202 when sent, 200 `{reply}` when asked, 504 when the ask got no reply in time, else the error's status. */
function sendDelivery(reply: FastifyReply, outcome: Outcome<Delivered>): FastifyReply {
  if (!outcome.ok) return sendFailure(reply, outcome.error);
  const delivered = outcome.value;
  switch (delivered.outcome) {
    case 'sent':
      return reply.code(202).send();
    case 'replied':
      return reply.code(200).send({ reply: delivered.reply });
    case 'unanswered':
      return reply.code(504).send(errorBody('Timeout', delivered.message));
    default:
      return assertNever(delivered, 'delivery outcome');
  }
}

/** The error rebuilt from its code, sent as every route sends errors (a Timeout is BBS's Unavailable). */
function sendFailure(reply: FastifyReply, error: ErrorData): FastifyReply {
  if (error.type === 'InternalError') return reply.code(500).send(errorBody('InternalError', error.message));
  return sendError(reply, new AuctorError(error.type, error.message));
}

function unavailable(message: string): Outcome<never> {
  return failure(new AuctorError('Unavailable', message));
}

function isOutcome(value: unknown, isValue: (value: unknown) => boolean): boolean {
  if (!isRecord(value)) return false;
  if (value.ok === true) return isValue(value.value);
  const error = value.error;
  return value.ok === false && isRecord(error) && (error.type === 'InternalError' || isErrorCode(error.type)) && typeof error.message === 'string';
}

function isDelivered(value: unknown): boolean {
  if (!isRecord(value)) return false;
  switch (value.outcome) {
    case 'sent':
      return true;
    case 'replied':
      return Object.hasOwn(value, 'reply');
    case 'unanswered':
      return typeof value.message === 'string';
    default:
      return false;
  }
}

function isNodeView(value: unknown): value is NodeView {
  const view = value as Partial<NodeView> | null;
  return typeof view === 'object' && view !== null && typeof view.node === 'string' && Array.isArray(view.actors);
}
