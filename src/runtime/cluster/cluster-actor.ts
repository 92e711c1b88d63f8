/**
 * `/cluster` in the node's tree (DESIGN.md): the actor face of {@link Membership}, and how other
 * nodes' gateways see this node's actors. `cluster/members` answers the members as this node
 * sees them; `cluster/tree`, `cluster/actor` and `cluster/deliver` answer with this node's
 * {@link NodeIntrospection} outcomes (plain data the gateway maps to HTTP), so `GET /v1/actors` and
 * `POST /v1/actors/<node>/<path>/messages` on any node's gateway reach every node, each checking
 * messages against its own actors' protocols (docs/032).
 *
 * It holds no state of its own: Membership keeps the table and handles its own envelopes to
 * `/cluster` where they arrive (membership.ts says why; cluster-routing.ts splits them from the
 * envelopes for this actor), and its owner (the node's wiring) starts and stops it.
 */
import { MAX_ASK_TIMEOUT_MS, NodeIntrospection, failure, type ActorDetail, type ActorView, type Delivered, type NodeView, type Outcome } from '../kernel/introspection.js';
import { defineProtocol, field } from '../kernel/protocol-schema.js';
import type { AnyRef, Ref } from '../kernel/protocol.js';
import type { ActorSystem } from '../kernel/system.js';
import { describeError } from '../kernel/registry.js';
import { AuctorError, invalidField } from '../../base/errors.js';
import type { MemberModel } from './member.js';
import type { Membership } from './membership.js';

export type ClusterActorMsg =
  | { type: 'cluster/members'; replyTo: Ref<MemberModel[]> }
  /** this node's tree, `depth` levels deep; every level when absent */
  | { type: 'cluster/tree'; depth?: number; replyTo: Ref<Outcome<NodeView>> }
  /** one actor of this node with what it accepts, or ResourceNotFound */
  | { type: 'cluster/actor'; path: string; depth?: number; replyTo: Ref<Outcome<ActorDetail>> }
  /** checks `message` against the actor's protocol and delivers it (NodeIntrospection.deliver) */
  | { type: 'cluster/deliver'; path: string; message: unknown; ask: boolean; timeout_ms: number; replyTo: Ref<Outcome<Delivered>> };

export const ClusterActorMsg = {
  members: (replyTo: Ref<MemberModel[]>): ClusterActorMsg => ({ type: 'cluster/members', replyTo }),
  tree: (depth: number | undefined) => (replyTo: Ref<Outcome<NodeView>>): ClusterActorMsg => ({ type: 'cluster/tree', ...(depth === undefined ? {} : { depth }), replyTo }),
  actor: (path: string, depth: number | undefined) => (replyTo: Ref<Outcome<ActorDetail>>): ClusterActorMsg => ({ type: 'cluster/actor', path, ...(depth === undefined ? {} : { depth }), replyTo }),
  deliver: (path: string, message: unknown, ask: boolean, timeoutMs: number) => (replyTo: Ref<Outcome<Delivered>>): ClusterActorMsg => ({ type: 'cluster/deliver', path, message, ask, timeout_ms: timeoutMs, replyTo }),
};

const depth = { type: 'integer', minimum: 1, description: '1 = the actors without their children; default: all' };

// reads only: `cluster/deliver` stays internal, so nobody nests a delivery inside another
export const CLUSTER_PROTOCOL = defineProtocol<ClusterActorMsg>('cluster', {
  'cluster/members': { description: 'every member as this node sees it (GET /v1/members)', reply: 'required' },
  'cluster/tree': { description: "this node's supervision tree as GET /v1/actors/<node> answers it", reply: 'required', properties: { depth } },
  'cluster/actor': { description: 'one actor of this node as GET /v1/actors/<node>/<path> answers it', reply: 'required', properties: { path: field.string, depth }, required: ['path'] },
});

const MAX_PATH = 4096;

/**
 * A tree answer must fit one envelope (the gRPC transport's limit is 4 MiB; an actor's view is a
 * few hundred bytes): a larger tree is refused (InvalidRequest) with a message to ask for less.
 */
export const MAX_ACTORS_PER_ANSWER = 5_000;

export interface ClusterActorOptions {
  parent?: AnyRef;
  maxActorsPerAnswer?: number;
}

