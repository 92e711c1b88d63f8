/**
 * Every write the LMDB engine makes, as data (lmdb-engine.ts's layout): what a replication log
 * entry holds (replication-log.ts), applied the same way on the primary and on each standby, so
 * their stores stay equal. Applied with lmdb-js's `put`/`remove` inside a `batch` (or a
 * transaction callback): every op of one entry, and the entry, commit together.
 */
import type { Database } from 'lmdb';
import { Packr } from 'msgpackr';

export type RecordKey = [string, number];

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
  /**
   * journals deleted: as the engine asks, `k` their keys; as logged, `e` and `s` the event and
   * snapshot records that were removed (read by the primary once nothing else was pending)
   */
  | { o: 'd'; k: string[]; e?: RecordKey[]; s?: RecordKey[] }
  /** a runtime-store put */
  | { o: 'p'; k: string; v: unknown }
  /** a runtime-store remove */
  | { o: 'r'; k: string };

/**
 * An op as the log holds it: a put's value already encoded, as the store keeps it (plain msgpack
 * maps, lmdb-engine.ts's LMDB_DB_OPTIONS), so it is encoded once on the primary and written as
 * bytes on both sides; a deletion resolved to its records.
 */
export type LoggedOp =
  | { o: 'e' | 's'; k: string; s: number; v: Uint8Array }
  | { o: 'd'; e: RecordKey[]; s: RecordKey[] }
  | { o: 'p'; k: string; v: Uint8Array }
  | { o: 'r'; k: string };

/** The sub-databases the ops write, each also opened as bytes (`encoding: 'binary'`). */
export interface StoreDbs {
  events: Database<StoredEventRecord, RecordKey>;
  snapshots: Database<StoredSnapshotRecord, RecordKey>;
  runtime: Database<unknown, string>;
  eventBytes: Database<Buffer, RecordKey>;
  snapshotBytes: Database<Buffer, RecordKey>;
  runtimeBytes: Database<Buffer, string>;
}

/** Encodes values as lmdb-js would with LMDB_DB_OPTIONS (any msgpack decodes; plain maps are what it writes). */
const VALUES = new Packr({ useRecords: false, variableMapSize: true } as ConstructorParameters<typeof Packr>[0]);

/** `ops` as logged; a deletion must already name its records ({@link journalRecords}). */
export function logOps(ops: readonly StoreOp[]): LoggedOp[] {
  return ops.map((op): LoggedOp => {
    switch (op.o) {
      case 'e':
      case 's':
        return { o: op.o, k: op.k, s: op.s, v: Buffer.from(VALUES.pack(op.v)) };
      case 'p':
        return { o: 'p', k: op.k, v: Buffer.from(VALUES.pack(op.v)) };
      case 'r':
        return op;
      case 'd':
        if (!op.e || !op.s) throw new Error('a deletion must name its records before it is logged');
        return { o: 'd', e: op.e, s: op.s };
      default:
        return assertNeverOp(op);
    }
  });
}

/** Applies logged ops in order; call inside `batch` or a write transaction. */
export function applyOps(dbs: StoreDbs, ops: readonly LoggedOp[]): void {
  const bytes = (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  for (const op of ops) {
    switch (op.o) {
      case 'e':
        void dbs.eventBytes.put([op.k, op.s], bytes(op.v));
        break;
      case 's':
        void dbs.snapshotBytes.put([op.k, op.s], bytes(op.v));
        break;
      case 'd':
        for (const key of op.e) void dbs.events.remove(key);
        for (const key of op.s) void dbs.snapshots.remove(key);
        break;
      case 'p':
        void dbs.runtimeBytes.put(op.k, bytes(op.v));
        break;
      case 'r':
        void dbs.runtime.remove(op.k);
        break;
      default:
        assertNeverOp(op);
    }
  }
}

/** The records of `keys`' journals, as the store holds them now (committed writes only). */
export function journalRecords(dbs: StoreDbs, keys: readonly string[]): { e: RecordKey[]; s: RecordKey[] } {
  const read = (db: Database<unknown, RecordKey>) => keys.flatMap((key) => [...db.getKeys({ start: [key, -1], end: [key, Number.MAX_SAFE_INTEGER] })]);
  return { e: read(dbs.events as Database<unknown, RecordKey>), s: read(dbs.snapshots as Database<unknown, RecordKey>) };
}

function assertNeverOp(op: never): never {
  throw new Error(`unknown store op ${JSON.stringify(op)}`);
}
