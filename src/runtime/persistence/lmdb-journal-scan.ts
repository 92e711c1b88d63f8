/**
 * {@link PersistenceEngine.scanJournals} on LMDB (lmdb-engine.ts's layout: `events` and
 * `snapshots` keyed `[persistence key, sequence number]`, so the journals under a prefix are one
 * contiguous range of each, in key order).
 *
 * Two passes: the snapshots' keys (no value decoded) give each journal's latest snapshot; then
 * one walk over the events range, which skips a journal's events up to its snapshot by seeking
 * past them (a long history is not decoded), reads that snapshot, and hands each journal over
 * once its last event is read. The walk decodes no event: it reads the events through a view of
 * the same sub-database whose decoder only reads each value's `type` off its bytes where they are
 * a plain msgpack `{ d: { type, ... }, c }` ({@link peekType}; no copy, no decoding); an event is
 * decoded only when the reader asks (`read()`: a point read with the engine's own decoder, which
 * also reads values stored with msgpackr records). Both walk in pages of {@link PAGE} records with a turn of the
 * event loop between pages; a page re-opens the range after the last key it read.
 */
import type { Database } from 'lmdb';
import type { JournalRead, PersistedEvent, PersistenceEngine, ScanOptions, ScannedEvent } from './engine.js';

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

/** The sub-databases a scan reads: `events`, and `events` again with {@link TYPE_DECODER}. */
export interface ScanSource {
  events: Database<StoredEvent, RecordKey>;
  eventTypes: Database<string | undefined, RecordKey>;
  snapshots: Database<StoredSnapshot, RecordKey>;
}

/**
 * The decoder of the `eventTypes` view (lmdb-js's `encoder` option): a value decodes to its
 * type, read off the bytes lmdb-js lends it (`needsStableBuffer` unset: they are not kept).
 */
export const TYPE_DECODER = {
  decode: (bytes: Uint8Array, size?: number) => peekType(size === undefined || size === bytes.length ? bytes : bytes.subarray(0, size)),
  encode: (): never => {
    throw new Error('the event-type view of the events is read-only');
  },
};

/** See {@link PersistenceEngine.scanJournals}. `assertOpen` throws once the engine is closed. */
export async function scanLmdbJournals(
  { events, eventTypes, snapshots }: ScanSource,
  prefix: string, visit: (journal: JournalRead) => void, assertOpen: () => void, { decode = false }: ScanOptions = {},
): Promise<void> {
  assertOpen();
  // decoding as the range is read (a reader that needs every event), or only the types
  const view = (decode ? events : eventTypes) as Database<StoredEvent | string | undefined, RecordKey>;
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
    for (const { key, value } of view.getRange({ start, limit: PAGE })) {
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
      current.events.push(decode ? decoded(k, seq, value as StoredEvent) : scanned(events, k, seq, value as string | undefined));
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

function decoded(key: string, sequenceNumber: number, record: StoredEvent): ScannedEvent {
  const event: PersistedEvent = { data: record.d, sequenceNumber, key, tags: record.t ?? [], createdAt: record.c, isDeleted: record.x === 1 };
  const type = event.isDeleted ? undefined : (record.d as { type?: unknown } | null)?.type;
  return { sequenceNumber, type: typeof type === 'string' ? type : undefined, read: () => event };
}

function scanned(events: Database<StoredEvent, RecordKey>, key: string, sequenceNumber: number, type: string | undefined): ScannedEvent {
  return {
    sequenceNumber,
    type,
    read(): PersistedEvent {
      const record = events.get([key, sequenceNumber]);
      if (!record) throw new Error(`event ${sequenceNumber} of "${key}" is gone`);
      return { data: record.d, sequenceNumber, key, tags: record.t ?? [], createdAt: record.c, isDeleted: record.x === 1 };
    },
  };
}

/** A msgpack map's entry count and where its first key starts (fixmap or map16), or undefined. */
function mapAt(b: Uint8Array, at: number): [count: number, next: number] | undefined {
  const h = b[at];
  if (h === undefined) return undefined;
  if (h >= 0x80 && h <= 0x8f) return [h & 0x0f, at + 1];
  if (h === 0xde) return [(b[at + 1]! << 8) | b[at + 2]!, at + 3];
  return undefined;
}

/** A msgpack fixstr or str8 at `at` as a string of one-byte characters, and where it ends. */
function stringAt(b: Uint8Array, at: number): [value: string, next: number] | undefined {
  const h = b[at];
  let start: number;
  let length: number;
  if (h !== undefined && h >= 0xa0 && h <= 0xbf) [start, length] = [at + 1, h & 0x1f];
  else if (h === 0xd9) [start, length] = [at + 2, b[at + 1] ?? 0];
  else return undefined;
  if (start + length > b.length) return undefined;
  let value = '';
  for (let i = start; i < start + length; i++) {
    if (b[i]! >= 0x80) return undefined; // not ASCII: left to the decoder
    value += String.fromCharCode(b[i]!);
  }
  return [value, start + length];
}

/**
 * `d.type` of a stored event written as lmdb-engine.ts writes a live one without tags: a plain
 * msgpack map of exactly two entries, `d` first (so no `t` and no `x`: not deleted), whose `d`
 * is a map with the string `type` first. Anything else (tags, a deleted event, a value written
 * with msgpackr records, a non-ASCII type) is undefined, and the reader decodes it.
 */
export function peekType(b: Uint8Array): string | undefined {
  const record = mapAt(b, 0);
  if (!record || record[0] !== 2) return undefined;
  const d = stringAt(b, record[1]);
  if (!d || d[0] !== 'd') return undefined;
  const data = mapAt(b, d[1]);
  if (!data || data[0] < 1) return undefined;
  const key = stringAt(b, data[1]);
  if (!key || key[0] !== 'type') return undefined;
  return stringAt(b, key[1])?.[0];
}
