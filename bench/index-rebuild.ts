/**
 * The query index's rebuild after a control start (src/actors/query-index-rebuild.ts) at
 * INSTANCES instances of Diego's mix (bench/support/scale-mix.ts; 250k instances make 200,130
 * LRPs), alone: no actor runs.
 *
 * The store is a real LMDB written through the real engine (`persist`, `takeSnapshot`), in the
 * journal format the actors write: the `lrps` registry (its `added` events, and a snapshot of
 * the whole registry each time its length doubles, as `snapshotEvery: count` takes them), each
 * supervisor's `desired` event and each instance's UNCLAIMED, CLAIMED and RUNNING `row` events.
 * BENCH_STORE=DIR keeps the store there and reuses it on later runs (writing it takes a while).
 *
 * Printed: `value` = seconds the rebuild took, `heap_bytes` = heap per instance the rebuilt index
 * keeps (after full GCs), `peak_heap_mb` = the heap's peak above the start during the rebuild
 * (sampled every 20 ms), `max_stall_ms` = the longest the event loop was held during it, and
 * `raw_s`: a range read of every record of the same key ranges (events and snapshots, values
 * decoded), the least a rebuild reading all of them costs; `ratio` = raw_s / value. `cpu_s` and
 * `raw_cpu_s` are the same in CPU seconds (less at the mercy of a shared machine's load), and
 * `cpu_ratio` their ratio.
 * Runs itself again with --expose-gc when `gc` is not exposed.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { QueryIndex } from '../src/actors/query-index.js';
import { loadQueryIndex } from '../src/actors/query-index-rebuild.js';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS, LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { persistedEvent, persistedSnapshot } from '../src/runtime/persistence/engine.js';
import { journalRows, scaleMix } from './support/scale-mix.js';
import { gc, rerunWithGc } from './support/expose-gc.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 250_000);
const CELLS = 1000;
const IN_FLIGHT = 4096;
const MAP_SIZE = 16 * 1024 ** 3;

const heapUsed = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};
/** CPU seconds (user + system, every thread: GC's helpers too) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};
const epochOf = (guid: string) => `epoch-${guid}`;

/** Writes the journals of `INSTANCES` instances through the engine; resolves how many LRPs. */
async function writeStore(engine: LmdbPersistenceEngine): Promise<number> {
  const apps = scaleMix(INSTANCES);
  const writes: Array<() => Promise<void>> = [];
  // the registry: one journal, snapshots where `snapshotEvery: max(100, count)` takes them
  const registry: Record<string, string> = {};
  let nextSnapshot = 100;
  apps.forEach((app, i) => {
    const seq = i + 1;
    registry[app.process_guid] = epochOf(app.process_guid);
    writes.push(() => engine.persist(persistedEvent('lrps', seq, { type: 'added', process_guid: app.process_guid, epoch: epochOf(app.process_guid) })));
    if (seq === nextSnapshot) {
      const state = { lrps: { ...registry }, count: seq };
      // nact logs a snapshot that fails and goes on; above 65,535 LRPs lmdb-js's msgpack refuses
      // the registry's map ("too large to serialize with fast 16-bit map size"), so the journal
      // a control writes keeps its last snapshot below that and every event after it
      writes.push(() => engine.takeSnapshot(persistedSnapshot('lrps', seq, state)).catch(() => undefined));
      nextSnapshot *= 2;
    }
  });
  // the registry's writes are pipelined in order (one actor, `persistEagerly`); the supervisors'
  // and instances' concurrently
  for (let i = 0; i < writes.length; i += IN_FLIGHT) await Promise.all(writes.slice(i, i + IN_FLIGHT).map((write) => write()));
  const chains = journalRows(apps, CELLS);
  let next = 0;
  const worker = async () => {
    while (next < chains.length) {
      const { key, rows } = chains[next++]!;
      // the keys carry the epoch, as lrpSupervisorKey and actualLrpKey make them
      const parts = key.split('/');
      const real = parts[0] === 'lrp' ? `lrp/${parts[1]}/${epochOf(parts[1]!)}` : `actual-lrp/${parts[1]}/${epochOf(parts[1]!)}/${parts[2]}`;
      for (let seq = 0; seq < rows.length; seq++) await engine.persist(persistedEvent(real, seq + 1, rows[seq]));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return apps.length;
}

/** Reads every record of the key ranges the rebuild reads; resolves how many. */
function rawRead(root: RootDatabase): number {
  let n = 0;
  for (const name of ['events', 'snapshots']) {
    const db = root.openDB<unknown, [string, number]>(name, LMDB_DB_OPTIONS);
    for (const prefix of ['actual-lrp/', 'lrp/', 'lrps', 'task/', 'tasks']) {
      for (const { key, value } of db.getRange({ start: [prefix, -1] })) {
        if (!key[0].startsWith(prefix)) break;
        if (value !== undefined) n++;
      }
    }
  }
  return n;
}

export async function main(): Promise<void> {
  if (rerunWithGc('index-rebuild')) return;
  const kept = process.env.BENCH_STORE;
  const dir = kept ?? join(tmpdir(), `auctor-bench-index-rebuild-${process.pid}`);
  const fresh = !existsSync(join(dir, 'data.mdb'));
  mkdirSync(dir, { recursive: true });
  const root = open({ ...LMDB_ENV_OPTIONS, path: dir, mapSize: MAP_SIZE, separateFlushed: true });
  const engine = new LmdbPersistenceEngine(root);
  try {
    if (fresh) {
      const t0 = performance.now();
      const lrps = await writeStore(engine);
      await root.flushed;
      process.stderr.write(`index-rebuild: wrote ${lrps} LRPs, ${INSTANCES} instances in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    // the raw read first (a cold page cache would count against the rebuild otherwise)
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    const records = rawRead(root);
    const rawS = (performance.now() - t0) / 1000;
    const rawCpuS = cpuSince(cpu0);

    const heap0 = heapUsed();
    let peak = heap0;
    let maxStall = 0;
    let last = performance.now();
    const sampler = setInterval(() => {
      const now = performance.now();
      maxStall = Math.max(maxStall, now - last - 20);
      last = now;
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    const index = new QueryIndex();
    t0 = performance.now();
    cpu0 = process.cpuUsage();
    await index.rebuild((loader) => loadQueryIndex(engine, loader, 1_000_000));
    const rebuildS = (performance.now() - t0) / 1000;
    const rebuildCpuS = cpuSince(cpu0);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const heapBytes = (heapUsed() - heap0) / INSTANCES;
    const size = index.size();
    if (size.rows !== INSTANCES) throw new Error(`the index holds ${size.rows} rows, not ${INSTANCES}`);
    const listStart = performance.now();
    const listed = index.actualLrps().length;
    const listAllMs = performance.now() - listStart;
    const round = (x: number, digits = 2) => Number(x.toFixed(digits));
    process.stdout.write(`${JSON.stringify({
      bench: 'index-rebuild',
      value: round(rebuildS),
      unit: 's to rebuild the query index from LMDB (no actor)',
      instances: INSTANCES,
      lrps: size.lrps,
      heap_bytes: round(heapBytes, 1),
      peak_heap_mb: round((peak - heap0) / 1024 ** 2, 1),
      max_stall_ms: round(maxStall, 0),
      cpu_s: round(rebuildCpuS),
      raw_s: round(rawS),
      raw_cpu_s: round(rawCpuS),
      cpu_ratio: round(rawCpuS / rebuildCpuS, 3),
      raw_records: records,
      ratio: round(rawS / rebuildS, 3),
      list_all_ms: round(listAllMs, 1),
      listed,
      load_avg_1m: round((await import('node:os')).loadavg()[0]!, 2),
    })}\n`);
  } finally {
    await engine.close();
    await root.close();
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}
