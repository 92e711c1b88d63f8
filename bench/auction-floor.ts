/**
 * The least that DESIGN.md's structure costs per placed instance, with nothing else running: one
 * nact persistent actor per ActualLRP (spawned by bare nact on the LMDB engine, as Auctor's
 * kernel spawns its actors) whose first message journals the UNCLAIMED row and then the CLAIMED
 * row, each durable before the next, the way an instance is placed. No desire, no auction, no
 * cell, no container actor, no events: every real placement costs at least this.
 *
 * `value`: instances/s (median of 3 runs of INSTANCES each, every run on a fresh LMDB env).
 * `value_actor_per_lrp`: the same rows journaled by one actor per DesiredLRP instead (the
 * structure DESIGN.md does not have), for comparison.
 * `limit`: raw lmdb-js puts of the same two rows per instance, with the same env options and
 * durability wait and without actors. bench/auction.ts runs this in a child process (a heap of
 * its own) and reports the ceiling it puts on its `ratio`.
 *
 * Env: BENCH_INSTANCES (default 100 000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nact } from './support/bare-nact.js';
import { claimActualLrp, newUnclaimedActualLrp, type ActualLRP } from '../src/models/actual-lrp.js';
import { LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { rawPutChains } from './support/raw-lmdb.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const RUNS = 3;


type RowEvent = { type: 'row'; actual: ActualLRP; pending: string };

/** The two rows instance `i` journals: UNCLAIMED with a pending guid, then CLAIMED on a cell. */
function rowsOf(i: number): [RowEvent, RowEvent] {
  const now = 1_700_000_000_000_000_000 + i;
  const unclaimed = newUnclaimedActualLrp({ process_guid: `app-${i}-8c6f3b2e-3a1d-4f5e-9b7a-2d4c6e8f0a1b`, index: i % 4, domain: 'bench' }, now, { epoch: `epoch-${i}`, index: 0 });
  const instanceGuid = `instance-${i}-5e7f9a1b-3c5d`;
  const claimed = claimActualLrp(unclaimed, { instance_guid: instanceGuid, cell_id: `cell-${String(i % 1000).padStart(4, '0')}` }, now + 1);
  if (!claimed.ok) throw claimed.error;
  return [{ type: 'row', actual: unclaimed, pending: instanceGuid }, { type: 'row', actual: claimed.value, pending: '' }];
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'auctor-bench-floor-'));

interface JournalContext {
  recovering?: boolean;
  persist(e: unknown): Promise<void>;
}

/**
 * Bare nact on a fresh LMDB engine: `start` spawns the actors and tells `placed` how many
 * instances each one journaled; resolves instances/s once all `total` are.
 */
async function timedOnNact(total: number, start: (system: unknown, placed: (n: number) => void) => void): Promise<number> {
  const dir = tempDir();
  const engine = LmdbPersistenceEngine.open(dir, { mapSize: 4 * 1024 ** 3 });
  const system = nact.start(nact.configurePersistence(engine));
  try {
    let placed = 0;
    let allPlaced!: () => void;
    const done = new Promise<void>((resolve) => (allPlaced = resolve));
    const t0 = performance.now();
    start(system, (n) => {
      placed += n;
      if (placed === total) allPlaced();
    });
    await done;
    return total / ((performance.now() - t0) / 1000);
  } finally {
    nact.stop(system);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One persistent actor per instance: spawned, then its first message journals both rows. */
function throughNact(rows: [RowEvent, RowEvent][]): Promise<number> {
  return timedOnNact(rows.length, (system, placed) => {
    const instance = async (state: number | undefined, msg: [RowEvent, RowEvent], ctx: JournalContext) => {
      if (ctx.recovering) return state;
      await ctx.persist(msg[0]);
      await ctx.persist(msg[1]);
      placed(1);
      return 2;
    };
    rows.forEach((pair, i) => nact.dispatch(nact.spawnPersistent(system, instance, `actual-lrp/${i}`, `i${i}`), pair));
  });
}

/**
 * The alternative structure, for comparison: one persistent actor per DesiredLRP journaling the
 * rows of all its instances together (UNCLAIMED, then CLAIMED), apps of 1, 2, 3, 4, 1, … instances
 * (2.5 on average, as the mix). Returns instances/s.
 */
function throughSupervisors(rows: [RowEvent, RowEvent][]): Promise<number> {
  const apps: [RowEvent, RowEvent][][] = [];
  for (let i = 0, size = 1; i < rows.length; i += size, size = (size % 4) + 1) apps.push(rows.slice(i, i + size));
  return timedOnNact(rows.length, (system, placed) => {
    const supervisor = async (state: number | undefined, msg: [RowEvent, RowEvent][], ctx: JournalContext) => {
      if (ctx.recovering) return state;
      await ctx.persist({ type: 'rows', rows: msg.map((pair) => pair[0]) });
      await ctx.persist({ type: 'rows', rows: msg.map((pair) => pair[1]) });
      placed(msg.length);
      return 2;
    };
    apps.forEach((app, i) => nact.dispatch(nact.spawnPersistent(system, supervisor, `lrp/${i}`, `a${i}`), app));
  });
}

/** The same rows as raw puts: per instance the UNCLAIMED row durable, then the CLAIMED one. */
async function rawPuts(rows: [RowEvent, RowEvent][]): Promise<number> {
  const seconds = await rawPutChains(rows.map((pair, i) => ({ key: `actual-lrp/${i}`, rows: pair })), 4 * 1024 ** 3);
  return rows.length / seconds;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function main(): Promise<void> {
  const actorRates: number[] = [];
  const rawRates: number[] = [];
  const perLrpRates: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const rows = Array.from({ length: INSTANCES }, (_, i) => rowsOf(i));
    actorRates.push(await throughNact(rows));
    rawRates.push(await rawPuts(rows));
    perLrpRates.push(await throughSupervisors(rows));
    process.stderr.write(`run ${run}: ${Math.round(actorRates.at(-1)!)} instances/s through nact, ${Math.round(rawRates.at(-1)!)}/s raw puts, `
      + `${Math.round(perLrpRates.at(-1)!)}/s with one actor per LRP\n`);
  }
  const value = median(actorRates);
  const limit = median(rawRates);
  process.stdout.write(`${JSON.stringify({
    bench: 'auction-floor',
    value: Math.round(value),
    unit: 'instances/s',
    limit: Math.round(limit),
    ratio: Number((value / limit).toFixed(3)),
    means: 'one bare nact persistent actor per instance journaling UNCLAIMED then CLAIMED; limit: the same rows as raw lmdb puts',
    instances: INSTANCES,
    value_actor_per_lrp: Math.round(median(perLrpRates)),
    runs: actorRates.map(Math.round),
    raw_runs: rawRates.map(Math.round),
  })}\n`);
}
