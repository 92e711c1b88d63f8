/**
 * What the control actors report to metrics as things happen (Diego's auctioneer and BBS
 * metrics, docs/033-metrics.md). A narrow sink so the actors know nothing of Prometheus; the node
 * hands in src/metrics' implementation, tests get the no-op default.
 */
import type { LrpConvergenceCounts } from '../models/lrp-convergence.js';

export interface ControlMetrics {
  /**
   * An auction round has the cells' states: `seconds` from asking for the live cells until every
   * cell answered or timed out; `failedCells` did not answer (AuctioneerFetchStatesDuration,
   * AuctioneerFailedCellStateRequests).
   */
  cellStatesFetched(seconds: number, failedCells: number): void;
  /**
   * One LRP instance or task left an auction: `started` when its cell accepted it, `failed` when
   * no cell could take it or its cell refused it (AuctioneerLRPAuctionsStarted/Failed, ...Task...).
   */
  auctioned(kind: 'lrp' | 'task', outcome: 'started' | 'failed'): void;
  /** A convergence pass starts (its end is `convergencePass`): the sink may watch what the pass costs meanwhile. */
  convergenceStarted(): void;
  /**
   * A convergence pass ended after `seconds`; `counts` is its LRP figures, undefined when the pass
   * failed (ConvergenceLRPDuration, ConvergenceLRPRuns, LRPsMissing, LRPsExtra, Suspect*).
   */
  convergencePass(seconds: number, counts: LrpConvergenceCounts | undefined): void;
  /** The number of live cells changed (PresentCells). */
  presentCells(count: number): void;
}

export const NO_CONTROL_METRICS: ControlMetrics = {
  cellStatesFetched: () => {},
  auctioned: () => {},
  convergenceStarted: () => {},
  convergencePass: () => {},
  presentCells: () => {},
};

/** Seconds since `start` (a `performance.now()` reading): durations are real time, not the Clock's. */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;
