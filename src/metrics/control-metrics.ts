/**
 * Diego's auctioneer and BBS figures under Prometheus names (docs/033-metrics.md). Counters and
 * histograms are fed by the control actors as things happen (`ControlMetrics`); the LRP and
 * task gauges are counted from Control's rows when scraped, so they are never a pass behind.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Control } from '../actors/control.js';
import type { ControlMetrics } from '../actors/control-metrics.js';
import { QUARANTINED_KINDS } from '../actors/quarantined-records.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { LrpConvergenceCounts } from '../models/lrp-convergence.js';
import type { TaskState } from '../models/task.js';
import { SpanStalls } from './span-stalls.js';

/** Fetching states and converging take ms on one node, seconds on a loaded cluster. */
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type LrpState = ActualLRP['state'];
/** the convergence counts kept as gauges until the next pass */
type PassFigure = 'missing' | 'extra' | 'crashingDesired' | 'suspectClaimed' | 'suspectRunning' | 'missingCells';

export class PromControlMetrics implements ControlMetrics {
  private readonly auctions: Record<'lrp' | 'task', Record<'started' | 'failed', Counter>>;
  private readonly fetchStates: Histogram;
  private readonly failedCellStates: Counter;
  private readonly convergenceDuration: Histogram;
  private readonly convergenceRuns: Counter;
  /** the event loop's stalls while a convergence pass runs */
  private readonly passStalls = new SpanStalls();
  private readonly convergenceStall: Gauge;
  private readonly cells: Gauge;
  /** figures of the last convergence pass */
  private readonly pass: Record<PassFigure, Gauge>;
  /** figures counted from Control's rows on scrape */
  private readonly desired: Gauge;
  private readonly lrps: Record<LrpState, Gauge>;
  private readonly tasks: Record<TaskState, Gauge>;
  private readonly controlUp: Gauge;
  private readonly quarantined: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    const gauge = (name: string, help: string) => new Gauge({ name, help, registers });
    this.auctions = {
      lrp: {
        started: counter('auctor_auctioneer_lrp_auctions_started_total', 'LRP instances an auction placed on a cell that accepted them (AuctioneerLRPAuctionsStarted)'),
        failed: counter('auctor_auctioneer_lrp_auctions_failed_total', 'LRP instances an auction could not place (AuctioneerLRPAuctionsFailed)'),
      },
      task: {
        started: counter('auctor_auctioneer_task_auctions_started_total', 'Tasks an auction placed on a cell that accepted them (AuctioneerTaskAuctionsStarted)'),
        failed: counter('auctor_auctioneer_task_auctions_failed_total', 'Tasks an auction could not place (AuctioneerTaskAuctionsFailed)'),
      },
    };
    this.fetchStates = new Histogram({ name: 'auctor_auctioneer_fetch_states_duration_seconds', help: 'Time an auction round took to get the cells\' states (AuctioneerFetchStatesDuration)', buckets: DURATION_BUCKETS, registers });
    this.failedCellStates = counter('auctor_auctioneer_failed_cell_state_requests_total', 'Cells that did not answer an auction round\'s state request in time (AuctioneerFailedCellStateRequests)');
    this.convergenceDuration = new Histogram({ name: 'auctor_convergence_lrp_duration_seconds', help: 'Duration of a convergence pass (ConvergenceLRPDuration)', buckets: DURATION_BUCKETS, registers });
    this.convergenceRuns = counter('auctor_convergence_lrp_runs_total', 'Convergence passes run, failed ones included (ConvergenceLRPRuns)');
    this.convergenceStall = gauge('auctor_convergence_lrp_max_event_loop_delay_seconds', 'Longest event-loop delay while the last convergence pass ran (whatever else ran meanwhile included)');
    this.cells = gauge('auctor_present_cells', 'Cells whose heartbeat is within the TTL (PresentCells)');
    this.pass = {
      missing: gauge('auctor_lrps_missing', 'Instances the last convergence pass found missing and started (LRPsMissing)'),
      extra: gauge('auctor_lrps_extra', 'Instances the last convergence pass retired as extra or orphaned (LRPsExtra)'),
      crashingDesired: gauge('auctor_crashing_desired_lrps', 'DesiredLRPs with a CRASHED instance at the last convergence pass (CrashingDesiredLRPs)'),
      suspectClaimed: gauge('auctor_suspect_claimed_actual_lrps', 'SUSPECT CLAIMED instances at the last convergence pass (SuspectClaimedActualLRPs)'),
      suspectRunning: gauge('auctor_suspect_running_actual_lrps', 'SUSPECT RUNNING instances at the last convergence pass (SuspectRunningActualLRPs)'),
      missingCells: gauge('auctor_suspect_cells', 'Cells holding CLAIMED/RUNNING instances that were not present at the last convergence pass (SuspectCells)'),
    };
    this.desired = gauge('auctor_lrps_desired', 'Sum of the DesiredLRPs\' instances (LRPsDesired)');
    this.lrps = {
      UNCLAIMED: gauge('auctor_lrps_unclaimed', 'ORDINARY ActualLRPs UNCLAIMED (LRPsUnclaimed)'),
      CLAIMED: gauge('auctor_lrps_claimed', 'ORDINARY ActualLRPs CLAIMED (LRPsClaimed)'),
      RUNNING: gauge('auctor_lrps_running', 'ORDINARY ActualLRPs RUNNING (LRPsRunning)'),
      CRASHED: gauge('auctor_crashed_actual_lrps', 'ORDINARY ActualLRPs CRASHED (CrashedActualLRPs)'),
    };
    this.tasks = {
      PENDING: gauge('auctor_tasks_pending', 'Tasks PENDING (TasksPending)'),
      RUNNING: gauge('auctor_tasks_running', 'Tasks RUNNING (TasksRunning)'),
      COMPLETED: gauge('auctor_tasks_completed', 'Tasks COMPLETED, not yet resolved (TasksCompleted)'),
      RESOLVING: gauge('auctor_tasks_resolving', 'Tasks RESOLVING (TasksResolving)'),
    };
    this.quarantined = new Gauge({ name: 'auctor_quarantined_records', help: 'Records whose actor could not be brought back and is quarantined until deleted (GET /v1/quarantine), by kind', labelNames: ['kind'], registers });
    this.controlUp = gauge('auctor_control_up', '1 when Control answered the last scrape in time; 0 when the LRP and task gauges kept older values');
  }

  cellStatesFetched(seconds: number, failedCells: number): void {
    this.fetchStates.observe(seconds);
    if (failedCells > 0) this.failedCellStates.inc(failedCells);
  }

  auctioned(kind: 'lrp' | 'task', outcome: 'started' | 'failed'): void {
    this.auctions[kind][outcome].inc();
  }

  convergenceStarted(): void {
    this.passStalls.start();
  }

  convergencePass(seconds: number, counts: LrpConvergenceCounts | undefined): void {
    this.convergenceRuns.inc();
    this.convergenceDuration.observe(seconds);
    this.convergenceStall.set(this.passStalls.end() / 1000);
    if (!counts) return;
    for (const key of Object.keys(this.pass) as PassFigure[]) this.pass[key].set(counts[key]);
  }

  presentCells(count: number): void {
    this.cells.set(count);
  }

  /**
   * Counts Control's rows into the gauges; gives up after `timeoutMs` (the gauges keep their
   * values and `auctor_control_up` says 0), so a busy control never hangs a scrape.
   */
  async refresh(control: Control, timeoutMs: number): Promise<boolean> {
    this.countQuarantined(control);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
      timer.unref();
    });
    const rows = Promise.all([control.lrps(), control.actualLrps(), control.tasks()]);
    rows.catch(() => {}); // a late failure after the timeout is nobody's business
    try {
      const answer = await Promise.race([rows, timeout]);
      if (!answer) return this.down();
      const [desired, actuals, tasks] = answer;
      this.desired.set(desired.reduce((sum, d) => sum + d.instances, 0));
      this.setByState(this.lrps, actuals.filter((a) => a.presence === 'ORDINARY'));
      this.setByState(this.tasks, tasks);
      this.controlUp.set(1);
      return true;
    } catch {
      return this.down();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops watching the event loop for passes. */
  close(): void {
    this.passStalls.close();
  }

  /** From the kernel's registry, without asking an actor: current even when Control does not answer. */
  private countQuarantined(control: Control): void {
    const counts = new Map<string, number>(QUARANTINED_KINDS.map((kind) => [kind, 0]));
    for (const q of control.quarantined()) counts.set(q.kind, (counts.get(q.kind) ?? 0) + 1);
    this.quarantined.reset();
    for (const [kind, n] of counts) this.quarantined.set({ kind }, n);
  }

  private down(): false {
    this.controlUp.set(0);
    return false;
  }

  private setByState<S extends string>(gauges: Record<S, Gauge>, rows: ReadonlyArray<{ state: string }>): void {
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
    for (const state of Object.keys(gauges) as S[]) gauges[state].set(counts.get(state) ?? 0);
  }
}
