/**
 * The steps of `npm run bench -- scale` that ask the control node something and time it: probes,
 * a convergence pass, its memory, listing every instance, kill -9 and restart. Each waits at
 * most until the run's deadline (performance.now()) and then throws.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http } from '../../test/support/gateway-node.js';
import { parseExposition, sampleValue } from '../../test/support/prometheus.js';
import { inParallel, type KeepAliveClient } from './keep-alive-client.js';
import type { RunningWatch } from './running-watch.js';
import { desiredLrpBody } from './scale-mix.js';
import type { ScaleCluster } from './scale-cluster.js';

/** probes in flight at once: each desires its LRP and waits for it to run, then the next goes */
const PROBES_IN_FLIGHT = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `q` quantile (0..1) of `xs`, nearest rank; null when empty. */
export function quantile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** Polls `probe` every `intervalMs` until it gives a value; throws at `deadline`. */
export async function until<T>(what: string, deadline: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within the time left`);
    await sleep(intervalMs);
  }
}

/**
 * ms from each probe's desire to its instance RUNNING: `count` small one-instance LRPs named
 * `probe-<label>-<i>`. A desire answered 5xx or not at all is sent again, as a client would
 * (`counts.retried`), up to 3 times; its latency counts from the first attempt.
 */
export async function probeLatencies(
  client: KeepAliveClient, watch: RunningWatch, label: string, count: number, deadline: number, counts = { retried: 0 },
): Promise<number[]> {
  const names = Array.from({ length: count }, (_, i) => `probe-${label}-${i}`);
  const latencies: number[] = [];
  await inParallel(names, PROBES_IN_FLIGHT, async (process_guid) => {
    const t0 = performance.now();
    for (let attempt = 1; ; attempt++) {
      const answer = await client.send('POST', '/v1/desired_lrps', desiredLrpBody({ process_guid, instances: 1, memory_mb: 32 }), Math.max(1, Math.min(120_000, deadline - performance.now())))
        .catch((error: Error) => ({ status: 0, text: error.message }));
      if (answer.status === 201 || (attempt > 1 && answer.status === 409)) break;
      if ((answer.status > 0 && answer.status < 500) || attempt === 3) throw new Error(`probe ${process_guid}: ${answer.status} ${answer.text}`);
      counts.retried++;
    }
    const key = `${process_guid}/0`;
    await watch.until(() => watch.runningAt.has(key), deadline, `probe ${process_guid} running`);
    latencies.push(watch.runningAt.get(key)! - t0);
  });
  return latencies;
}

/** The control node's /metrics, parsed. */
export async function scrape(url: string) {
  const answer = await http(url, 'GET', '/metrics');
  if (answer.status !== 200) throw new Error(`GET /metrics: ${answer.status}`);
  return parseExposition(answer.text);
}

export interface ConvergenceFigures {
  convergence_ms: number;
  convergence_max_stall_ms: number;
  /** the ask's round trip through the gateway */
  convergence_ask_ms: number;
  /** passes between the two scrapes (a periodic one may join the one asked for; the figure is their mean) */
  convergence_passes: number;
  heap_mb: number;
  rss_mb: number;
  /** CPU seconds the control node used since it started (prom-client's process figure) */
  control_cpu_s: number;
}

/**
 * One convergence pass asked for through the gateway (`convergence/run` to the node's
 * convergence actor), timed by the control node itself: its pass-duration histogram and its
 * pass stall gauge, read before and after. Then the node's heap and RSS (prom-client's process
 * figures, no forced GC).
 */
export async function convergenceAndMemory(url: string, node: string, client: KeepAliveClient): Promise<ConvergenceFigures> {
  const before = await scrape(url);
  const ask = await client.send('POST', `/v1/actors/${node}/control/convergence/messages?ask=true&timeout_ms=60000`, { type: 'convergence/run' });
  if (ask.status !== 200) throw new Error(`convergence/run: ${ask.status} ${ask.text}`);
  const after = await scrape(url);
  const value = (samples: ReturnType<typeof parseExposition>, name: string) => sampleValue(samples, name) ?? 0;
  const passes = value(after, 'auctor_convergence_lrp_runs_total') - value(before, 'auctor_convergence_lrp_runs_total');
  const seconds = value(after, 'auctor_convergence_lrp_duration_seconds_sum') - value(before, 'auctor_convergence_lrp_duration_seconds_sum');
  return {
    convergence_ms: Math.round((seconds / Math.max(1, passes)) * 1000),
    convergence_max_stall_ms: Math.round(value(after, 'auctor_convergence_lrp_max_event_loop_delay_seconds') * 1000),
    convergence_ask_ms: Math.round(ask.ms),
    convergence_passes: passes,
    heap_mb: Math.round(value(after, 'nodejs_heap_size_used_bytes') / 1e6),
    rss_mb: Math.round(value(after, 'process_resident_memory_bytes') / 1e6),
    control_cpu_s: Number(value(after, 'process_cpu_seconds_total').toFixed(1)),
  };
}

interface Row {
  state: string;
  presence: string;
}

/** GET /v1/actual_lrps on a fresh connection: ms, and how many ORDINARY rows are RUNNING. */
export async function listAll(url: string): Promise<{ ms: number; rows: number; running: number }> {
  const t0 = performance.now();
  const answer = await http(url, 'GET', '/v1/actual_lrps');
  const ms = performance.now() - t0;
  if (answer.status !== 200) throw new Error(`GET /v1/actual_lrps: ${answer.status} ${answer.text.slice(0, 200)}`);
  const rows = answer.json as Row[];
  return { ms, rows: rows.length, running: rows.filter((r) => r.state === 'RUNNING' && r.presence === 'ORDINARY').length };
}

export interface RestartFigures {
  restart_s: number;
  /** from the kill until the gateway answered `GET /v1/ping` */
  restart_serving_s: number;
  /** containers created and destroyed on the cells from just before the kill until the restarted node's first convergence pass */
  restarted_instances: number;
  stopped_instances: number;
}

/**
 * kill -9 of the control node, then the same command again: seconds until its gateway answers
 * and lists all `expected` instances RUNNING. Then, once its first convergence pass has run (the
 * pass that would restart what it took for lost), what the cells created and destroyed meanwhile.
 */
export async function killAndRestart(cluster: ScaleCluster, expected: number, deadline: number): Promise<RestartFigures> {
  const before = await cluster.simulatorStats();
  const t0 = performance.now();
  await cluster.control.kill9();
  const started = cluster.startControl(Math.max(1, deadline - performance.now()));
  started.catch(() => {}); // awaited below; a failure shows there
  await until('the restarted gateway answering', deadline, 50, async () => ((await http(cluster.url, 'GET', '/v1/ping')).status === 200 ? true : undefined));
  const servingAt = performance.now();
  await until(`the restarted node listing ${expected} instances RUNNING`, deadline, 250, async () => ((await listAll(cluster.url)).running >= expected ? true : undefined));
  const listedAt = performance.now();
  const node = await started;
  await until('the restarted node\'s first convergence pass', deadline, 500, async () => {
    const view = await http(cluster.url, 'GET', `/v1/actors/${node.name}/control/convergence?depth=1`);
    return ((view.json as { summary?: { passes?: number } } | undefined)?.summary?.passes ?? 0) >= 1 ? true : undefined;
  });
  const after = await cluster.simulatorStats();
  return {
    restart_s: Number(((listedAt - t0) / 1000).toFixed(2)),
    restart_serving_s: Number(((servingAt - t0) / 1000).toFixed(2)),
    restarted_instances: after.creates - before.creates,
    stopped_instances: after.destroys - before.destroys,
  };
}

/**
 * The control nodes' warnings and errors by message (`control_warnings`; before and after the
 * restart), and their whole logs in a file under the temp dir (`control_log`) for whoever reads
 * the run. Once the run is over (the nodes and their logs go with the cluster).
 */
export function controlWarnings(cluster: ScaleCluster): { control_warnings: Record<string, number>; control_log: string } {
  const warnings: Record<string, number> = {};
  const controls = [...cluster.earlierControls, cluster.control];
  for (const line of controls.flatMap((c) => c.logs)) {
    if (typeof line.level === 'number' && line.level >= 40) warnings[line.msg] = (warnings[line.msg] ?? 0) + 1;
  }
  const file = join(tmpdir(), `auctor-bench-scale-control-${process.pid}.log`);
  writeFileSync(file, controls.map((c) => c.output()).join(''));
  return { control_warnings: warnings, control_log: file };
}

/** What a run that gave up leaves to go on: the actual LRPs by state (and a few that are not RUNNING), the cells' container counts. */
export async function diagnose(cluster: ScaleCluster): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  try {
    out.cells = await cluster.simulatorStats();
    const listed = await http(cluster.url, 'GET', '/v1/actual_lrps');
    if (listed.status !== 200) throw new Error(`GET /v1/actual_lrps: ${listed.status} ${listed.text.slice(0, 200)}`);
    const rows = listed.json as Array<Row & { process_guid: string; index: number; cell_id: string; placement_error: string; since: number }>;
    const byState: Record<string, number> = {};
    for (const r of rows) byState[`${r.presence} ${r.state}`] = (byState[`${r.presence} ${r.state}`] ?? 0) + 1;
    out.actual_lrps = byState;
    out.not_running = rows.filter((r) => r.state !== 'RUNNING').slice(0, 5)
      .map((r) => ({ lrp: `${r.process_guid}/${r.index}`, state: r.state, cell_id: r.cell_id, placement_error: r.placement_error, age_s: Math.round((Date.now() - r.since / 1e6) / 1000) }));
  } catch (error) {
    out.diagnosis_failed = (error as Error).message;
  }
  return out;
}

/**
 * A heap snapshot of the control node: SIGUSR2 (the node runs with `--heapsnapshot-signal=SIGUSR2
 * --diagnostic-dir=<dir>`), then waits until the node answers again, which it does only once
 * the snapshot is written (writing it stops the node). Returns the file and the seconds it took.
 */
export async function heapSnapshot(cluster: ScaleCluster, dir: string, deadline: number): Promise<{ heap_snapshot: string; heap_snapshot_s: number; heap_mb_after_snapshot: number }> {
  const before = new Set(readdirSync(dir));
  const t0 = performance.now();
  cluster.control.child.kill('SIGUSR2');
  const file = await until('the heap snapshot', deadline, 500, async () => readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f)));
  await until('the control node answering after its heap snapshot', deadline, 500, async () => ((await http(cluster.url, 'GET', '/v1/ping')).status === 200 ? true : undefined));
  // a snapshot collects all garbage first: the heap right after it is the live set
  const heap = sampleValue(await scrape(cluster.url), 'nodejs_heap_size_used_bytes') ?? 0;
  return { heap_snapshot: join(dir, file), heap_snapshot_s: Number(((performance.now() - t0) / 1000).toFixed(1)), heap_mb_after_snapshot: Math.round(heap / 1e6) };
}

export interface SettledFigures {
  /** from the end of the fill's measurements until few instance actors were left active */
  settled_s: number;
  /** live actual-lrp and lrp-supervisor actors then */
  settled_live_instances: number;
  settled_live_supervisors: number;
  /** the heap right after a full collection (liveHeapMb), and the RSS then */
  settled_live_heap_mb: number;
  settled_rss_mb: number;
  settled_live_heap_kb_per_instance: number;
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));

/**
 * The control node's memory once its virtual actors have passivated (`--idle-ms`, 60 s by
 * default): waits until at most 2 % of the instances are live actors (or `maxMs` passes), then
 * reads its live heap.
 */
export async function settledMemory(cluster: ScaleCluster, instances: number, maxMs: number): Promise<SettledFigures> {
  const t0 = performance.now();
  const live = (m: Awaited<ReturnType<typeof scrape>>, kind: string) => sampleValue(m, 'auctor_actors', { kind }) ?? 0;
  let m = await scrape(cluster.url);
  while (live(m, 'actual-lrp') > instances * 0.02 && performance.now() - t0 < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    m = await scrape(cluster.url);
  }
  const settled_s = round((performance.now() - t0) / 1000, 1);
  const heap = await liveHeapMb(cluster);
  return {
    settled_s, settled_live_instances: live(m, 'actual-lrp'), settled_live_supervisors: live(m, 'lrp-supervisor'),
    settled_live_heap_mb: heap, settled_rss_mb: Math.round((sampleValue(await scrape(cluster.url), 'process_resident_memory_bytes') ?? 0) / 1e6),
    settled_live_heap_kb_per_instance: round((heap * 1e6) / instances / 1024, 2),
  };
}

const FORCE_GC = fileURLToPath(new URL('./force-gc.js', import.meta.url));

/** The control node's heap (MB) right after a full garbage collection forced through its inspector: its live set. */
export async function liveHeapMb(cluster: ScaleCluster): Promise<number> {
  const child = spawn(process.execPath, ['--experimental-websocket', FORCE_GC, String(cluster.inspectPort)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`force-gc exited ${code}: ${stderr.trim()}`);
  return Math.round((sampleValue(await scrape(cluster.url), 'nodejs_heap_size_used_bytes') ?? 0) / 1e6);
}
