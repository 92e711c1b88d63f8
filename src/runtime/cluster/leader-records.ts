/** The records a control group keeps in etcd, and the checks they get when read back (pure). */

/** Who leads a control group: `GET /v1/leader`. */
export interface LeaderInfo {
  name: string;
  /** the leader's gateway, `http://host:port` */
  api: string;
  /** the leader's remoting address, `host:port` */
  listen: string;
  /** the leader key's create revision in etcd: grows with every election */
  term: number;
}

/** A place in the replication log: what a node's store durably holds (the replication's `lastLsn()`). */
export interface LogPosition {
  term: number;
  lsn: number;
}

/** A live candidate's published position (a key under the group's `candidates/`, on its lease). */
export interface CandidateRecord extends LogPosition {
  name: string;
  /** the etcd revision at which this node saw no leader key, when it published this position then (sync-set.ts) */
  vacantAt?: number;
}

/** Orders positions by term, then LSN: > 0 when `a` holds more of the log than `b`. */
export function comparePositions(a: LogPosition, b: LogPosition): number {
  return a.term !== b.term ? a.term - b.term : a.lsn - b.lsn;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 1024;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The leader key's value (name, api, listen) with its create revision as the term; undefined when malformed. */
export function parseLeader(text: string, term: number): LeaderInfo | undefined {
  const value = parseJson(text);
  if (!value || !isString(value.name) || !isString(value.api) || !isString(value.listen) || !isCount(term)) return undefined;
  return { name: value.name, api: value.api, listen: value.listen, term };
}

export function parseCandidate(text: string): CandidateRecord | undefined {
  const value = parseJson(text);
  if (!value || !isString(value.name) || !isCount(value.term) || !isCount(value.lsn)) return undefined;
  if (value.vacantAt !== undefined && !isCount(value.vacantAt)) return undefined;
  const record: CandidateRecord = { name: value.name, term: value.term, lsn: value.lsn };
  if (value.vacantAt !== undefined) record.vacantAt = value.vacantAt;
  return record;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
