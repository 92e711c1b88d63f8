import type { Ref } from '../runtime/kernel/protocol.js';
import type { LrpConvergenceCounts } from '../models/lrp-convergence.js';

export interface ConvergenceReport {
  pass: number;
  lrps: LrpConvergenceCounts | undefined;
}

export type ConvergenceMsg =
  /** one pass now (the periodic timer sends it too); the reply comes when the plans were sent */
  | { type: 'convergence/run'; replyTo?: Ref<ConvergenceReport> };

export const ConvergenceMsg = {
  run: (replyTo?: Ref<ConvergenceReport>): ConvergenceMsg => (replyTo ? { type: 'convergence/run', replyTo } : { type: 'convergence/run' }),
};

/**
 * The cells a pass may take for present, given the live ones. During the grace after a start
 * (`heard` given: the cells heard from since) a cell that the rows name but that has not been
 * heard from yet counts as present: it may still be reconnecting to the restarted control node,
 * and is judged once the grace is over. A cell heard from and gone since is judged at once.
 */
export function presentDuringGrace(present: readonly string[], heard: readonly string[] | undefined, cellsOfRows: Iterable<string>): string[] {
  if (!heard) return [...present];
  const out = new Set(present);
  const spoke = new Set(heard);
  for (const cell of cellsOfRows) if (cell !== '' && !spoke.has(cell)) out.add(cell);
  return [...out];
}
