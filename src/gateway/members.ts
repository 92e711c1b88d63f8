/**
 * `GET /v1/members` (API.md): the cluster's members as this node sees them, sorted by name.
 * Times are ns since the epoch like every time the API answers (Membership keeps ms). A node
 * started without a cluster lists itself, up since the process started.
 */
import type { FastifyInstance } from 'fastify';
import type { MemberModel, MemberStatus } from '../runtime/cluster/member.js';
import { msToNs } from '../models/time.js';
import type { GatewayDeps } from './deps.js';

/** One member as the API shows it. */
export interface MemberView {
  name: string;
  roles: string[];
  /** `host:port` of its remoting endpoint; '' on a node without one */
  address: string;
  status: MemberStatus;
  /** chosen at process start; a restarted node is a new incarnation */
  incarnation: number;
  /** ns since the epoch of the last heartbeat this node heard from it, null before one */
  last_heartbeat: number | null;
  /** ns since the epoch it went up in this node's view, null before */
  up_since: number | null;
  /** the node that answers */
  self: boolean;
}

const memberSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    address: { type: 'string' },
    status: { type: 'string', enum: ['joining', 'up', 'suspect', 'down', 'left'] },
    incarnation: { type: 'integer' },
    last_heartbeat: { type: ['integer', 'null'], description: 'ns since the epoch' },
    up_since: { type: ['integer', 'null'], description: 'ns since the epoch' },
    self: { type: 'boolean' },
  },
};

export function registerMembers(app: FastifyInstance, deps: GatewayDeps): void {
  const startedAt = Math.round(performance.timeOrigin);

  /** The node by itself: its roles are the kinds of its top-level actors. */
  const alone = (): MemberModel => {
    const kinds = new Set(deps.system.registry.tree(undefined, 1).map((a) => a.kind));
    return {
      name: deps.node,
      roles: ['control', 'cell'].filter((role) => kinds.has(role)),
      address: '',
      status: 'up',
      incarnation: startedAt,
      last_heartbeat: null,
      up_since: startedAt,
      self: true,
    };
  };

  app.get('/v1/members', {
    schema: { summary: 'Cluster members: name, roles, address, status, incarnation, last heartbeat', tags: ['node'], response: { 200: { type: 'array', items: memberSchema } } },
  }, async (): Promise<MemberView[]> => {
    const models = deps.cluster?.models() ?? [alone()];
    return models.map(toView).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

function toView(m: MemberModel): MemberView {
  return {
    name: m.name,
    roles: [...m.roles],
    address: m.address,
    status: m.status,
    incarnation: m.incarnation,
    last_heartbeat: m.last_heartbeat === null ? null : msToNs(m.last_heartbeat),
    up_since: m.up_since === null ? null : msToNs(m.up_since),
    self: m.self,
  };
}
