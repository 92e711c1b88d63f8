/** The duplicate check of the primary's writes, without a read per write (primary-writes.ts). */
import type { Database } from 'lmdb';
import type { RecordKey } from './store-ops.js';

/** Keys cached beyond this are dropped, oldest first (a dropped key costs one read on its next write). */
const SEQ_KEYS = 65_536;

/**
 * The highest sequence number stored or pending per event key, for the keys written lately: an
 * event above it needs no existence read (lmdb-js's doesExist, a B-tree search on the main
 * thread per write, was about 9% of the primary's main thread at 64 writers). Holds only while
 * every event write goes through the replication log's `append` (primary-writes.ts): cleared
 * when anything else writes (a shipped entry, a copy) or deletes.
 */
export class EventSeqs {
  private readonly top = new Map<string, number>();

  highest(key: string, events: Database<unknown, RecordKey>): number {
    let top = this.top.get(key);
    if (top === undefined) {
      top = -1;
      for (const [, seq] of events.getKeys({ start: [key, Number.MAX_SAFE_INTEGER], end: [key, -1], reverse: true, limit: 1 })) top = seq;
      this.top.set(key, top);
    }
    return top;
  }

  /**
   * `seq` was taken for `key` (after {@link highest}). Beyond SEQ_KEYS keys the oldest are
   * dropped, unless their highest is still pending: read again from the store, it would be missed.
   */
  wrote(key: string, seq: number, pending: (top: number) => boolean): void {
    if (seq > this.top.get(key)!) this.top.set(key, seq);
    if (this.top.size <= SEQ_KEYS) return;
    for (const [old, top] of this.top) {
      if (this.top.size <= SEQ_KEYS / 2) break;
      if (!pending(top)) this.top.delete(old);
    }
  }

  clear(): void {
    this.top.clear();
  }
}
