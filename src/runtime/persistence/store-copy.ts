/**
 * Reading a whole store in chunks, for a standby the retained log cannot bring up to date
 * (replicator.ts "copy"): the events, the snapshots, then the runtime records, each as stored
 * (bytes). Each chunk is read from what is committed when it is read; writes go on meanwhile,
 * and the log entries after the copy's base position redo them on the standby (every logged op
 * is a put or a remove of a whole record, so redoing one already in the copy changes nothing).
 */
import type { CopiedRecord } from './replication.js';
import type { StoreDbs } from './store-ops.js';

/** Where a copy goes on: the sub-database, and the last key sent from it. */
export interface CopyCursor {
  db: 0 | 1 | 2;
  after?: [string, number] | string;
}

/** The next chunk after `cursor`: at most `maxRecords` and about `maxBytes`; `next` undefined once the store is read. */
export function readCopyChunk(dbs: StoreDbs, cursor: CopyCursor, maxRecords: number, maxBytes: number): { records: CopiedRecord[]; next: CopyCursor | undefined } {
  const sources = [dbs.eventBytes, dbs.snapshotBytes, dbs.runtimeBytes] as Array<{ getRange(options: object): Iterable<{ key: [string, number] | string; value: Buffer }> }>;
  const records: CopiedRecord[] = [];
  let bytes = 0;
  let { db, after } = cursor;
  for (;;) {
    let exhausted = true;
    for (const { key, value } of sources[db]!.getRange(after === undefined ? {} : { start: after })) {
      if (after !== undefined && sameKey(key, after)) continue;
      if (records.length >= maxRecords || (records.length > 0 && bytes + value.length > maxBytes)) {
        exhausted = false;
        break;
      }
      records.push([db, key, new Uint8Array(value)]);
      bytes += value.length;
      after = key;
    }
    if (!exhausted) return { records, next: { db, after } };
    if (db === 2) return { records, next: undefined };
    db = (db + 1) as 1 | 2;
    after = undefined;
  }
}

function sameKey(a: [string, number] | string, b: [string, number] | string): boolean {
  return typeof a === 'string' || typeof b === 'string' ? a === b : a[0] === b[0] && a[1] === b[1];
}
