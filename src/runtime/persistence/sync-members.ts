/**
 * Which standbys' acknowledgements the primary counts (replicator.ts), kept in step with the
 * group's synchronous set, which a `publish` writes where candidates read it (etcd:
 * src/runtime/cluster/sync-set.ts has the rule they check). The order makes the set's promise
 * hold at every moment: every acknowledged write is on the primary and on `quorum` members.
 * - A standby is named before its acknowledgements count: once it is caught up and answering,
 *   the set with it is published, then it counts.
 * - A member stops counting at once when it goes (the membership dropped it, or it owes answers
 *   and has been silent for `leaveAfterMs`), and is dropped from the published set only once the
 *   members still counted hold everything acknowledged so far. Until then the set still names
 *   it, which only makes the election stricter.
 * One publish at a time; a failed one (etcd away, the lead lost) is tried again at the next review.
 */
export type PublishSyncSet = (members: string[]) => Promise<boolean>;

/** What the set needs of one standby link (standby-link.ts). */
export interface SyncCandidate {
  name: string;
  acked: number;
  caughtUp: boolean;
  /** ms it has owed an answer without one (0 when it owes none) */
  silentFor(now: number): number;
}

export interface SyncLogger {
  info(fields: object, event: string): void;
  warn(fields: object, event: string): void;
}

export class SyncMembers {
  /** as last published */
  private published = new Set<string>();
  /** published, no longer counted: dropped once the others hold what was acknowledged */
  private readonly leaving = new Set<string>();
  private publishing = false;

  constructor(
    private readonly publish: PublishSyncSet,
    private readonly quorum: number,
    private readonly leaveAfterMs: number,
    private readonly logger: SyncLogger,
  ) {}

  /** Whether `name`'s acknowledgements count. */
  counts(name: string): boolean {
    return this.published.has(name) && !this.leaving.has(name);
  }

  members(): string[] {
    return [...this.published];
  }

  /**
   * Looks at the links (the standbys shipped to now) against the set: members that went stop
   * counting; a publish adds the caught-up, answering ones and drops the leaving ones the others
   * cover. `committed`: the LSN known acknowledged; `after`: called when the counted set changed.
   */
  review(links: SyncCandidate[], committed: number, now: number, after: () => void): void {
    const byName = new Map(links.map((link) => [link.name, link]));
    const answering = (link: SyncCandidate | undefined) => link !== undefined && link.caughtUp && link.silentFor(now) < this.leaveAfterMs;
    let changed = false;
    for (const name of this.published) {
      const healthy = answering(byName.get(name));
      if (!healthy && !this.leaving.has(name)) {
        this.leaving.add(name);
        changed = true;
        this.logger.warn({ standby: name, reason: byName.has(name) ? 'silent' : 'gone' }, 'replication.sync-member-leaving');
      } else if (healthy && !this.publishing && this.leaving.delete(name)) {
        // back before it was dropped: it is still named, so it counts again (not while a publish
        // that may drop it is on its way: then it joins again by the next one)
        changed = true;
      }
    }
    if (changed) after();
    if (this.publishing) return;
    const joining = links.filter((link) => answering(link) && !this.published.has(link.name)).map((link) => link.name);
    const counted = links.filter((link) => this.counts(link.name)).map((link) => link.acked).sort((a, b) => b - a);
    // the members still counted hold everything acknowledged: the leaving ones may go
    const covered = counted.length >= this.quorum && counted[this.quorum - 1]! >= committed;
    const dropping = covered ? [...this.leaving] : [];
    if (joining.length === 0 && dropping.length === 0) return;
    const next = new Set([...this.published, ...joining].filter((name) => !dropping.includes(name)));
    this.publishing = true;
    this.publish([...next]).then(
      (done) => {
        this.publishing = false;
        if (!done) return;
        this.published = next;
        for (const name of dropping) this.leaving.delete(name);
        after();
      },
      (error: Error) => {
        this.publishing = false;
        this.logger.warn({ error: error.message, members: [...next] }, 'replication.sync-set-publish-failed');
      },
    );
  }
}
