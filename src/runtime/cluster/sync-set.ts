/**
 * The synchronous set of a control group (docs/054 "Who may win"), kept in etcd next to the
 * leader key, and the rule a candidate checks before it races for the lead (pure).
 *
 * The active writes it: every write it acknowledged in its term is on itself (`leader`) and on
 * at least `quorum` of `members` (the standbys whose acknowledgements it counts). It names a
 * member before counting it and drops one only once the others hold everything acknowledged
 * (replication's sync-members.ts). So, after the active is gone, a node holds every
 * acknowledged write when its log is at least as long as that of the leader, or of
 * `members - quorum + 1` members (any that many include one that acknowledged each write). A
 * candidate may win only when it has seen such witnesses publish their positions after the
 * leader key went (a position published before could still grow) and no live candidate holds
 * more. Without a set, or with `quorum` 0 (asynchronous: nothing is promised), the longest live
 * log wins, as before.
 */
import { comparePositions, parseCandidate, type CandidateRecord, type LogPosition } from './leader-records.js';

/** The group's synchronous set (the `sync` key). */
export interface SyncSet {
  /** the active that wrote it */
  leader: string;
  /** that active's term */
  term: number;
  /** the standbys whose acknowledgements it counts */
  members: string[];
  /** how many of them hold each acknowledged write (`--sync-standbys`) */
  quorum: number;
}

/** What a candidate learned: whether it may race, and if not, why. */
export type Eligibility =
  | { may: true }
  | { may: false; reason: 'longer-log'; other: CandidateRecord }
  | { may: false; reason: 'witnesses-unseen'; needed: number; seen: string[]; leader: string; members: string[] };

const MAX_MEMBERS = 64;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The `sync` key's value; `modRevision` stands for the term when the value has none (written in the winning transaction). */
export function parseSyncSet(text: string, modRevision: number): SyncSet | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const term = value.term ?? modRevision;
  const { leader, members, quorum } = value;
  if (!isName(leader) || !isCount(term) || !isCount(quorum)) return undefined;
  if (!Array.isArray(members) || members.length > MAX_MEMBERS || !members.every(isName)) return undefined;
  return { leader, term, members, quorum };
}

/**
 * Whether `self`, holding `own`, may race for the lead, given the live candidates' records (as
 * read from etcd) and the group's synchronous set (undefined: none written yet).
 */
export function eligibility(self: string, own: LogPosition, records: Record<string, string>, sync: SyncSet | undefined): Eligibility {
  const others = Object.values(records).map(parseCandidate).filter((r): r is CandidateRecord => r !== undefined && r.name !== self);
  const longer = others.find((other) => comparePositions(other, own) > 0);
  if (longer) return { may: false, reason: 'longer-log', other: longer };
  if (!sync || sync.quorum === 0) return { may: true };
  // witnesses: this node, and the others that published after the leader's key went
  const seen = new Set([self, ...others.filter((r) => r.vacantAt !== undefined && r.vacantAt > sync.term).map((r) => r.name)]);
  if (seen.has(sync.leader)) return { may: true };
  const members = new Set(sync.members);
  const needed = members.size >= sync.quorum ? members.size - sync.quorum + 1 : Infinity;
  const seenMembers = [...seen].filter((name) => members.has(name));
  if (seenMembers.length >= needed) return { may: true };
  return { may: false, reason: 'witnesses-unseen', needed, seen: seenMembers, leader: sync.leader, members: [...members] };
}
