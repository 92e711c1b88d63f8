/**
 * `npm run bench -- control-failover` (issue 16). This part: acknowledged writes/s of a node with
 * one synchronous standby (journal shipping over gRPC to another process) against the same node
 * without one, measured in the same run, interleaved; medians of RUNS. `value` is with the
 * standby, `limit` the lone node (no replication at all), `ratio` their quotient (target >= 0.5);
 * `log_only` the node with the replication log but no standby. `raw_lone`/`raw_sync`: the raw
 * limit (bench/support/raw-shipping.ts, the issue's own measurement: bare lmdb-js, and with a bare
 * grpc-js standby), `raw_ratio` their quotient, `value_vs_raw_sync` Auctor's against the raw one. At WRITERS concurrent writers
 * (64, as the issue's raw measurement; `BENCH_WRITERS`), and at 1000 (`*_1000`: Auctor's actors).
 * `cpu_us`: CPU µs per write of the lone node, and of the node with a standby plus the standby's
 * process (they share this machine's cores: where the CPU is the limit, at 1000 writers, the
 * ratio is about lone / (primary + standby)); `load`: the 1-minute load average at the end.
 * Then the failover (control-election.ts, its runs set by `BENCH_FAILOVER_RUNS`, default 5, 0 to leave it out; left
 * out without etcd on PATH): `failover_ms`, the median ms from a kill -9 of the active under
 * write load until a standby acknowledges, against `failover_limit_ms`, etcd expiring its lease.
 */
import { loadavg } from 'node:os';
import { failoverFigures } from './control-election.js';
import { measureRawShipping, type RawShippingMode } from './support/raw-shipping.js';
import { measureWrites, type WriteMode, type WriteRun } from './support/replicated-writes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WRITES = Number(process.env.BENCH_WRITES ?? 30_000);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 64);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface ModeFigures {
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUs: number;
  standbyCpuUs: number;
}

async function medians(writers: number): Promise<Record<WriteMode, ModeFigures>> {
  const runs: WriteRun[] = [];
  const modes: WriteMode[] = ['lone', 'sync-standby', 'log-only'];
  for (let run = 1; run <= RUNS; run++) {
    // alternate which goes first, so neither always gets the quieter machine
    for (const mode of run % 2 ? modes : [...modes].reverse()) {
      const result = await measureWrites(mode, writers, WRITES);
      runs.push(result);
      const cpu = `CPU ${result.cpuUs.toFixed(1)}${mode === 'sync-standby' ? ` + standby ${result.standbyCpuUs.toFixed(1)}` : ''} µs/write`;
      process.stderr.write(`run ${run}/${RUNS} ${writers} writers ${mode}: ${Math.round(result.writesPerSec)} writes/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${cpu}\n`);
    }
  }
  const of = (mode: WriteMode) => {
    const mine = runs.filter((r) => r.mode === mode);
    const of1 = (pick: (r: WriteRun) => number) => +median(mine.map(pick)).toFixed(1);
    return { writesPerSec: Math.round(median(mine.map((r) => r.writesPerSec))), p50Ms: +median(mine.map((r) => r.p50Ms)).toFixed(2), p99Ms: +median(mine.map((r) => r.p99Ms)).toFixed(2), cpuUs: of1((r) => r.cpuUs), standbyCpuUs: of1((r) => r.standbyCpuUs) };
  };
  return { lone: of('lone'), 'sync-standby': of('sync-standby'), 'log-only': of('log-only') };
}

/** The raw limit (raw-shipping.ts): bare lmdb-js alone, and with a bare grpc-js standby; medians of RUNS, interleaved. */
async function rawMedians(writers: number): Promise<Record<RawShippingMode, number>> {
  const runs: Record<RawShippingMode, number[]> = { lone: [], sync: [] };
  for (let run = 1; run <= RUNS; run++) {
    for (const mode of (run % 2 ? ['lone', 'sync'] : ['sync', 'lone']) as RawShippingMode[]) {
      const perSec = await measureRawShipping(mode, writers, WRITES);
      runs[mode].push(perSec);
      process.stderr.write(`run ${run}/${RUNS} ${writers} writers raw ${mode}: ${Math.round(perSec)} writes/s\n`);
    }
  }
  return { lone: Math.round(median(runs.lone)), sync: Math.round(median(runs.sync)) };
}

export async function main(): Promise<void> {
  const raw = await rawMedians(WRITERS);
  const few = await medians(WRITERS);
  const many = await medians(1000);
  const failoverRuns = Number(process.env.BENCH_FAILOVER_RUNS ?? 5);
  const failover = failoverRuns > 0 ? await failoverFigures(failoverRuns) : undefined;
  const ratio = (m: typeof few) => +(m['sync-standby'].writesPerSec / m.lone.writesPerSec).toFixed(2);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'control-failover',
      unit: 'acknowledged writes/s',
      writers: WRITERS,
      value: few['sync-standby'].writesPerSec,
      limit: few.lone.writesPerSec,
      ratio: ratio(few),
      log_only: few['log-only'].writesPerSec,
      // the raw limit: bare lmdb-js, alone and with a bare grpc-js standby doing the same (raw-shipping.ts)
      raw_lone: raw.lone,
      raw_sync: raw.sync,
      raw_ratio: +(raw.sync / raw.lone).toFixed(2),
      // Auctor's synchronous shipping against the raw one
      value_vs_raw_sync: +(few['sync-standby'].writesPerSec / raw.sync).toFixed(2),
      p50_ms: few['sync-standby'].p50Ms,
      p99_ms: few['sync-standby'].p99Ms,
      lone_p50_ms: few.lone.p50Ms,
      lone_p99_ms: few.lone.p99Ms,
      value_1000: many['sync-standby'].writesPerSec,
      limit_1000: many.lone.writesPerSec,
      ratio_1000: ratio(many),
      log_only_1000: many['log-only'].writesPerSec,
      // CPU µs per write: the lone node; the node with a standby, and the standby's process
      cpu_us: { lone: few.lone.cpuUs, primary: few['sync-standby'].cpuUs, standby: few['sync-standby'].standbyCpuUs },
      cpu_us_1000: { lone: many.lone.cpuUs, primary: many['sync-standby'].cpuUs, standby: many['sync-standby'].standbyCpuUs },
      ...(failover ? { failover_ms: failover.value, failover_limit_ms: failover.limit, failover_ratio: failover.ratio, failover_runs: failover.runs } : { failover: failoverRuns > 0 ? 'skipped: no etcd on PATH' : 'skipped: BENCH_FAILOVER_RUNS=0' }),
      load: +loadavg()[0]!.toFixed(1),
      runs: RUNS,
      writes_per_run: WRITES,
    })}\n`,
  );
}
