/**
 * `auctor start`: assembles one node, starting its parts in dependency order and stopping them
 * in reverse on SIGTERM/SIGINT.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '../actors/kernel/logger.js';
import { ActorSystem } from '../actors/kernel/system.js';
import type { GardenBackend } from '../garden/backend.js';
import { openBackend, type BackendSettings } from '../garden/open-backend.js';
import { LmdbPersistenceEngine } from '../persistence/lmdb-engine.js';

export interface NodeOptions {
  name: string;
  data: string;
  roles: Array<'control' | 'cell'>;
  garden: Omit<BackendSettings, 'dataDir' | 'node' | 'logger'>;
}

export async function startNode(options: NodeOptions): Promise<void> {
  const data = resolve(options.data);
  const log = createLogger({ base: { node: options.name } });
  mkdirSync(data, { recursive: true });
  let garden: GardenBackend | undefined;
  if (options.roles.includes('cell')) {
    try {
      garden = await openBackend({ ...options.garden, dataDir: data, node: options.name, logger: log });
    } catch (error) {
      log.error({ backend: options.garden.backend, error: (error as Error).message }, 'cell.garden-unavailable');
      process.stderr.write(`auctor: ${(error as Error).message}\n`);
      process.exit(1);
    }
    const containers = await garden.containers();
    log.info({ backend: garden.name, capacity: await garden.capacity(), rootfses: garden.rootfses(), adopted: containers.length }, 'cell.garden-ready');
  }
  const engine = LmdbPersistenceEngine.open(join(data, 'lmdb'));
  const system = ActorSystem.start({ name: options.name, engine, logger: log });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // a second signal while stopping: the operator wants out now
      log.warn({ signal }, 'auctor.stop-forced');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'auctor.stopping');
    await system.shutdown();
    await engine.close();
    // containers keep running: the next start adopts them
    await garden?.close();
    log.info('auctor.stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  log.info({ roles: options.roles, data }, 'auctor.started');
  // The process stays up until a signal: nothing else holds the event loop yet.
  await new Promise<void>(() => setInterval(() => {}, 1 << 30));
}
