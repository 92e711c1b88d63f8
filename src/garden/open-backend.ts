/**
 * Opens the Garden backend a cell runs on, from the node's settings (`--backend`, `--rootfs`,
 * `--memory-mb`, `--disk-mb`, `--containers`, `--graceful-stop-ms`), and checks it can work.
 */
import { join } from 'node:path';
import type { Logger } from '../base/logger.js';
import type { Capacity, GardenBackend } from './backend.js';
import { measureCapacity } from './capacity.js';
import { FakeBackend } from './fake/fake-backend.js';
import { ProcessBackend } from './process/process-backend.js';
import { RuncBackend } from './runc/runc-backend.js';

export const BACKENDS = ['process', 'runc', 'fake'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendSettings {
  backend: BackendName;
  /** node data directory */
  dataDir: string;
  /** the node name: names the node's cgroups */
  node: string;
  /** `name=path` pairs (runc); the process backend offers `host` */
  rootfs: Record<string, string>;
  capacity: Partial<Capacity>;
  gracefulStopMs: number;
  logger?: Logger;
}

/** Opens (adopting what a previous run left) and pings the backend; rejects saying why it cannot run. */
export async function openBackend(settings: BackendSettings): Promise<GardenBackend> {
  const common = {
    dataDir: join(settings.dataDir, settings.backend === 'runc' ? 'runc-garden' : 'garden'),
    gracefulStopMs: settings.gracefulStopMs,
    scope: `auctor/${settings.node}`,
    capacity: settings.capacity,
    ...(settings.logger ? { logger: settings.logger } : {}),
  };
  let backend: GardenBackend;
  switch (settings.backend) {
    case 'process':
      backend = await ProcessBackend.open(common);
      break;
    case 'runc':
      backend = await RuncBackend.open({ ...common, rootfses: settings.rootfs });
      break;
    case 'fake':
      backend = new FakeBackend({
        capacity: await measureCapacity(settings.dataDir, settings.capacity),
        rootfses: Object.keys(settings.rootfs).length > 0 ? Object.keys(settings.rootfs).map((n) => `preloaded:${n}`) : undefined,
      });
      break;
  }
  try {
    await backend.ping();
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}
