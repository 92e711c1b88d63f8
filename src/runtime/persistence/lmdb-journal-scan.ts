/**
 * {@link PersistenceEngine.scanJournals} on LMDB (lmdb-engine.ts's layout: `events` and
 * `snapshots` keyed `[persistence key, sequence number]`, so the journals under a prefix are one
 * contiguous range of each, in key order).
 *
 * Two passes: the snapshots' keys (no value decoded) give each journal's latest snapshot; then
 * one walk over the events range, which skips a journal's events up to its snapshot by seeking
 * past them (a long history is not decoded), reads that snapshot, and hands each journal over
 * once its last event is read. Both walk in pages of {@link PAGE} records with a turn of the
 * event loop between pages; a page re-opens the range after the last key it read.
 */
import type { Database } from 'lmdb';
import type { JournalRead, PersistedEvent, PersistenceEngine } from './engine.js';

/** Records read between two turns of the event loop (a few ms of decoding). */
const PAGE = 2000;

type RecordKey = [string, number];

/** The stored records the scan reads (lmdb-engine.ts's EventRecord and SnapshotRecord). */
interface StoredEvent {
  d: unknown;
  t?: string[];
  c: number;
  x?: 1;
}
interface StoredSnapshot {
  d: unknown;
  c: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Each key under `prefix` with a snapshot → the sequence number of its latest one. */
async function latestSnapshots(snapshots: Database<StoredSnapshot, RecordKey>, prefix: string): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  let start: RecordKey = [prefix, -1];
  for (;;) {
    let read = 0;
    let last: RecordKey | undefined;
    for (const key of snapshots.getKeys({ start, limit: PAGE })) {
      if (!key[0].startsWith(prefix)) return latest;
      latest.set(key[0], key[1]); // ascending: the last one seen is the latest
      last = key;
      read++;
    }
    if (read < PAGE || !last) return latest;
    start = [last[0], last[1] + 1];
    await nextTurn();
  }
}

/** See {@link PersistenceEngine.scanJournals}. `assertOpen` throws once the engine is closed. */
export async function scanLmdbJournals(
  events: Database<StoredEvent, RecordKey>, snapshots: Database<StoredSnapshot, RecordKey>,
  prefix: string, visit: (journal: JournalRead) => void, assertOpen: () => void,
): Promise<void> {
  assertOpen();
  const latest = await latestSnapshots(snapshots, prefix);
  let current: JournalRead | undefined;
  const flush = () => {
    if (current) visit(current);
    current = undefined;
  };
  let start: RecordKey = [prefix, -1];
  let sinceTurn = 0;
  for (;;) {
    assertOpen();
    let read = 0;
    let last: RecordKey | undefined;
    let seek: RecordKey | undefined;
    for (const { key, value } of events.getRange({ start, limit: PAGE })) {
      const [k, seq] = key;
      if (!k.startsWith(prefix)) break;
      read++;
      if (current?.key !== k) {
        flush();
        const at = latest.get(k);
        const stored = at === undefined ? undefined : snapshots.get([k, at]);
        current = { key: k, snapshot: stored && { data: stored.d, sequenceNumber: at!, key: k, createdAt: stored.c }, events: [] };
        if (stored && seq <= at!) {
          // the snapshot holds this journal's events up to it: seek past them, unread
          seek = [k, at! + 1];
          break;
        }
      }
      current.events.push(toEvent(k, seq, value));
      last = key;
    }
    if (seek) start = seek;
    else if (read === PAGE && last) start = [last[0], last[1] + 1];
    else break;
    sinceTurn += read;
    if (sinceTurn >= PAGE) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  flush();
}

function toEvent(key: string, sequenceNumber: number, record: StoredEvent): PersistedEvent {
  return { data: record.d, sequenceNumber, key, tags: record.t ?? [], createdAt: record.c, isDeleted: record.x === 1 };
}
