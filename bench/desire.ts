/**
 * The REST desire path of issue 14 alone, with its raw limits measured in the same run:
 * - `raw_gateway_desires_per_s`, `raw_gateway_p99_ms`: POST /v1/desired_lrps against the node's
 *   own gateway in a process of its own whose control only runs the model's validator
 *   (bench/support/raw-gateway.ts), same client, same bodies, CONCURRENCY in flight;
 * - `raw_lmdb_desires_per_s`, `raw_lmdb_p99_ms`: the writes one desire makes (the registry's
 *   `added` event, the DesiredLRP, and per instance its index record and UNCLAIMED row), lmdb-js
 *   puts with the engine's options, CONCURRENCY desires in flight, each answered once all its
 *   writes are durable;
 * - `desires_per_s`, `desire_p99_ms`: the scale bench's cluster (control node, CELLS simulated
 *   cells over gRPC) desiring the mix of INSTANCES instances, CONCURRENCY in flight; then until
 *   all RUNNING (`fill_s`); `cpu_s` of each process over the desires.
 * With BENCH_PROFILE=FILE the control node writes a CPU profile of the desires to FILE
 * (bench/support/profile-hook.mjs; bench/support/profile-summary.mjs sums it up).
 *
 * Env: BENCH_INSTANCES (10000), BENCH_CELLS (1000), BENCH_CONCURRENCY (64), BENCH_PROFILE (a file).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { KeepAliveClient, inParallel } from './support/keep-alive-client.js';
import { RunningWatch } from './support/running-watch.js';
import { desiredLrpBody, scaleMix, type ScaleApp } from './support/scale-mix.js';
import { quantile } from './support/scale-steps.js';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS } from '../src/runtime/persistence/lmdb-engine.js';
import { desireLrp } from '../src/models/desired-lrp.js';
import { newUnclaimedActualLrp } from '../src/models/actual-lrp.js';
import { NODE_FLAGS } from '../src/cli/node-flags.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 10_000);
const CELLS = Number(process.env.BENCH_CELLS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const PROFILE = process.env.BENCH_PROFILE;

const begun = performance.now();
const log = (message: string) => process.stderr.write(`[${((performance.now() - begun) / 1000).toFixed(1)} s] ${message}\n`);
const round = (x: number | null, digits = 0) => (x === null ? null : Number(x.toFixed(digits)));

interface Figures {
  /** CPU seconds of the server and the client processes */
  cpu?: { server: number | null; client: number | null };
  per_s: number;
  p50: number | null;
  p99: number | null;
}

async function desireAll(client: KeepAliveClient, apps: readonly ScaleApp[]): Promise<Figures> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await inParallel(apps, CONCURRENCY, async (app) => {
    const answer = await client.send('POST', '/v1/desired_lrps', desiredLrpBody(app));
    if (answer.status !== 201) throw new Error(`desire ${app.process_guid}: ${answer.status} ${answer.text}`);
    latencies.push(answer.ms);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { per_s: Math.round(apps.length / seconds), p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) };
}

async function rawGateway(apps: readonly ScaleApp[]): Promise<Figures> {
  const script = fileURLToPath(new URL('./support/raw-gateway.js', import.meta.url));
  const child = spawn(process.execPath, [...NODE_FLAGS, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`raw gateway exited (${code})`)));
      createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    });
    const client = new KeepAliveClient(`http://127.0.0.1:${port}`, CONCURRENCY);
    await desireAll(client, apps.slice(0, 500).map((a) => ({ ...a, process_guid: `warm-${a.process_guid}` })));
    const before = [cpuSeconds(child.pid), cpuSeconds(process.pid)];
    const figures = await desireAll(client, apps);
    const cpu = { server: round(cpuSeconds(child.pid) - before[0]!, 2), client: round(cpuSeconds(process.pid) - before[1]!, 2) };
    client.close();
    return { ...figures, cpu };
  } finally {
    child.kill('SIGKILL');
  }
}

