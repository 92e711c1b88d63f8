/**
 * The raw limit of the benchmarks that persist through actors: lmdb-js puts of the same rows,
 * with the engine's env and database options (src/runtime/persistence/lmdb-engine.ts) and the
 * same durability wait (each put's own `flushed`), as the engine stores an event: key
 * `[persistence key, sequence number]`, value `{ d: row, c: created at }`. No actors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS } from '../../src/runtime/persistence/lmdb-engine.js';

/** One journal's rows, put in order, each durable before the next. */
export interface RowChain {
  key: string;
  rows: unknown[];
}

type Flushable = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/**
 * Puts every chain's rows on a fresh env in a temp dir, the chains concurrently (lmdb-js batches
 * them into shared transactions, as it does the actors' writes); resolves the seconds it took.
 */
export async function rawPutChains(chains: readonly RowChain[], mapSize = 8 * 1024 ** 3): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'auctor-bench-raw-lmdb-'));
  const root = open({ path: dir, mapSize, ...LMDB_ENV_OPTIONS });
  const db = root.openDB<unknown, [string, number]>('events', LMDB_DB_OPTIONS);
  try {
    const t0 = performance.now();
    await Promise.all(chains.map(async ({ key, rows }) => {
      for (let seq = 0; seq < rows.length; seq++) {
        const write = db.put([key, seq + 1], { d: rows[seq], c: Date.now() }) as Flushable;
        await write;
        await write.flushed;
      }
    }));
    return (performance.now() - t0) / 1000;
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
