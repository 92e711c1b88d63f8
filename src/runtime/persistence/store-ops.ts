/**
 * Every write the LMDB engine makes, as data (lmdb-engine.ts's layout): what a replication log
 * entry holds (replication-log.ts), applied the same way on the primary and on each standby, so
 * their stores stay equal. Applied inside a write transaction (synchronous puts and removes).
 */
import type { Database } from 'lmdb';

type RecordKey = [string, number];
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

/** The stored records (lmdb-engine.ts's EventRecord and SnapshotRecord). */
export interface StoredEventRecord {
  d: unknown;
  t?: string[];
  c: number;
  x?: 1;
}
export interface StoredSnapshotRecord {
  d: unknown;
  c: number;
}

export type StoreOp =
  /** an event put; the primary refuses it first when (k, s) exists */
  | { o: 'e'; k: string; s: number; v: StoredEventRecord }
  /** a snapshot put (replaces one of the same (k, s)) */
  | { o: 's'; k: string; s: number; v: StoredSnapshotRecord }
  /** every event and snapshot of each key removed */
  | { o: 'd'; k: string[] }
  /** a runtime-store put */
  | { o: 'p'; k: string; v: unknown }
  /** a runtime-store remove */
  | { o: 'r'; k: string };

/** The sub-databases the ops write. */
export interface StoreDbs {
  events: Database<StoredEventRecord, RecordKey>;
  snapshots: Database<StoredSnapshotRecord, RecordKey>;
  runtime: Database<unknown, string>;
}

/** Applies `ops` in order; call inside a write transaction. */
export function applyOps(dbs: StoreDbs, ops: readonly StoreOp[]): void {
  for (const op of ops) {
    switch (op.o) {
      case 'e':
        dbs.events.putSync([op.k, op.s], op.v);
        break;
      case 's':
        dbs.snapshots.putSync([op.k, op.s], op.v);
        break;
      case 'd':
        for (const key of op.k) {
          for (const db of [dbs.events, dbs.snapshots] as Array<Database<unknown, RecordKey>>) {
            for (const k of db.getKeys({ start: [key, -1], end: [key, MAX_SEQ] })) db.removeSync(k);
          }
        }
        break;
      case 'p':
        dbs.runtime.putSync(op.k, op.v);
        break;
      case 'r':
        dbs.runtime.removeSync(op.k);
        break;
      default:
        assertNeverOp(op);
    }
  }
}

function assertNeverOp(op: never): never {
  throw new Error(`unknown store op ${JSON.stringify(op)}`);
}