type Flushable = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/** The writes of each desire as lmdb-js puts, CONCURRENCY desires in flight, each done once all its writes are durable. */
async function rawLmdb(apps: readonly ScaleApp[]): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'auctor-bench-desire-lmdb-'));
  const root = open({ path: dir, mapSize: 8 * 1024 ** 3, ...LMDB_ENV_OPTIONS });
  const events = root.openDB<unknown, [string, number]>('events', LMDB_DB_OPTIONS);
  const runtime = root.openDB<unknown, string>('runtime', LMDB_DB_OPTIONS);
  const latencies: number[] = [];
  let registrySeq = 0;
  try {
    const t0 = performance.now();
    await inParallel(apps, CONCURRENCY, async (app) => {
      const sent = performance.now();
      const desired = desireLrp(desiredLrpBody(app), { epoch: `epoch-${app.process_guid}`, index: 0 });
      if (!desired.ok) throw desired.error;
      const writes: Flushable[] = [
        events.put(['lrps', ++registrySeq], { d: { type: 'added', process_guid: app.process_guid, epoch: 'e' }, c: Date.now() }) as Flushable,
        events.put([`lrp/${app.process_guid}/e`, 1], { d: { type: 'desired', desired: desired.value }, c: Date.now() }) as Flushable,
      ];
      for (let index = 0; index < app.instances; index++) {
        const row = newUnclaimedActualLrp({ process_guid: app.process_guid, index, domain: 'bench' }, Date.now() * 1e6, { epoch: `i-${index}`, index: 0 });
        writes.push(runtime.put(`virtual/lrps/${app.process_guid}|${index}`, {}) as Flushable);
        writes.push(events.put([`actual-lrp/${app.process_guid}/e/${index}`, 1], { d: { type: 'row', actual: row, pending: 'g' }, c: Date.now() }) as Flushable);
      }
      await Promise.all(writes.map(async (w) => {
        await w;
        await w.flushed;
      }));
      latencies.push(performance.now() - sent);
    });
    const seconds = (performance.now() - t0) / 1000;
    return { per_s: Math.round(apps.length / seconds), p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) };
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

export async function main(): Promise<void> {
  const apps = scaleMix(INSTANCES);
  const result: Record<string, unknown> = { bench: 'desire', instances: INSTANCES, lrps: apps.length, cells: CELLS, concurrency: CONCURRENCY };
  const gateway = await rawGateway(apps);
  Object.assign(result, { raw_gateway_desires_per_s: gateway.per_s, raw_gateway_p50_ms: gateway.p50, raw_gateway_p99_ms: gateway.p99, raw_gateway_cpu_s_server: gateway.cpu?.server, raw_gateway_cpu_s_client: gateway.cpu?.client });
  log(`raw gateway: ${gateway.per_s} desires/s, p99 ${gateway.p99} ms`);
  const lmdb = await rawLmdb(apps);
  Object.assign(result, { raw_lmdb_desires_per_s: lmdb.per_s, raw_lmdb_p50_ms: lmdb.p50, raw_lmdb_p99_ms: lmdb.p99 });
  log(`raw LMDB: ${lmdb.per_s} desires/s, p99 ${lmdb.p99} ms`);

  if (PROFILE) {
    process.env.BENCH_CONTROL_NODE_OPTIONS = `--import=${fileURLToPath(new URL('../../bench/support/profile-hook.mjs', import.meta.url))}`;
    process.env.BENCH_PROFILE_OUT = PROFILE;
  }
  const { ScaleCluster } = await import('./support/scale-cluster.js');
  const cluster = await ScaleCluster.start(CELLS, Math.max(1, Math.ceil(CELLS / 250)), [], 120_000);
  try {
    const { url } = cluster;
    for (;;) {
      const cells = await fetch(`${url}/v1/cells`).then((r) => r.json() as Promise<unknown[]>).catch(() => []);
      if (cells.length >= CELLS) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const client = new KeepAliveClient(url, CONCURRENCY);
    const watch = await RunningWatch.open(url);
    const warm = scaleMix(200, 7, 'warm');
    await desireAll(client, warm);
    const expected = warm.reduce((s, a) => s + a.instances, 0) + INSTANCES;
    const pids = { control: [cluster.control.child.pid], cells: cluster.simulatorPids, bench: [process.pid] };
    const cpuOf = (list: Array<number | undefined>) => list.reduce<number>((sum, pid) => sum + cpuSeconds(pid), 0);
    const before = Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, cpuOf(list)]));
    if (PROFILE) cluster.control.child.kill('SIGUSR2');
    const t0 = performance.now();
    const real = await desireAll(client, apps);
    if (PROFILE) cluster.control.child.kill('SIGUSR2');
    const desireS = (performance.now() - t0) / 1000;
    const cpu = Object.fromEntries(Object.entries(pids).map(([k, list]) => [`cpu_s_${k}`, round(cpuOf(list) - before[k]!, 2)]));
    await watch.until(() => watch.running >= expected, performance.now() + 300_000, 'all running');
    const fillS = (performance.now() - t0) / 1000;
    Object.assign(result, { desires_per_s: real.per_s, desire_p50_ms: real.p50, desire_p99_ms: real.p99, desire_s: round(desireS, 2), fill_s: round(fillS, 2), ...cpu });
    log(`desires: ${real.per_s}/s, p99 ${real.p99} ms; all running after ${fillS.toFixed(1)} s; cpu ${JSON.stringify(cpu)}`);
    await watch.close();
    client.close();
  } finally {
    await cluster.close();
  }
  result.ratio_to_raw_gateway = round((result.desires_per_s as number) / gateway.per_s, 3);
  result.ratio_to_raw_lmdb = round((result.desires_per_s as number) / lmdb.per_s, 3);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
