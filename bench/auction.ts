/**
 * End-to-end placements/s of the actor system: CELLS real cell actors (src/actors/cell.ts), each
 * on its own FakeBackend whose processes keep running, and the control subtree (startControl,
 * a localCellClient per cell) in ONE actor system on the LMDB engine in a temp dir, ZONES zones.
 * INSTANCES instances of bench/auction-pure.ts's Diego-like mix (45 % 32 MB, 45 % 128 MB, 10 %
 * 1 GB apps of 1–4 instances) are desired through `control.desireLrp`, all at once.
 *
 * "Placed": the ActualLRP's actor has persisted its row as CLAIMED (or later): the cell created
 * the container and reported `lrp-claimed`, and the actor's `actual_lrp_instance_changed` event
 * (published only after the LMDB write is durable) says UNCLAIMED → CLAIMED. `value` is
 * instances / (time from the first desire to the last placement).
 *
 * `limit`: the pure `schedule()` on the same batch and the cell states the cells answered just
 * before the first desire, in the same process (median of 3). `spread`: max − min instances per
 * cell over ALL cells for the whole mix (unequal sizes; BENCH_MIX=equal desires single-instance
 * 128 MB apps instead, where Diego's scoring should keep it at 0 or 1); `spread_pure` is the
 * pure auction's spread on the same batch.
 *
 * Desires go out 256 at a time (a client's bounded concurrency; reports interleave with them).
 * The auctioneer batches for 100 ms (`auctionBatchWindowMs`): with 0, every round asks all 1000
 * cells for their state to place the 2–3 requests that arrived meanwhile (3989 rounds, 4M state
 * asks for 10k instances), which starves everything else.
 *
 * Env: BENCH_CELLS, BENCH_INSTANCES, BENCH_MIX (mix|equal), BENCH_MAX_S (give up and report what
 * was placed: `complete: false`), BENCH_WINDOW_MS (default 100), BENCH_DESIRE_CONCURRENCY
 * (default 256), BENCH_CONVERGENCE_MS (control's convergence interval; default 30 s, Diego's),
 * BENCH_HEAPSNAP (a path: write a heap snapshot there once everything is placed).
 * Run node with --expose-gc for exact heap figures (`heap_exact`).
 *
 * `floor`: bench/auction-floor.ts on INSTANCES, in a child process first (BENCH_FLOOR=0 skips
 * it): instances/s of nothing but one bare nact persistent actor per instance journaling its
 * UNCLAIMED and CLAIMED rows. Every placement here costs at least that, so `ratio` can reach at
 * most `ratio_ceiling` = floor / (limit + floor), the auction and that floor running one after the
 * other on one thread (`ratio_ceiling_parallel` = floor / limit, were they on two cores).
 * `floor_raw_lmdb` and `floor_actor_per_lrp` are the same rows as raw puts and journaled by one
 * actor per DesiredLRP: what other structures would leave.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActorSystem } from '../src/runtime/kernel/system.js';
import { findSystem } from '../src/runtime/kernel/nact-internals.js';
import { spawnCell } from '../src/actors/cell.js';
import { localCellClient } from '../src/actors/cell-client.js';
import type { CellClient } from '../src/actors/cell.protocol.js';
import { startControl } from '../src/actors/control.js';
import { EventHub } from '../src/actors/event-hub.js';
import { DEFAULT_CELL_SETTINGS } from '../src/actors/node.js';
import { FakeBackend } from '../src/garden/fake/fake-backend.js';
import { LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { schedule } from '../src/auction/schedule.js';
import type { CellState, LrpStartRequest } from '../src/auction/types.js';
import { mix } from './auction-pure.js';

const CELLS = Number(process.env.BENCH_CELLS ?? 1000);
const ZONES = 3;
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const MIX = process.env.BENCH_MIX ?? 'mix';
const MAX_S = Number(process.env.BENCH_MAX_S ?? 180);
const CONVERGENCE_MS = Number(process.env.BENCH_CONVERGENCE_MS ?? 30_000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 100);
const DESIRE_CONCURRENCY = Number(process.env.BENCH_DESIRE_CONCURRENCY ?? 256);
const ROOTFS = 'preloaded:cflinuxfs4';
const CAPACITY = { memoryMb: 64 * 1024, diskMb: 256 * 1024, containers: 250 };

const log = (message: string) => process.stderr.write(`${message}\n`);
const mb = (bytes: number) => Math.round(bytes / 1e6);
/** heap in use, after a full GC when node runs with --expose-gc (else a noisy figure) */
const heapUsed = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

interface App {
  process_guid: string;
  instances: number;
  memory_mb: number;
}

function apps(requests: LrpStartRequest[]): App[] {
  const out = new Map<string, App>();
  for (const r of requests) {
    const app = out.get(r.process_guid) ?? { process_guid: r.process_guid, instances: 0, memory_mb: r.memory_mb };
    app.instances += 1;
    out.set(r.process_guid, app);
  }
  return [...out.values()];
}

