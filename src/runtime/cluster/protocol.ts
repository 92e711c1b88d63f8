/**
 * What membership nodes send each other: envelopes to `/cluster` on the peer, the type tag in the
 * envelope, the rest of the message msgpack-encoded in the body. Every body is checked on
 * arrival; a malformed one is reported and dropped, never thrown.
 */
import { Packr } from 'msgpackr';
import { isRecord } from '../../base/guards.js';
import type { Envelope } from '../remoting/types.js';
import type { MemberInfo } from './member.js';

/** The membership actor's path on every node. */
export const CLUSTER_PATH = '/cluster';

/** A member in a welcome or a gossip: `left` when it left gracefully. */
export interface GossipEntry extends MemberInfo {
  left?: boolean;
}

export type ClusterMessage =
  /** a starting node asks a seed to let it in */
  | { type: 'cluster/join'; member: MemberInfo }
  /** the seed's answer: every member it knows, itself included */
  | { type: 'cluster/welcome'; members: GossipEntry[] }
  /** sent to every member every heartbeatMs; `view` digests the sender's member table */
  | { type: 'cluster/heartbeat'; member: MemberInfo; view: number }
  /** members the receiver may not know yet */
  | { type: 'cluster/gossip'; members: GossipEntry[] }
  /** a node stopping gracefully */
  | { type: 'cluster/leave'; name: string; incarnation: number };

export type ClusterMessageType = ClusterMessage['type'];

export const ClusterMessage = {
  join: (member: MemberInfo): ClusterMessage => ({ type: 'cluster/join', member }),
  welcome: (members: GossipEntry[]): ClusterMessage => ({ type: 'cluster/welcome', members }),
  heartbeat: (member: MemberInfo, view: number): ClusterMessage => ({ type: 'cluster/heartbeat', member, view }),
  gossip: (members: GossipEntry[]): ClusterMessage => ({ type: 'cluster/gossip', members }),
  leave: (name: string, incarnation: number): ClusterMessage => ({ type: 'cluster/leave', name, incarnation }),
};

// plain msgpack (no msgpackr records), so any decoder reads it
const packr = new Packr({ useRecords: false });

export function encodeClusterMessage(message: ClusterMessage): Envelope {
  const { type, ...rest } = message;
  return { to: CLUSTER_PATH, from: CLUSTER_PATH, type, body: packr.pack(rest) };
}

const MAX_MEMBERS = 10_000;
const MAX_NAME = 256;
const MAX_ROLES = 16;

export type Decoded = { ok: true; message: ClusterMessage } | { ok: false; reason: string };

/** The message an envelope to `/cluster` carries, or why it is not one. */
export function decodeClusterMessage(envelope: Envelope): Decoded {
  let body: unknown;
  try {
    body = packr.unpack(envelope.body);
  } catch (error) {
    return { ok: false, reason: `body is not msgpack: ${(error as Error).message}` };
  }
  if (!isRecord(body)) return { ok: false, reason: 'body is not a map' };
  switch (envelope.type) {
    case 'cluster/join':
      return isMemberInfo(body.member) ? ok({ type: 'cluster/join', member: body.member }) : bad('member');
    case 'cluster/heartbeat':
      return isMemberInfo(body.member) && isCount(body.view) ? ok({ type: 'cluster/heartbeat', member: body.member, view: body.view }) : bad('member or view');
    case 'cluster/welcome':
    case 'cluster/gossip':
      return isEntries(body.members) ? ok({ type: envelope.type, members: body.members }) : bad('members');
    case 'cluster/leave':
      return isName(body.name) && isCount(body.incarnation) ? ok({ type: 'cluster/leave', name: body.name, incarnation: body.incarnation }) : bad('name or incarnation');
    default:
      return { ok: false, reason: `unknown type ${JSON.stringify(String(envelope.type)).slice(0, 80)}` };
  }
}

function ok(message: ClusterMessage): Decoded {
  return { ok: true, message };
}

function bad(field: string): Decoded {
  return { ok: false, reason: `invalid field: ${field}` };
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

export function isMemberInfo(value: unknown): value is MemberInfo {
  return (
    isRecord(value) &&
    isName(value.name) &&
    isCount(value.incarnation) &&
    isName(value.address) &&
    Array.isArray(value.roles) &&
    value.roles.length <= MAX_ROLES &&
    value.roles.every(isName)
  );
}

function isEntries(value: unknown): value is GossipEntry[] {
  return (
    Array.isArray(value) &&
    value.length <= MAX_MEMBERS &&
    value.every((e) => isMemberInfo(e) && ((e as { left?: unknown }).left === undefined || typeof (e as { left?: unknown }).left === 'boolean'))
  );
}
