/**
 * What an LRP supervisor (lrp-supervisor.ts) journals, and the pure fold replay uses.
 *
 * Besides the DesiredLRP it keeps `rowsBelow`: the indices that may still hold rows in their
 * own journals. A scale-down (or delete) journals the new DesiredLRP first, and only then does
 * each dropped index's actor journal its removal; a kill -9 in between leaves rows at or above
 * `instances` that recovery, which respawns only `0..instances-1`, would never replay, so a
 * later scale-up would find them as they were (finding 2 of issue 12). Recovery removes them
 * and journals `trimmed`. A journal written before `rowsBelow` existed folds it from the largest
 * `instances` it holds, so its first recovery looks at those indices once (their rows are gone:
 * nothing to stop) and journals `trimmed`.
 */
import type { DesiredLRP } from '../models/desired-lrp.js';

export type LrpSupervisorEvent =
  | { type: 'desired'; desired: DesiredLRP }
  | { type: 'deleted' }
  /** the indices from `below` up hold no rows any more */
  | { type: 'trimmed'; below: number };

export interface LrpSupervisorState {
  desired: DesiredLRP | undefined;
  /** indices from this one up hold no rows (absent in journals written before it existed: `desired.instances`) */
  rowsBelow?: number;
  /** the DesiredLRP a delete removed, while some of its indices may still hold rows */
  deleted?: DesiredLRP;
}

/** The indices that may hold rows: `0..rowsBelow(s)-1`. */
export const rowsBelow = (s: LrpSupervisorState): number => s.rowsBelow ?? s.desired?.instances ?? 0;

/** Rows above what is desired are left from a scale-down or delete that was cut short. */
export const needsTrim = (s: LrpSupervisorState): boolean => rowsBelow(s) > (s.desired?.instances ?? 0);

export function applySupervisorEvent(s: LrpSupervisorState, e: LrpSupervisorEvent): LrpSupervisorState {
  switch (e.type) {
    case 'desired':
      return { desired: e.desired, rowsBelow: Math.max(rowsBelow(s), e.desired.instances) };
    case 'deleted': {
      const deleted = s.desired ?? s.deleted;
      return { desired: undefined, rowsBelow: rowsBelow(s), ...(deleted ? { deleted } : {}) };
    }
    case 'trimmed':
      return e.below > 0 || s.desired ? { ...s, rowsBelow: e.below } : { desired: s.desired, rowsBelow: 0 };
  }
}