function spreadOf(cellIds: string[], placements: Iterable<string>): { spread: number; min: number; max: number } {
  const perCell = new Map<string, number>(cellIds.map((id) => [id, 0]));
  for (const cell of placements) perCell.set(cell, (perCell.get(cell) ?? 0) + 1);
  const counts = [...perCell.values()];
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return { spread: max - min, min, max };
}

/** The pure auction on the same batch and cell states: median placements/s of 3, and its spread. */
function pureLimit(batch: LrpStartRequest[], states: CellState[]): { rate: number; spread: number; placed: number } {
  const rates: number[] = [];
  let spread = 0;
  let placed = 0;
  for (let r = 0; r < 3; r++) {
    const input = structuredClone(states);
    const t0 = process.hrtime.bigint();
    const result = schedule({ lrps: batch, tasks: [] }, input);
    rates.push(result.lrpPlacements.length / (Number(process.hrtime.bigint() - t0) / 1e9));
    spread = spreadOf(states.map((s) => s.cell_id), result.lrpPlacements.map((p) => p.cell_id)).spread;
    placed = result.lrpPlacements.length;
  }
  return { rate: rates.sort((a, b) => a - b)[1]!, spread, placed };
}

interface Floor {
  value: number;
  limit: number;
  value_actor_per_lrp: number;
}

