/**
 * Placements/s of the pure auction (`src/auction/schedule.ts`) on CELLS equal cells in ZONES
 * zones, median of RUNS, for three workloads:
 *   - `cold`: a batch of INSTANCES LRP instances from a Diego-like mix (45 % 32 MB apps, 45 %
 *     128 MB, 10 % 1 GB, each app 1–4 instances) onto empty cells;
 *   - `warm`: the cells already hold that mix; a further batch of WARM_BATCH instances (same mix,
 *     new apps) is placed — timing includes building the auction's view of 100k existing instances;
 *   - `equal`: INSTANCES single-instance 128 MB apps onto empty cells, reporting `spread`
 *     (max − min instances per cell), which Diego's scoring should keep at 0 or 1.
 * Deterministic: a seeded PRNG picks the mix.
 */
import { schedule } from '../src/auction/schedule.js';
import type { CellLrp, CellState, LrpStartRequest } from '../src/auction/types.js';
import { prng } from './support/prng.js';

const CELLS = Number(process.env.BENCH_CELLS ?? 1000);
const ZONES = 3;
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const WARM_BATCH = 10_000;
const RUNS = 5;

/** The Diego-like mix (also bench/auction.ts's, so the two figures compare). */
export function mix(count: number, seed: number, prefix: string): LrpStartRequest[] {
  const random = prng(seed);
  const out: LrpStartRequest[] = [];
  for (let app = 0; out.length < count; app++) {
    const roll = random();
    const memory_mb = roll < 0.45 ? 32 : roll < 0.9 ? 128 : 1024;
    const instances = Math.min(1 + Math.floor(random() * 4), count - out.length);
    for (let index = 0; index < instances; index++) {
      out.push({ process_guid: `${prefix}-${app}`, index, domain: 'bench', memory_mb, disk_mb: memory_mb, rootfs: 'preloaded:cflinuxfs4' });
    }
  }
  return out;
}

function cells(existing: readonly LrpStartRequest[] = []): CellState[] {
  const total = { memory_mb: 64 * 1024, disk_mb: 256 * 1024, containers: 250 };
  const out: CellState[] = Array.from({ length: CELLS }, (_, i) => ({
    cell_id: `cell-${i}`, zone: `z${i % ZONES}`, rootfs_providers: ['preloaded:cflinuxfs4', 'docker'],
    placement_tags: [], optional_placement_tags: [], rep_url: '', total_resources: total, available_resources: { ...total },
    lrps: [] as CellLrp[], tasks: [], starting_container_count: 0, evacuating: false,
  }));
  existing.forEach((lrp, i) => {
    const cell = out[(i * 7919) % CELLS]!;
    (cell.lrps as CellLrp[]).push({ process_guid: lrp.process_guid, index: lrp.index, memory_mb: lrp.memory_mb, disk_mb: lrp.disk_mb });
    cell.available_resources.memory_mb -= lrp.memory_mb;
    cell.available_resources.disk_mb -= lrp.disk_mb;
    cell.available_resources.containers -= 1;
  });
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function run(lrps: LrpStartRequest[], makeCells: () => CellState[]): { rate: number; placed: number; failed: number; spread: number } {
  const rates: number[] = [];
  let last = { placed: 0, failed: 0, spread: 0 };
  for (let r = 0; r < RUNS; r++) {
    const input = makeCells();
    const started = process.hrtime.bigint();
    const result = schedule({ lrps, tasks: [] }, input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(result.lrpPlacements.length / seconds);
    const perCell = new Map<string, number>(input.map((c) => [c.cell_id, 0]));
    for (const p of result.lrpPlacements) perCell.set(p.cell_id, perCell.get(p.cell_id)! + 1);
    const counts = [...perCell.values()];
    last = { placed: result.lrpPlacements.length, failed: result.lrpFailures.length, spread: Math.max(...counts) - Math.min(...counts) };
  }
  return { rate: Math.round(median(rates)), ...last };
}

export async function main(): Promise<void> {
  const coldMix = mix(INSTANCES, 1, 'app');
  const cold = run(coldMix, () => cells());
  process.stderr.write(`cold: ${JSON.stringify(cold)}\n`);
  const warm = run(mix(WARM_BATCH, 2, 'new'), () => cells(coldMix));
  process.stderr.write(`warm: ${JSON.stringify(warm)}\n`);
  const equalApps = Array.from({ length: INSTANCES }, (_, i): LrpStartRequest => ({
    process_guid: `eq-${i}`, index: 0, domain: 'bench', memory_mb: 128, disk_mb: 128, rootfs: 'preloaded:cflinuxfs4',
  }));
  const equal = run(equalApps, () => cells());
  process.stderr.write(`equal: ${JSON.stringify(equal)}\n`);
  const result = {
    bench: 'auction-pure', cells: CELLS, zones: ZONES, instances: INSTANCES,
    value: cold.rate, unit: 'placements/s',
    cold_placements_per_s: cold.rate, cold_failed: cold.failed,
    warm_placements_per_s: warm.rate, warm_batch: WARM_BATCH, warm_failed: warm.failed,
    equal_placements_per_s: equal.rate, equal_spread: equal.spread, mix_spread: cold.spread,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
