/**
 * What the actual-lrp actor (actual-lrp.ts) holds and journals for one index, and the pure fold
 * replay uses. One index may have up to three rows (DIEGO.md 1.2, 3.7, 3.8):
 * - `actual`: the ORDINARY row (the one the crash policy, claims and auctions are about;
 *   actual-lrp.ordinary.ts);
 * - `suspect`: the instance on a cell that vanished, kept while the ORDINARY replacement starts;
 * - `evacuating`: the instance a draining cell keeps serving while the replacement starts.
 * When the copies are added, removed and promoted is actual-lrp.copies.ts's table.
 *
 * `pending` is the instance guid of the placement asked for and not yet claimed.
 */
import type { ActualLRP } from '../models/actual-lrp.js';

/** Every row of the index (and the pending guid) at once: what one change leaves. */
export interface Rows {
  actual?: ActualLRP;
  pending: string;
  suspect?: ActualLRP;
  evacuating?: ActualLRP;
}

export type ActualLrpEvent =
  /** the ORDINARY row changed (the others are kept) */
  | { type: 'row'; actual: ActualLRP; pending: string }
  /** every row is gone */
  | { type: 'removed' }
  /** the rows as they are now (a change of more than the ORDINARY row); absent = no such row */
  | ({ type: 'rows' } & Rows);

export interface ActualLrpState {
  /** the ORDINARY row */
  actual: ActualLRP | undefined;
  pending: string;
  suspect: ActualLRP | undefined;
  evacuating: ActualLRP | undefined;
}

export const noRows = (): ActualLrpState => ({ actual: undefined, pending: '', suspect: undefined, evacuating: undefined });

export function applyEvent(state: ActualLrpState, event: ActualLrpEvent): ActualLrpState {
  switch (event.type) {
    case 'row':
      return { ...state, actual: event.actual, pending: event.pending };
    case 'removed':
      return { ...state, actual: undefined, pending: '', suspect: undefined, evacuating: undefined };
    case 'rows':
      return { ...state, actual: event.actual, pending: event.pending, suspect: event.suspect, evacuating: event.evacuating };
  }
}

/** The `rows` event for these rows (absent ones left out, so the journal's JSON stays plain). */
export function rowsEvent(rows: Rows): ActualLrpEvent {
  return {
    type: 'rows',
    pending: rows.pending,
    ...(rows.actual ? { actual: rows.actual } : {}),
    ...(rows.suspect ? { suspect: rows.suspect } : {}),
    ...(rows.evacuating ? { evacuating: rows.evacuating } : {}),
  };
}

export function rowsOf(s: ActualLrpState): Rows {
  return {
    pending: s.pending,
    ...(s.actual ? { actual: s.actual } : {}),
    ...(s.suspect ? { suspect: s.suspect } : {}),
    ...(s.evacuating ? { evacuating: s.evacuating } : {}),
  };
}

/** The rows with one copy dropped. */
export function rowsWithout(s: ActualLrpState, which: 'suspect' | 'evacuating'): Rows {
  const rows = rowsOf(s);
  delete rows[which];
  return rows;
}

/** The rows there are, ORDINARY first. */
export function presentRows(s: ActualLrpState): ActualLRP[] {
  return [s.actual, s.suspect, s.evacuating].filter((a): a is ActualLRP => a !== undefined);
}

/** `a` is the row of that instance on that cell. */
export const sameKey = (a: ActualLRP | undefined, r: { instance_guid: string; cell_id: string }): a is ActualLRP =>
  !!a && a.instance_guid === r.instance_guid && a.cell_id === r.cell_id;

/** `a` has a container on a cell (CLAIMED or RUNNING). */
export const placed = (a: ActualLRP | undefined): a is ActualLRP => !!a && (a.state === 'CLAIMED' || a.state === 'RUNNING');

export function actualLrpKey(processGuid: string, epoch: string, index: number): string {
  return `actual-lrp/${processGuid}/${epoch}/${index}`;
}