/** bench/auction-floor.ts in a child process (a heap of its own): its JSON line, or undefined. */
function measureFloor(): Floor | undefined {
  if (process.env.BENCH_FLOOR === '0') return undefined;
  const run = join(fileURLToPath(new URL('.', import.meta.url)), 'run.js');
  const child = spawnSync(process.execPath, [...process.execArgv, run, 'auction-floor'], { env: { ...process.env, BENCH_INSTANCES: String(INSTANCES) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = child.stdout.trim().split('\n').at(-1);
  if (child.status !== 0 || !last) {
    log(`auction-floor failed (exit ${child.status}); no floor reported`);
    return undefined;
  }
  return JSON.parse(last) as Floor;
}

export async function main(): Promise<void> {
  const floor = measureFloor();
  const dir = mkdtempSync(join(tmpdir(), 'auctor-bench-auction-'));
  const engine = LmdbPersistenceEngine.open(dir, { mapSize: 8 * 1024 ** 3 });
  const system = ActorSystem.start({ name: `bench-auction-${process.pid}`, engine });
  const hub = new EventHub();
  const clients = new Map<string, CellClient>();
  const calls = { state: 0, perform: 0, performItems: 0, performMs: 0 };
  const control = startControl(system, {
    clientFor: (id) => clients.get(id),
    events: hub,
    settings: {
      // asks queue behind 100k others: the bench waits, it does not time out
      askTimeoutMs: 600_000,
      cellStateTimeoutMs: 60_000,
      performTimeoutMs: 120_000,
      convergenceIntervalMs: CONVERGENCE_MS,
      auctionBatchWindowMs: WINDOW_MS,
    },
  });
  try {
    const heap0 = heapUsed();
    const backends: FakeBackend[] = [];
    for (let i = 0; i < CELLS; i++) {
      const cellId = `cell-${String(i).padStart(4, '0')}`;
      const backend = new FakeBackend({ capacity: CAPACITY, rootfses: [ROOTFS, 'docker'], dataDir: join(dir, 'garden', cellId) });
      backends.push(backend);
      const ref = spawnCell(system, system.root, {
        cellId, zone: `z${(i % ZONES) + 1}`, placementTags: [], optionalPlacementTags: [], backend, reports: control.reports, settings: DEFAULT_CELL_SETTINGS,
      });
      const local = localCellClient(system, ref, cellId);
      clients.set(cellId, {
        ...local,
        state: (ms) => {
          calls.state++;
          return local.state(ms);
        },
        perform: async (work, ms) => {
          calls.perform++;
          calls.performItems += work.lrps.length;
          const t = performance.now();
          try {
            return await local.perform(work, ms);
          } finally {
            calls.performMs += performance.now() - t;
          }
        },
      });
    }
    while ((await control.cells()).length < CELLS) await new Promise((r) => setTimeout(r, 50));
    const cellIds = [...clients.keys()];
    // the cell states the auction would see now: the pure auction's input for `limit`
    const states = await Promise.all([...clients.values()].map((c) => c.state(60_000)));
    log(`${CELLS} cells up (${mb(heapUsed() - heap0)} MB heap)`);

    const batch = MIX === 'equal'
      ? Array.from({ length: INSTANCES }, (_, i): LrpStartRequest => ({ process_guid: `eq-${i}`, index: 0, domain: 'bench', memory_mb: 128, disk_mb: 128, rootfs: ROOTFS }))
      : mix(INSTANCES, 1, 'app');
    const desired = apps(batch);

    // placed: UNCLAIMED → CLAIMED persisted (the event comes after the durable write)
    const placedOn = new Map<string, string>();
    let running = 0;
    let lastPlacedAt = 0;
    let allPlaced!: () => void;
    const done = new Promise<void>((resolve) => (allPlaced = resolve));
    hub.events$.subscribe((e) => {
      if (e.type !== 'actual_lrp_instance_changed') return;
      const { before, after } = e.data;
      if (after.state === 'RUNNING') running++;
      if (before.state !== 'UNCLAIMED' || (after.state !== 'CLAIMED' && after.state !== 'RUNNING')) return;
      const key = `${after.process_guid}/${after.index}`;
      if (placedOn.has(key)) return;
      placedOn.set(key, after.cell_id);
      lastPlacedAt = performance.now();
      if (placedOn.size === INSTANCES) allPlaced();
    });

    const heap1 = heapUsed();
    const actors0 = system.registry.size;
    const t0 = performance.now();
    let acked = 0;
    let failedDesires = 0;
    let desiresDoneAt = 0;
    // a client (Cloud Controller) desires with bounded concurrency; reports interleave
    let next = 0;
    const desireOne = async (app: App) => {
      const result = await control.desireLrp({
        process_guid: app.process_guid, domain: 'bench', rootfs: ROOTFS, instances: app.instances,
        memory_mb: app.memory_mb, disk_mb: app.memory_mb, ports: [8080],
        action: { run: { path: '/bin/app', user: 'vcap' } },
      });
      if (result.ok) acked++;
      else failedDesires++;
    };
    const desires = Promise.all(Array.from({ length: Math.min(DESIRE_CONCURRENCY, desired.length) }, async () => {
      while (next < desired.length) await desireOne(desired[next++]!);
    })).then(() => (desiresDoneAt = performance.now()));
    const progress = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      log(`${s.toFixed(0)} s: desired ${acked}/${desired.length} apps, placed ${placedOn.size}/${INSTANCES}, running ${running}, `
        + `rounds ~${Math.round(calls.state / CELLS) - 1}, performs ${calls.perform} (${calls.performItems} items), heap ${mb(process.memoryUsage().heapUsed)} MB`);
    }, 5000);
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), MAX_S * 1000).unref()),
    ]);
    clearInterval(progress);
    const elapsedS = ((timedOut ? performance.now() : lastPlacedAt) - t0) / 1000;
    const heap2 = heapUsed();
    if (process.env.BENCH_HEAPSNAP) (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAPSNAP);
    await Promise.race([desires, new Promise((r) => setTimeout(r, 100))]);

    const value = placedOn.size / elapsedS;
    const pure = pureLimit(batch, states);
    const spread = spreadOf(cellIds, placedOn.values());
    const actors = system.registry.size;
    const result = {
      bench: 'auction',
      value: Math.round(value),
      unit: 'placements/s',
      limit: Math.round(pure.rate),
      ratio: Number((value / pure.rate).toFixed(4)),
      spread: spread.spread,
      floor: floor?.value ?? null,
      floor_raw_lmdb: floor?.limit ?? null,
      floor_actor_per_lrp: floor?.value_actor_per_lrp ?? null,
      ratio_ceiling: floor ? Number((floor.value / (pure.rate + floor.value)).toFixed(4)) : null,
      ratio_ceiling_parallel: floor ? Number(Math.min(1, floor.value / pure.rate).toFixed(4)) : null,
      spread_of: MIX === 'equal' ? 'equal 128 MB single-instance apps, all cells' : 'whole mix (unequal sizes), all cells',
      spread_pure: pure.spread,
      placed: placedOn.size,
      instances: INSTANCES,
      complete: !timedOut,
      placed_means: 'ActualLRP row persisted CLAIMED (or RUNNING)',
      seconds: Number(elapsedS.toFixed(1)),
      desire_seconds: desiresDoneAt ? Number(((desiresDoneAt - t0) / 1000).toFixed(1)) : null,
      desired_apps: desired.length,
      desired_acked: acked,
      desire_failures: failedDesires,
      running,
      cells: CELLS,
      zones: ZONES,
      mix: MIX,
      batch_window_ms: WINDOW_MS,
      desire_concurrency: DESIRE_CONCURRENCY,
      rounds: Math.round(calls.state / CELLS) - 1,
      performs: calls.perform,
      perform_items: calls.performItems,
      perform_ms_total: Math.round(calls.performMs),
      state_asks: calls.state,
      actors,
      heap_mb: mb(heap2),
      heap_exact: typeof (globalThis as { gc?: unknown }).gc === 'function',
      heap_per_actor_kb: Number(((heap2 - heap1) / Math.max(1, actors - actors0) / 1024).toFixed(1)),
      rss_mb: mb(process.memoryUsage().rss),
      min_per_cell: spread.min,
      max_per_cell: spread.max,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    const t = performance.now();
    const pending = findSystem(system.name)?.tempReferences.size ?? 0;
    await system.shutdown();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
    log(`shut down in ${((performance.now() - t) / 1000).toFixed(1)} s; ${pending} asks were unanswered`);
  }
  // unanswered asks (to actors stopped by the shutdown) hold nact's query timers, up to the
  // bench's 10-minute ask timeout: do not wait for them
  setImmediate(() => process.exit(0));
}
