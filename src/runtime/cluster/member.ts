/**
 * A cluster member as one node sees it: pure data and its legal status changes. Every node keeps
 * its own table; `suspect` and `down` are that node's verdicts about its own link to the member
 * (full mesh: each node hears every other directly), while joins, leaves and new incarnations
 * spread to all.
 *
 * | from \ to | joining | up  | suspect | down | left |
 * |-----------|---------|-----|---------|------|------|
 * | joining   | -       | yes | no      | yes  | yes  |
 * | up        | no      | -   | yes     | yes  | yes  |
 * | suspect   | no      | yes | -       | yes  | yes  |
 * | down      | no      | no  | no      | -    | no   |
 * | left      | no      | no  | no      | no   | -    |
 *
 * `down` and `left` are final for a record. A member is `joining` until this node hears from it
 * directly (learnt through a welcome or gossip), `up` from its first heartbeat or join. A newer
 * incarnation of a name is a new member: the old record goes down and the new one replaces it.
 * Heartbeats resuming from a member this node marked down (a healed partition longer than the
 * detector's bound) re-admit it as a new record: `memberDown` then `memberUp`, as a Diego cell
 * whose presence expired registers again.
 */

export type MemberStatus = 'joining' | 'up' | 'suspect' | 'down' | 'left';

export const MEMBER_STATUSES: readonly MemberStatus[] = ['joining', 'up', 'suspect', 'down', 'left'];

/** What nodes tell each other about a member (the body of joins, heartbeats and gossip). */
export interface MemberInfo {
  name: string;
  /** chosen at process start; only grows for one name */
  incarnation: number;
  /** `host:port` of its remoting endpoint */
  address: string;
  roles: string[];
}

export interface Member extends MemberInfo {
  status: MemberStatus;
  /** ms since the epoch of the last heartbeat (or join) heard directly; undefined before */
  lastHeartbeatAt: number | undefined;
  /** ms since the epoch it went up in this node's view; undefined before */
  upSince: number | undefined;
  /** ms since the epoch of its last status change in this node's view */
  since: number;
}

const TRANSITIONS: Readonly<Record<MemberStatus, readonly MemberStatus[]>> = {
  joining: ['up', 'down', 'left'],
  up: ['suspect', 'down', 'left'],
  suspect: ['up', 'down', 'left'],
  down: [],
  left: [],
};

export function canTransition(from: MemberStatus, to: MemberStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Still part of the cluster in this node's view: heartbeated and watched. */
export function isAlive(status: MemberStatus): boolean {
  return status === 'joining' || status === 'up' || status === 'suspect';
}

/** Whether `member`'s consumers were told it is up (so they must be told when it goes). */
export function wasAnnouncedUp(member: Member): boolean {
  return member.upSince !== undefined;
}

export function newMember(info: MemberInfo, status: 'joining' | 'up', now: number): Member {
  return {
    name: info.name,
    incarnation: info.incarnation,
    address: info.address,
    roles: [...info.roles],
    status,
    lastHeartbeatAt: status === 'up' ? now : undefined,
    upSince: status === 'up' ? now : undefined,
    since: now,
  };
}

/**
 * The member in its new status, or undefined when the table above does not allow the change.
 * Going up records the heartbeat that proved it and, the first time, `upSince`.
 */
export function transition(member: Member, to: MemberStatus, now: number): Member | undefined {
  if (!canTransition(member.status, to)) return undefined;
  const next: Member = { ...member, status: to, since: now };
  if (to === 'up') {
    next.lastHeartbeatAt = now;
    next.upSince = member.upSince ?? now;
  }
  return next;
}

export function infoOf(member: MemberInfo): MemberInfo {
  return { name: member.name, incarnation: member.incarnation, address: member.address, roles: [...member.roles] };
}

/** A member as `GET /v1/members` shows it (API.md): times are ms since the epoch, or null. */
export interface MemberModel {
  name: string;
  incarnation: number;
  roles: string[];
  address: string;
  status: MemberStatus;
  last_heartbeat: number | null;
  up_since: number | null;
  /** this node itself */
  self: boolean;
}

export function memberModel(member: Member, self: boolean): MemberModel {
  return {
    name: member.name,
    incarnation: member.incarnation,
    roles: [...member.roles],
    address: member.address,
    status: member.status,
    last_heartbeat: member.lastHeartbeatAt ?? null,
    up_since: member.upSince ?? null,
    self,
  };
}
