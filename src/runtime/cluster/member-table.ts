/**
 * One node's member table and the rules that change it (member.ts has the status table). Pure:
 * every method takes `now`; no clock, no I/O. Membership (membership.ts) feeds it what arrives
 * and performs what the events ask for.
 *
 * Evidence has two strengths. Heard directly (a join or heartbeat from the member itself): the
 * member is up, or comes back up, or replaces an older incarnation. Learnt second-hand (a welcome
 * or gossip): an unknown member is added as `joining`, a newer incarnation replaces the old, a
 * leave spreads; but second-hand news never revives a member this node judged down, since
 * suspect and down are this node's own verdicts about its own link.
 */
import { ArrivalWindow, phi, verdict, type DetectorSettings } from './failure-detector.js';
import { infoOf, isAlive, newMember, transition, wasAnnouncedUp, type Member, type MemberInfo, type MemberStatus } from './member.js';
import type { GossipEntry } from './protocol.js';

export type DownReason = 'unreachable' | 'replaced';

export type MemberEvent =
  | { type: 'member-up'; member: Member }
  | { type: 'member-down'; member: Member; reason: DownReason }
  | { type: 'member-left'; member: Member }
  /** the detector suspects it; not yet down */
  | { type: 'member-suspect'; member: Member; phi: number }
  /** heartbeats came back before it went down */
  | { type: 'member-reachable'; member: Member };

export class MemberTable {
  private readonly records = new Map<string, Member>();
  private readonly windows = new Map<string, ArrivalWindow>();
  private selfMember: Member;

  constructor(self: MemberInfo, selfStatus: 'joining' | 'up', now: number, private readonly settings: DetectorSettings) {
    this.selfMember = newMember(self, selfStatus, now);
  }

  get self(): Member {
    return this.selfMember;
  }

  /** The node itself goes up: welcomed, or it welcomed someone, or it needs no seed. */
  selfUp(now: number): boolean {
    if (this.selfMember.status !== 'joining') return false;
    this.selfMember = transition(this.selfMember, 'up', now)!;
    return true;
  }

  /** The node's roles change (a standby of a control group becomes the active); heartbeats carry them. */
  setSelfRoles(roles: readonly string[]): void {
    this.selfMember = { ...this.selfMember, roles: [...roles] };
  }

  get(name: string): Member | undefined {
    return name === this.selfMember.name ? this.selfMember : this.records.get(name);
  }

  /** Every member but the node itself. */
  others(): Member[] {
    return [...this.records.values()];
  }

  /** The node itself first, then the others by name. */
  all(): Member[] {
    return [this.selfMember, ...[...this.records.values()].sort((a, b) => a.name.localeCompare(b.name))];
  }

  window(name: string): ArrivalWindow | undefined {
    return this.windows.get(name);
  }

  /** A join or heartbeat from the member itself arrived at `now`. */
  heard(info: MemberInfo, now: number): MemberEvent[] {
    if (info.name === this.selfMember.name) return [];
    const existing = this.records.get(info.name);
    if (existing && info.incarnation < existing.incarnation) return [];
    if (existing && info.incarnation === existing.incarnation) {
      switch (existing.status) {
        case 'left':
          return [];
        case 'up':
          this.windows.get(info.name)!.record(now);
          // roles may change within an incarnation (a control group's standby that wins)
          this.records.set(info.name, { ...existing, roles: sameRoles(existing.roles, info.roles) ? existing.roles : [...info.roles], lastHeartbeatAt: now });
          return [];
        case 'suspect': {
          this.windows.get(info.name)!.record(now);
          const back = { ...transition(existing, 'up', now)!, roles: [...info.roles] };
          this.records.set(info.name, back);
          return [{ type: 'member-reachable', member: back }];
        }
        case 'joining': {
          const up = transition(existing, 'up', now)!;
          this.records.set(info.name, up);
          this.freshWindow(info.name, now);
          return [{ type: 'member-up', member: up }];
        }
        case 'down':
          break; // re-admitted below: a new record
      }
    }
    const events = existing ? this.replace(existing, now) : [];
    const member = newMember(info, 'up', now);
    this.records.set(info.name, member);
    this.freshWindow(info.name, now);
    return [...events, { type: 'member-up', member }];
  }

