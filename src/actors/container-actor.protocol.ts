/** The container actor's protocol (container-actor.ts): what it takes and what it tells its cell. */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import type { Container, GardenBackend, OutputLine } from '../garden/backend.js';
import type { ActualLrpPortMapping } from '../models/actual-lrp.js';
import type { ContainerJob } from './cell-specs.js';

/** What a container actor tells its cell. */
export type ContainerEvent =
  | { type: 'cell/container-running'; handle: string; address: string; ports: ActualLrpPortMapping[] }
  | { type: 'cell/container-crashed'; handle: string; reason: string }
  | { type: 'cell/container-stopped'; handle: string }
  | { type: 'cell/task-finished'; handle: string; failed: boolean; failure_reason: string; result: string }
  /** the container actor itself failed; the cell reports a crash and destroys the container */
  | { type: 'cell/container-failed'; handle: string; error: string };

export type ContainerMsg =
  | { type: 'container/start' }
  | { type: 'container/stop' }
  /** abort a task; it finishes failed with `reason` (default `task was cancelled`) */
  | { type: 'container/cancel'; reason?: string }
  /** the cell found the container gone from the backend */
  | { type: 'container/lost' };

export interface ContainerSettings {
  gracefulStopMs: number;
  unhealthyIntervalMs: number;
  healthyIntervalMs: number;
  clock: Clock;
  onOutput?: (handle: string, line: OutputLine) => void;
  logger?: Logger;
}

export interface ContainerActorOptions {
  container: Container;
  backend: GardenBackend;
  job: ContainerJob;
  /** found after a restart of the cell: follow its processes instead of running the action */
  adopted: boolean;
  cell: Ref<ContainerEvent>;
  settings: ContainerSettings;
}
