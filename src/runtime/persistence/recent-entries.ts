/**
 * The replication log's last entries in memory (replication-log.ts), with their terms: what the
 * primary ships while it commits them, and a while after (so a standby answering its first probe
 * late is still served from memory). Those committed are dropped beyond RECENT_ENTRIES or
 * RECENT_BYTES: keeping the last 16k issued had the GC promote and mark-sweep every one of them.
 */
import type { LogPosition, ShippedEntry } from './replication.js';

/** Committed entries kept: at most this many, and about this many bytes. */
const RECENT_ENTRIES = 1024;
const RECENT_BYTES = 4 << 20;

export class RecentEntries {
  private readonly entries: ShippedEntry[] = [];
  private readonly terms: number[] = [];
  private bytes = 0;
  /** the last entry dropped: each append names its predecessor's term, often this one's */
  private dropped: LogPosition = { term: 0, lsn: 0 };

  /** The oldest LSN held, or `next` when none is. */
  first(next: number): number {
    return this.entries[0]?.[0] ?? next;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The `i`-th entry held, oldest first. */
  at(i: number): ShippedEntry | undefined {
    return this.entries[i];
  }

  /** The term of entry `lsn`, when held or the last dropped. */
  termAt(lsn: number): number | undefined {
    const first = this.entries[0]?.[0];
    if (first !== undefined && lsn >= first) return this.terms[lsn - first];
    return lsn === this.dropped.lsn ? this.dropped.term : undefined;
  }

  /** Adds the entry just issued (the next LSN). */
  push(lsn: number, term: number, bytes: Buffer): void {
    this.entries.push([lsn, bytes]);
    this.terms.push(term);
    this.bytes += bytes.length;
  }

  /** Drops the oldest of those up to `committed` (the log holds them), beyond the bounds. */
  dropCommitted(committed: number): void {
    let n = 0;
    let bytes = this.bytes;
    while (n < this.entries.length && this.entries[n]![0] <= committed && (this.entries.length - n > RECENT_ENTRIES || bytes > RECENT_BYTES)) {
      bytes -= this.entries[n++]![1].length;
    }
    if (n === 0) return;
    this.dropped = { lsn: this.entries[n - 1]![0], term: this.terms[n - 1]! };
    this.entries.splice(0, n);
    this.terms.splice(0, n);
    this.bytes = bytes;
  }

  clear(): void {
    this.entries.length = this.terms.length = this.bytes = 0;
    this.dropped = { term: 0, lsn: 0 };
  }
}
