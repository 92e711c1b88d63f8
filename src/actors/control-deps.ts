/**
 * What every control actor is handed when it is spawned: the event hub, the way to reach a
 * cell, guids, and the settings. Passed by closure, never persisted.
 */
import { randomUUID } from 'node:crypto';
import type { CellClient } from './cell.protocol.js';
import { restartSettings, type RestartSettings } from '../models/restart-policy.js';
import type { AuctionSettings } from '../auction/types.js';
import type { TaskConvergenceSettings } from '../models/task-convergence.js';
import type { LrpConvergenceSettings } from '../models/lrp-convergence.js';
import { DEFAULT_MAX_INSTANCES } from '../models/limits.js';
import type { ListsSetAside } from './lists-set-aside.js';

/**
 * Instance actors active at once by default: about 120 MB of a control node's heap (an active
 * instance holds ~5.9 KB more than a passive one at 50k instances), far more than a fill at
 * ~1300 desires/s keeps busy between desire and RUNNING.
 */
export const DEFAULT_MAX_ACTIVE_INSTANCES = 20_000;
import type { EventHub } from './event-hub.js';
import type { ControlMetrics } from './control-metrics.js';
import type { QueryIndex } from './query-index.js';
import type { PlacementExplanations } from './placement-explanations.js';
import { DEFAULT_INTENSITY, type RestartIntensity } from '../runtime/kernel/supervision.js';
import { DEFAULT_LIMITS } from '../runtime/remoting/options.js';

/**
 * The longest a live cell may wait, once a restarted control node listens again, before its
 * remoting stream reconnects: its reconnect backoff may be at its cap (2 s, +20 % jitter:
 * runtime/remoting/peer-stream.ts), and a dial that lands in gRPC's own reconnect backoff (the same cap)
 * fails at once and waits a second full delay. 4.8 s with remoting's defaults.
 */
export const CELL_RECONNECT_MAX_MS = 2 * DEFAULT_LIMITS.backoffMaxMs * 1.2;

export interface ControlSettings {
  /** a cell whose last heartbeat is older than this is gone */
  cellTtlMs: number;
  /** how long a round waits for a cell's state */
  cellStateTimeoutMs: number;
  /** how long a round waits for a cell to accept its work */
  performTimeoutMs: number;
  /** 0: a round starts as soon as the mailbox is drained; > 0: waits this long on the clock to batch */
  auctionBatchWindowMs: number;
  /** how often a task is rejected before it fails (`--task-retries`) */
  taskRetries: number;
  /** wait before a rejected task is auctioned again */
  taskRetryMs: number;
  /** completed tasks nobody resolved are deleted after this */
  completedTaskTtlMs: number;
  /** callback retry delay after a 503/504 */
  callbackRetryMs: number;
  /** how many callback attempts before giving up (the task stays COMPLETED for convergence) */
  callbackAttempts: number;
  /** period of the convergence sweep; 0 = no periodic sweep */
  convergenceIntervalMs: number;
  /** how many LRPs a convergence pass reads and plans before it yields to the event loop */
  convergenceSliceLrps: number;
  /**
   * an ActualLRP instance with no work in progress (RUNNING or CRASHED, no copy) this long without
   * a message is passivated: its actor stops, its rows stay in its journal (docs/020 "Instances")
   */
  instanceIdleMs: number;
  /**
   * at most this many ActualLRP instance actors active at once: past it, activating one
   * passivates the least recently used idle ones without waiting for `instanceIdleMs`
   * (`--max-active-instances`; docs/020 "Instances are virtual children")
   */
  maxActiveInstances: number;
  /**
   * an LRP supervisor whose instances are all passive, with no rows to trim, this long without a
   * message is passivated (docs/020 "Supervisors are virtual children")
   */
  supervisorIdleMs: number;
  /**
   * after a (re)start, how long a cell may take to reach this node again before it can be judged
   * (default CELL_RECONNECT_MAX_MS; {@link firstPassGraceMs} adds a TTL)
   */
  cellReconnectMs: number;
  /** task convergence tunables (kick, pending expiry); completedTaskTtlMs comes from above */
  taskConvergence: Partial<Omit<TaskConvergenceSettings, 'completedTaskTtlMs'>>;
  /** LRP convergence tunables beyond the restart settings */
  lrpConvergence: Partial<Pick<LrpConvergenceSettings, 'staleUnclaimedMs'>>;
  restart: RestartSettings;
  auction: Partial<AuctionSettings>;
  /** restarts among control's children before control itself gives up (escalates) */
  controlIntensity: RestartIntensity;
  /** timeout of the internal asks the API makes */
  askTimeoutMs: number;
  /** the most `instances` one DesiredLRP may ask for (`--max-instances`) */
  maxInstances: number;
}

export function controlSettings(overrides: Partial<ControlSettings> = {}): ControlSettings {
  return {
    cellTtlMs: 30_000,
    cellStateTimeoutMs: 2_000,
    performTimeoutMs: 5_000,
    auctionBatchWindowMs: 0,
    taskRetries: 3,
    taskRetryMs: 5_000,
    completedTaskTtlMs: 120_000,
    callbackRetryMs: 1_000,
    callbackAttempts: 3,
    convergenceIntervalMs: 30_000,
    convergenceSliceLrps: 100,
    instanceIdleMs: 60_000,
    maxActiveInstances: DEFAULT_MAX_ACTIVE_INSTANCES,
    supervisorIdleMs: 60_000,
    cellReconnectMs: CELL_RECONNECT_MAX_MS,
    auction: {},
    taskConvergence: {},
    lrpConvergence: {},
    askTimeoutMs: 5_000,
    maxInstances: DEFAULT_MAX_INSTANCES,
    controlIntensity: DEFAULT_INTENSITY,
    ...overrides,
    restart: restartSettings(overrides.restart),
  };
}

/**
 * How long after a start nothing is judged lost: a cell that the journal knows (rows with its
 * cell id) but the new registry has not heard from yet gets this long to reconnect
 * (`cellReconnectMs`), be admitted, and send a heartbeat, which comes within a TTL (a cell
 * heartbeats several times per TTL). docs/053-failover.md has the figures.
 */
export function firstPassGraceMs(settings: ControlSettings): number {
  return settings.cellTtlMs + settings.cellReconnectMs;
}

export interface ControlDeps {
  events: EventHub;
  /** the client of a cell, or undefined when this node cannot reach it */
  clientFor: (cellId: string) => CellClient | undefined;
  newGuid: () => string;
  settings: ControlSettings;
  metrics: ControlMetrics;
  /** what a convergence pass awaits between its slices; default {@link nextTurn} (tests inject their own) */
  betweenSlices?: () => Promise<void>;
  /** what listings read (query-index.ts): the registries tell it of entries the events do not carry */
  queries?: QueryIndex;
  /** container lists that came while `queries` was rebuilt, asked again once it is (lists-set-aside.ts) */
  listsSetAside?: ListsSetAside;
  /** where auction rounds keep the latest placement failure of each unplaced instance and task */
  placements?: PlacementExplanations;
}

/** Resolves once the event loop has had its turn (timers, I/O) after the current work. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const defaultGuid = (): string => randomUUID();
