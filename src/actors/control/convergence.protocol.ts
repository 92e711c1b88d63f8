import type { Ref } from '../kernel/protocol.js';
import type { LrpConvergenceCounts } from '../../models/lrp-convergence.js';

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