  /** A member a welcome or gossip told of. */
  learn(entry: GossipEntry, now: number): { events: MemberEvent[]; news: boolean } {
    if (entry.name === this.selfMember.name) return { events: [], news: false };
    const existing = this.records.get(entry.name);
    if (!existing || entry.incarnation > existing.incarnation) {
      if (entry.left && !existing) return { events: [], news: false };
      const events = existing ? this.replace(existing, now) : [];
      const joining = newMember(infoOf(entry), 'joining', now);
      this.records.set(entry.name, entry.left ? transition(joining, 'left', now)! : joining);
      this.windows.delete(entry.name);
      return { events, news: true };
    }
    if (entry.incarnation === existing.incarnation && entry.left) return { events: this.leave(entry.name, entry.incarnation, now), news: true };
    return { events: [], news: false };
  }

  /** `name`'s incarnation left gracefully. */
  leave(name: string, incarnation: number, now: number): MemberEvent[] {
    const existing = this.records.get(name);
    if (!existing || existing.incarnation !== incarnation || !isAlive(existing.status)) return [];
    const left = transition(existing, 'left', now)!;
    this.records.set(name, left);
    this.windows.delete(name);
    return wasAnnouncedUp(existing) ? [{ type: 'member-left', member: left }] : [];
  }

  /**
   * Asks the detector about every member at `now`: up ↔ suspect, and down. A member only learnt
   * of is down once it stayed silent for the detector's cap since it was learnt.
   */
  judge(now: number): MemberEvent[] {
    const events: MemberEvent[] = [];
    for (const member of this.records.values()) {
      if (member.status === 'joining') {
        if (now - member.since >= this.settings.maxSilenceMs) this.records.set(member.name, transition(member, 'down', now)!);
        continue;
      }
      if (member.status !== 'up' && member.status !== 'suspect') continue;
      const window = this.windows.get(member.name)!;
      const seen = verdict(window, now, this.settings);
      const to: MemberStatus = seen === 'alive' ? 'up' : seen;
      if (to === member.status) continue;
      const next = transition(member, to, now)!;
      this.records.set(member.name, to === 'up' ? { ...next, lastHeartbeatAt: member.lastHeartbeatAt } : next);
      if (to === 'down') {
        this.windows.delete(member.name);
        events.push({ type: 'member-down', member: next, reason: 'unreachable' });
      } else if (to === 'suspect') {
        events.push({ type: 'member-suspect', member: next, phi: phiNow(window, now, this.settings) });
      } else {
        events.push({ type: 'member-reachable', member: next });
      }
    }
    return events;
  }

  /** Forgets members down or left for `afterMs`; returns their names. */
  removeExpired(now: number, afterMs: number): string[] {
    const removed: string[] = [];
    for (const member of this.records.values()) {
      if (!isAlive(member.status) && now - member.since >= afterMs) {
        this.records.delete(member.name);
        removed.push(member.name);
      }
    }
    return removed;
  }

  /** What this node tells others: itself and every member it does not judge down. */
  gossip(): GossipEntry[] {
    return this.all()
      .filter((m) => m.status !== 'down')
      .map((m) => (m.status === 'left' ? { ...infoOf(m), left: true } : infoOf(m)));
  }

  /** A digest of {@link gossip}: two nodes with the same digest have nothing to tell each other. */
  digest(): number {
    const keys = this.gossip()
      .map((e) => `${e.name}@${e.incarnation}${e.left ? '-' : '+'}`)
      .sort();
    return fnv1a(keys.join('\n'));
  }

  private replace(old: Member, now: number): MemberEvent[] {
    this.windows.delete(old.name);
    if (!isAlive(old.status) || !wasAnnouncedUp(old)) return [];
    return [{ type: 'member-down', member: transition(old, 'down', now)!, reason: 'replaced' }];
  }

  private freshWindow(name: string, now: number): void {
    const window = new ArrivalWindow(this.settings.maxSamples, this.settings.heartbeatMs);
    window.record(now);
    this.windows.set(name, window);
  }
}

function phiNow(window: ArrivalWindow, now: number, settings: DetectorSettings): number {
  return Math.round(phi(window, now, settings) * 100) / 100;
}

/** 32-bit FNV-1a: a cheap digest, not a security measure. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const sameRoles = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((r, i) => r === b[i]);
