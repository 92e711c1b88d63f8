/**
 * One node's scheduler: the control subtree and/or a cell, in one actor system, started in
 * dependency order (control first, so the cell has somewhere to report) and stopped in reverse.
 * On one node the control side reaches its cell through the local cell client; the cluster
 * issue puts a remote client behind the same `clientFor`. `drainBeforeStop` is SIGTERM's drain.
 */
import type { GardenBackend } from '../garden/backend.js';
import type { CellPresence } from '../models/cell-state.js';
import type { AnyRef, Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import { reconcileMsFor, spawnCell, type CellSettings } from './cell.js';
import { localCellClient } from './cell-client.js';
import { CellMsg, type CellClient, type CellDrained, type CellReport } from './cell.protocol.js';
import { startControl, type Control } from './control.js';
import type { ControlSettings } from './control-deps.js';
import { EventHub } from './event-hub.js';
import type { ControlMetrics } from './control-metrics.js';
import { LogBuffer } from './log-buffer.js';

export interface SchedulerOptions {
  roles: Array<'control' | 'cell'>;
  /** the cell's id: the node name */
  cellId: string;
  /** the cell role's container backend */
  backend?: GardenBackend;
  zone?: string;
  placementTags?: string[];
  optionalPlacementTags?: string[];
  cell?: Partial<CellSettings>;
  control?: Partial<ControlSettings>;
  events?: EventHub;
  /** the control role's metrics sink (the node's registry); default none */
  metrics?: ControlMetrics;
  /** where the cell reports when this node has no control role (the cluster issue) */
  reports?: Ref<CellReport>;
  /** how the control role reaches cells on other nodes (the cluster issue; tests) */
  clientFor?: (cellId: string) => CellClient | undefined;
  /** where the cell keeps its containers' output; default a new one */
  logs?: LogBuffer;
}

export interface Scheduler {
  control: Control | undefined;
  cell: Ref<CellMsg> | undefined;
  events: EventHub;
  /** the output of this node's containers */
  logs: LogBuffer;
  cellId: string;
  /** the cell role's settings, when it has one */
  cellSettings: CellSettings | undefined;
}

export const DEFAULT_CELL_SETTINGS: CellSettings = {
  gracefulStopMs: 10_000,
  unhealthyIntervalMs: 500,
  healthyIntervalMs: 10_000,
  heartbeatMs: 1_000,
  reconcileMs: reconcileMsFor(1_000),
  evacuationTimeoutMs: 600_000,
};

/**
 * A node batches auction requests for 50 ms: with no window each round asks every cell for its
 * state to place the one or two requests that arrived meanwhile, and rounds starve everything
 * else (bench/auction.ts: 3989 rounds for 10k instances on 1000 cells).
 */
export const NODE_CONTROL_SETTINGS: Partial<ControlSettings> = { auctionBatchWindowMs: 50 };

export function startScheduler(system: ActorSystem, options: SchedulerOptions, parent: AnyRef = system.root): Scheduler {
  const events = options.events ?? new EventHub();
  const logs = options.logs ?? new LogBuffer();
  let cellClient: CellClient | undefined;
  const control = options.roles.includes('control')
    ? startControl(system, { clientFor: (id) => (id === options.cellId ? cellClient : options.clientFor?.(id)), events, settings: { ...NODE_CONTROL_SETTINGS, ...options.control }, ...(options.metrics ? { metrics: options.metrics } : {}) }, parent)
    : undefined;
  let cell: Ref<CellMsg> | undefined;
  let cellSettings: CellSettings | undefined;
  if (options.roles.includes('cell')) {
    if (!options.backend) throw new Error('the cell role needs a container backend');
    // the reconcile period follows the heartbeat unless given
    const heartbeatMs = options.cell?.heartbeatMs ?? DEFAULT_CELL_SETTINGS.heartbeatMs;
    cellSettings = { ...DEFAULT_CELL_SETTINGS, reconcileMs: reconcileMsFor(heartbeatMs), ...options.cell };
    const reports = control?.reports ?? options.reports;
    if (!reports) throw new Error('a cell without a control role on its node needs somewhere to report');
    cell = spawnCell(system, parent, {
      cellId: options.cellId,
      zone: options.zone ?? 'z1',
      placementTags: options.placementTags ?? [],
      optionalPlacementTags: options.optionalPlacementTags ?? [],
      backend: options.backend,
      reports,
      settings: cellSettings,
      onOutput: (_handle, line, owner) => owner && logs.append(owner, line),
    });
    cellClient = localCellClient(system, cell, options.cellId);
  }
  return { control, cell, events, logs, cellId: options.cellId, cellSettings };
}

/** What {@link drainBeforeStop} did: drained the cell, or why it left the containers for adoption. */
export type DrainOutcome = { drained: CellDrained } | { skipped: 'no-cell-role' | 'no-control-role' | 'no-other-live-cell' };

/**
 * SIGTERM on a cell node (DESIGN.md "Drain"): drains the node's cell (cell-drain.ts) and resolves
 * once it is drained, within `evacuationTimeoutMs` plus a graceful stop. Only when another live,
 * non-evacuating cell could take its instances: alone (control and cell on one node) a drain
 * could place nothing and would only stop them, so the cell is left as it is and its containers
 * are adopted by the next start. A node without the control role cannot see the other cells
 * yet (the cluster issue) and skips the drain too.
 */
export async function drainBeforeStop(system: ActorSystem, scheduler: Scheduler, liveCells?: () => Promise<CellPresence[]>): Promise<DrainOutcome> {
  const { cell, control, cellSettings } = scheduler;
  if (!cell || !cellSettings) return { skipped: 'no-cell-role' };
  // a cell on its own node asks the control node of the cluster (`liveCells`)
  const cells = control ? () => control.cells() : liveCells;
  if (!cells) return { skipped: 'no-control-role' };
  const others = (await cells()).filter((c) => c.cell_id !== scheduler.cellId && !c.evacuating);
  if (others.length === 0) return { skipped: 'no-other-live-cell' };
  const waitMs = cellSettings.evacuationTimeoutMs + cellSettings.gracefulStopMs + DRAIN_MARGIN_MS;
  const drained = await system.query<CellMsg, CellDrained>(cell, (replyTo) => CellMsg.evacuate({ replyTo }), waitMs);
  return { drained };
}

/** Beyond the evacuation timeout and a graceful stop: time for the last stops to be reported. */
const DRAIN_MARGIN_MS = 5_000;
