/**
 * The election's records in etcd besides the leader key (docs/054): each candidate's published
 * log position under `candidates/<name>` (on its lease), and the group's synchronous set under
 * `sync` (no lease: it outlives the active that wrote it). leader-election.ts decides when; this
 * reads and writes them, and races for the key with the set guarded (pure rules: sync-set.ts).
 */
import type { Etcd3 } from 'etcd3';
import type { Logger } from '../../base/logger.js';
import type { ElectionSelf } from './leader-election-options.js';
import type { CandidateRecord, LogPosition } from './leader-records.js';
import { eligibility, parseSyncSet, type Eligibility, type SyncSet } from './sync-set.js';

/** The synchronous set as read, with the revision the race is guarded by (0: none written). */
export interface SyncRead {
  set: SyncSet | undefined;
  modRevision: number;
}

export class GroupRecords {
  /** every key of the group starts with it */
  readonly groupPrefix: string;
  readonly leaderKey: string;
  private readonly candidatePrefix: string;
  private readonly syncKey: string;
  /** the record last published on the current lease, if any */
  private published: CandidateRecord | undefined;
  private lastRefusal = '';

  constructor(
    private readonly client: Etcd3,
    prefix: string,
    private readonly self: ElectionSelf,
    /** `--sync-standbys`; undefined: the group keeps no synchronous set (the longest live log wins) */
    private readonly quorum: number | undefined,
    private readonly withTimeout: <T>(promise: Promise<T>) => Promise<T>,
    private readonly log: Logger,
  ) {
    this.groupPrefix = `${prefix}/`;
    this.leaderKey = `${prefix}/leader`;
    this.candidatePrefix = `${prefix}/candidates/`;
    this.syncKey = `${prefix}/sync`;
  }

  isCandidateKey(key: string): boolean {
    return key.startsWith(this.candidatePrefix);
  }

  /** Forget what was published: a new lease carries no record yet. */
  forgetPublished(): void {
    this.published = undefined;
  }

  async readSync(): Promise<SyncRead> {
    if (this.quorum === undefined) return { set: undefined, modRevision: 0 };
    const response = await this.withTimeout(this.client.get(this.syncKey).exec());
    const kv = response.kvs[0];
    if (!kv) return { set: undefined, modRevision: 0 };
    const modRevision = Number(kv.mod_revision);
    const set = parseSyncSet(kv.value.toString(), modRevision);
    if (set) return { set, modRevision };
    // fail closed: a set that cannot be read may name the only nodes holding acknowledged
    // writes. No node is named '', so no one may win until an operator deletes the key (docs/054)
    this.log.warn({ key: this.syncKey }, 'election.sync-set-malformed');
    return { set: { leader: '', term: modRevision, members: [], quorum: 1 }, modRevision };
  }

  /**
   * Publishes this node's position on `leaseId` when it changed. `vacantAt`: the revision at
   * which it saw no leader, kept from an earlier look of the same vacancy (still above the set's
   * term) so that looks while it waits do not rewrite the record each time.
   */
  async publishPosition(leaseId: string, position: LogPosition, vacantAt: number | undefined, sync: SyncSet | undefined): Promise<void> {
    const before = this.published;
    const sameVacancy = before?.vacantAt !== undefined && before.vacantAt > (sync?.term ?? 0) && before.term === position.term && before.lsn === position.lsn;
    const record: CandidateRecord = { name: this.self.name, ...position };
    if (vacantAt !== undefined) record.vacantAt = sameVacancy ? before!.vacantAt : vacantAt;
    if (JSON.stringify(record) === JSON.stringify(before)) return;
    await this.withTimeout(this.client.put(this.candidatePrefix + this.self.name).value(JSON.stringify(record)).lease(leaseId).exec());
    this.published = record;
  }

  /** Whether this node, holding `own`, may race now (sync-set.ts); a refusal is logged when its reason changes. */
  async eligibility(own: LogPosition, sync: SyncSet | undefined): Promise<Eligibility> {
    const records = await this.withTimeout(this.client.getAll().prefix(this.candidatePrefix).strings());
    const verdict = eligibility(this.self.name, own, records, sync);
    const said = verdict.may ? '' : JSON.stringify(verdict);
    if (said && said !== this.lastRefusal) this.log.info({ ...verdict, ours: own }, 'election.may-not-win');
    this.lastRefusal = said;
    return verdict;
  }

  /**
   * Races for the leader key on `leaseId`: it must be absent and the synchronous set unchanged
   * since it was read; the set is reset to this node with no members in the same transaction.
   * The winning revision (the term), or undefined when another won or the set moved.
   */
  async race(leaseId: string, sync: SyncRead): Promise<number | undefined> {
    let txn = this.client.if(this.leaderKey, 'Create', '==', 0);
    if (this.quorum !== undefined) txn = txn.and(this.syncKey, 'Mod', '==', sync.modRevision);
    const puts = [this.client.put(this.leaderKey).value(JSON.stringify(this.self)).lease(leaseId)];
    if (this.quorum !== undefined) puts.push(this.client.put(this.syncKey).value(JSON.stringify({ leader: this.self.name, members: [], quorum: this.quorum })));
    const response = await this.withTimeout(txn.then(...puts).commit());
    return response.succeeded ? Number(response.header.revision) : undefined;
  }

  /** Whether the leader key is still the one this node won in `term`, on `leaseId`. */
  async keyIsMine(term: number, leaseId: string): Promise<boolean> {
    const response = await this.withTimeout(this.client.if(this.leaderKey, 'Create', '==', term).and(this.leaderKey, 'Lease', '==', leaseId).then(this.client.get(this.leaderKey)).commit());
    return response.succeeded;
  }

  /** The active (`term`, on `leaseId`) names the standbys it counts; false when its key is no longer its own. */
  async publishSyncSet(term: number, leaseId: string, members: string[]): Promise<boolean> {
    if (this.quorum === undefined) return false;
    const value: SyncSet = { leader: this.self.name, term, members, quorum: this.quorum };
    const response = await this.withTimeout(
      this.client.if(this.leaderKey, 'Create', '==', term).and(this.leaderKey, 'Lease', '==', leaseId).then(this.client.put(this.syncKey).value(JSON.stringify(value))).commit(),
    );
    if (response.succeeded) this.log.info({ term, members, quorum: this.quorum }, 'election.sync-set');
    return response.succeeded;
  }
}