export function spawnClusterActor(system: ActorSystem, membership: Membership, options: ClusterActorOptions = {}): Ref<ClusterActorMsg> {
  const { parent = system.root, maxActorsPerAnswer = MAX_ACTORS_PER_ANSWER } = options;
  const introspection = new NodeIntrospection(system);
  const bounded = <V extends NodeView | ActorView>(outcome: Outcome<V>): Outcome<V> => {
    if (!outcome.ok) return outcome;
    const count = countActors('actors' in outcome.value ? outcome.value.actors : [outcome.value]);
    if (count <= maxActorsPerAnswer) return outcome;
    return failure(new AuctorError('InvalidRequest', `${count} actors are more than one answer from node ${system.name} carries (${maxActorsPerAnswer}): ask with a smaller depth, or for a subtree`));
  };
  return system.spawn<Membership, ClusterActorMsg>(parent, {
    kind: 'cluster',
    name: 'cluster',
    protocol: CLUSTER_PROTOCOL,
    initialState: () => membership,
    summary: (m) => ({
      status: m.status,
      members: m.members().map((x) => ({ name: x.name, incarnation: x.incarnation, status: x.status })),
    }),
    handle: (m, msg, ctx) => {
      const answer = (outcome: Outcome<unknown>) => void ctx.system.dispatch((msg as { replyTo: Ref<Outcome<unknown>> }).replyTo, outcome);
      // messages from other nodes arrive checked for their tag only: every field is checked here
      switch (msg?.type) {
        case 'cluster/members':
          if (!isRef(msg.replyTo)) break;
          ctx.system.dispatch(msg.replyTo, m.models());
          return m;
        case 'cluster/tree': {
          if (!isRef(msg.replyTo)) break;
          const bad = checkDepth(msg.depth);
          answer(bad ?? bounded({ ok: true, value: introspection.tree(msg.depth) }));
          return m;
        }
        case 'cluster/actor': {
          if (!isRef(msg.replyTo)) break;
          const bad = checkPath(msg.path) ?? checkDepth(msg.depth);
          answer(bad ?? bounded(introspection.actor(msg.path, msg.depth)));
          return m;
        }
        case 'cluster/deliver': {
          if (!isRef(msg.replyTo)) break;
          const bad = checkPath(msg.path) ?? checkAsk(msg.ask, msg.timeout_ms);
          if (bad) {
            answer(bad);
            return m;
          }
          // not awaited: an ask may take up to a minute, and this mailbox serves every gateway
          introspection.deliver({ path: msg.path, message: msg.message, ask: msg.ask, timeoutMs: msg.timeout_ms }).then(answer, (error: unknown) => {
            ctx.log.error({ path: msg.path, error: describeError(error) }, 'cluster.deliver-failed');
            answer({ ok: false, error: { type: 'InternalError', message: 'internal error; the node logged it' } });
          });
          return m;
        }
      }
      // envelopes to /cluster are Membership's; anything else that lands here is ignored, not a crash
      ctx.log.warn({ type: String((msg as { type?: unknown })?.type).slice(0, 80) }, 'cluster.unexpected-message');
      return m;
    },
  });
}

function countActors(views: ActorView[]): number {
  let count = 0;
  for (const view of views) count += 1 + countActors(view.children ?? []);
  return count;
}

function isRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

type Failure = ReturnType<typeof failure>;

function checkPath(path: unknown): Failure | undefined {
  if (typeof path !== 'string' || path.length > MAX_PATH || (path !== '' && !path.startsWith('/'))) return failure(invalidField('path', 'an actor path inside the node, like /control/lrps'));
  return undefined;
}

function checkDepth(depth: unknown): Failure | undefined {
  if (depth === undefined) return undefined;
  if (typeof depth !== 'number' || !Number.isInteger(depth) || depth < 1) return failure(invalidField('depth', 'must be at least 1'));
  return undefined;
}

function checkAsk(ask: unknown, timeoutMs: unknown): Failure | undefined {
  if (typeof ask !== 'boolean') return failure(invalidField('ask'));
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_ASK_TIMEOUT_MS) {
    return failure(new AuctorError('InvalidRequest', `invalid field: timeout_ms: must be between 1 and ${MAX_ASK_TIMEOUT_MS}`));
  }
  return undefined;
}
