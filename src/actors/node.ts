/**
 * One node's scheduler: the control subtree and/or a cell, in one actor system, started in
 * dependency order (control first, so the cell has somewhere to report) and stopped in reverse.
 * On one node the control side reaches its cell through the local cell client; the cluster
 * issue puts a remote client behind the same `clientFor`.
 */
import type { GardenBackend } from '../garden/backend.js';
import type { AnyRef, Ref } from './kernel/protocol.js';
import type { ActorSystem } from './kernel/system.js';
import { spawnCell, type CellSettings } from './cell.js';
import { localCellClient } from './cell-client.js';
import type { CellClient, CellMsg, CellReport } from './cell.protocol.js';
import { startControl, type Control } from './control/control.js';
import type { ControlSettings } from './control/deps.js';
import { EventHub } from './control/events.js';
import type { ControlMetrics } from './control/metrics.js';

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
}

export interface Scheduler {
  control: Control | undefined;
  cell: Ref<CellMsg> | undefined;
  events: EventHub;
}

export const DEFAULT_CELL_SETTINGS: CellSettings = {
  gracefulStopMs: 10_000,
  unhealthyIntervalMs: 500,
  healthyIntervalMs: 10_000,
  heartbeatMs: 1_000,
  reconcileMs: 30_000,
};

/**
 * A node batches auction requests for 50 ms: with no window each round asks every cell for its
 * state to place the one or two requests that arrived meanwhile, and rounds starve everything
 * else (bench/auction.ts: 3989 rounds for 10k instances on 1000 cells).
 */
export const NODE_CONTROL_SETTINGS: Partial<ControlSettings> = { auctionBatchWindowMs: 50 };

export function startScheduler(system: ActorSystem, options: SchedulerOptions, parent: AnyRef = system.root): Scheduler {
  const events = options.events ?? new EventHub();
  let cellClient: CellClient | undefined;
  const control = options.roles.includes('control')
    ? startControl(system, { clientFor: (id) => (id === options.cellId ? cellClient : undefined), events, settings: { ...NODE_CONTROL_SETTINGS, ...options.control }, ...(options.metrics ? { metrics: options.metrics } : {}) }, parent)
    : undefined;
  let cell: Ref<CellMsg> | undefined;
  if (options.roles.includes('cell')) {
    if (!options.backend) throw new Error('the cell role needs a container backend');
    const reports = control?.reports ?? options.reports;
    if (!reports) throw new Error('a cell without a control role on its node needs somewhere to report');
    cell = spawnCell(system, parent, {
      cellId: options.cellId,
      zone: options.zone ?? 'z1',
      placementTags: options.placementTags ?? [],
      optionalPlacementTags: options.optionalPlacementTags ?? [],
      backend: options.backend,
      reports,
      settings: { ...DEFAULT_CELL_SETTINGS, ...options.cell },
    });
    cellClient = localCellClient(system, cell, options.cellId);
  }
  return { control, cell, events };
}
