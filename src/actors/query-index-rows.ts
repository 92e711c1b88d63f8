/**
 * One LRP's entry in the query index (query-index.ts): its DesiredLRP and its rows by index, each
 * index with one slot per presence. An index left with no row is a hole, so an entry stays as
 * small as its instances need.
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';

/** One index's rows: ORDINARY, SUSPECT, EVACUATING. */
export interface IndexRows {
  o: ActualLRP | undefined;
  s: ActualLRP | undefined;
  e: ActualLRP | undefined;
}

export interface LrpEntry {
  desired: DesiredLRP | undefined;
  /** by index; holes where an index has no row */
  rows: Array<IndexRows | undefined>;
}

/**
 * Makes `entry.rows` long enough for `index` in an array of about the size it needs (one grown by
 * assignment has 16 spare slots: ~130 B for each one-instance LRP): exact up to 8, then by half.
 */
function reach(entry: LrpEntry, index: number): void {
  const length = entry.rows.length;
  if (!(index >= length && index < 2 ** 24)) return; // (anything else is left to the assignment, as before)
  const grown: Array<IndexRows | undefined> = new Array(index < 8 ? index + 1 : Math.max(index + 1, Math.ceil(length * 1.5)));
  for (let i = 0; i < length; i++) grown[i] = entry.rows[i];
  entry.rows = grown;
}

type Slot = keyof IndexRows;
const SLOT: Record<ActualLRP['presence'], Slot> = { ORDINARY: 'o', SUSPECT: 's', EVACUATING: 'e' };

/** Sets every row of one index (none, or all slots empty, clears it). */
export function putIndexRows(entry: LrpEntry, index: number, rows: IndexRows | undefined): void {
  const kept = rows && (rows.o || rows.s || rows.e) ? rows : undefined;
  if (kept) reach(entry, index);
  else if (index >= entry.rows.length) return; // nothing to clear
  entry.rows[index] = kept;
}

/** Sets (`value`) or clears (undefined) the slot of `row`'s index and presence. */
export function setEntryRow(entry: LrpEntry, row: ActualLRP, value: ActualLRP | undefined): void {
  let rows = entry.rows[row.index];
  if (!rows) {
    if (!value) return;
    reach(entry, row.index);
    rows = entry.rows[row.index] = { o: undefined, s: undefined, e: undefined };
  }
  rows[SLOT[row.presence]] = value;
  if (!rows.o && !rows.s && !rows.e) entry.rows[row.index] = undefined;
}
