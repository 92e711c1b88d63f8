/**
 * Diego's 250k-instance benchmark on this machine (issue 14): a control node process
 * (`auctor start --roles control`, LMDB on disk at default durability, a cluster secret) and
 * processes of CELLS simulated cells between them (bench/support/cell-simulator.ts: real cell
 * actors on fake Garden backends, each process one cluster member on the real gRPC remoting). This process is the client:
 * it desires the LRPs of Diego's mix (bench/support/scale-mix.ts: 200k LRPs making 250k
 * instances, or BENCH_INSTANCES of the same mix) through the REST gateway over keep-alive
 * connections, CONCURRENCY requests in flight, in bursts of BURST LRPs, and learns which
 * instances run from the event stream (bench/support/running-watch.ts).
 *
 * Steps and the JSON line's fields:
 * - `raw_lmdb_rows_per_s`, `raw_lmdb_instances_per_s`: first, raw LMDB puts of the rows the
 *   control journals for the whole mix (each LRP's DesiredLRP, each instance's UNCLAIMED,
 *   CLAIMED and RUNNING rows), same env options and durability (bench/support/raw-lmdb.ts);
 * - `probe_p99_ms_0`, `_50`, `_100`: desire → RUNNING of PROBES one-instance 32 MB LRPs, 10 at a
 *   time, at 0 % (after PROBES untimed ones), 50 % and 100 % fill; `probe_full_empty_ratio` =
 *   100 % / 0 %;
 * - `fill_s`: the two halves of the mix, each from its first desire to its last instance
 *   RUNNING, summed (the 50 % probes between them excluded; `fill_50_s` the first half alone);
 *   `desires_per_s` = LRPs / time from first request to last answer, summed over the halves;
 *   `desire_p99_ms` over every desire; `ratio` = instances/s of the fill over
 *   `raw_lmdb_instances_per_s`;
 * - at full fill: `convergence_ms` and `convergence_max_stall_ms` (one pass, as the control node
 *   measures it: bench/support/scale-steps.ts), `heap_mb`, `rss_mb` (no forced GC; `rss_anon_mb` and `rss_file_mb`, its
 *   anonymous and file-backed parts from /proc: the latter are LMDB pages the kernel may drop),
 *   `live_heap_mb` (right after a full GC forced through the control's inspector:
 *   bench/support/force-gc.ts), `list_all_ms` (GET /v1/actual_lrps); then, once the instances have passivated (`--idle-ms`),
 *   `settled_live_heap_mb`, `settled_rss_mb`, `settled_live_heap_kb_per_instance`, `settled_s`,
 *   `settled_live_instances`; then `restart_s`: kill -9 of the control node until
 *   the same command's gateway lists every instance RUNNING, `restarted_instances` (container
 *   creates on the cells until its first convergence pass; should be 0).
 * - the memory of the simulated cells at 50 % and 100 % fill (`cells_rss_mb`, `cells_heap_mb`,
 *   `cells_kb_per_container`: their heap per container), what their remoting dropped
 *   (`cells_dropped`), and what they send the control node: `cell_states_mb`, every cell's
 *   state as the remoting encodes it (what one auction round reads), the largest cell's state
 *   and container list (`max_cell_state_kb`, `max_cell_list_kb`); the control node's heap and
 *   RSS at 50 % too (`heap_mb_50`, `rss_mb_50`); `fill_timeline`, every 10 s of the fill:
 *   [s, desires answered, instances running, control RSS MB, simulators' RSS MB] (the rate
 *   should not fall as the node fills; RSS from /proc, so the control node does no work for it);
 *   `fill_cpu_ms_per_instance`, CPU ms per instance of the fill (probes at 50 % and 100 %
 *   included) spent by the control node, the simulators and this client (from /proc and
 *   `process.cpuUsage`), and `fill_cpu_bound_instances_per_s`, the rate the machine's cores
 *   would allow at that cost with nothing else running;
 *   `control_warnings`, the control node's warnings and errors by message, its log in a file
 *   (`control_log`), whether the run gave up or not.
 * Gives up after BENCH_MAX_S (default 600) with what it measured and `"gave_up": true`; every
 * process it started is killed either way.
 *
 * Env: BENCH_INSTANCES (250000), BENCH_CELLS (1000), BENCH_MAX_S (600), BENCH_CONCURRENCY (64),
 * BENCH_BURST (10000), BENCH_PROBES (100 at each point), BENCH_CONTROL_ARGS (more flags for the
 * control node, e.g. `--convergence-interval-ms 30000`; default none: the node's defaults),
 * BENCH_SKIP_RAW=1 (no raw LMDB figure), BENCH_CELL_PROCESSES (simulator processes the cells are
 * shared out between, default one per 250 cells; figures before this default came from one), BENCH_HEAP_SNAPSHOT=DIR (a heap snapshot of the control node
 * once settled (at full fill when BENCH_SETTLE_S=0), before the restart, written to DIR: `heap_snapshot`, `heap_snapshot_s`),
 * BENCH_SETTLE_S (150: the longest wait for the instances to passivate; 0 skips the settled figures).
 */
import { availableParallelism, loadavg } from 'node:os';
import { KeepAliveClient, inParallel } from './support/keep-alive-client.js';
import { rawPutChains } from './support/raw-lmdb.js';
import { RunningWatch } from './support/running-watch.js';
import { ScaleCluster } from './support/scale-cluster.js';
import { desiredLrpBody, journalRows, scaleMix, type ScaleApp } from './support/scale-mix.js';
import { controlWarnings, convergenceAndMemory, diagnose, heapSnapshot, killAndRestart, listAll, liveHeapMb, probeLatencies, quantile, scrape, settledMemory, until } from './support/scale-steps.js';
import { sampleValue } from '../test/support/prometheus.js';
import { http } from '../test/support/gateway-node.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 250_000);
const CELLS = Number(process.env.BENCH_CELLS ?? 1000);
const MAX_S = Number(process.env.BENCH_MAX_S ?? 600);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const BURST = Number(process.env.BENCH_BURST ?? 10_000);
const CONTROL_ARGS = (process.env.BENCH_CONTROL_ARGS ?? '').split(' ').filter(Boolean);
const PROBES = Number(process.env.BENCH_PROBES ?? 100);
/**
 * 250 cells a process: one process of 1000 held ~15 KB of heap per container (3.7 GB at 250k,
 * near V8's 4.3 GB limit), and at 50k under load its full outbound queue dropped 77k envelopes,
 * heartbeats among them, so the control took all 1000 cells down at once, 22 times in one run.
 */
const CELL_PROCESSES = Number(process.env.BENCH_CELL_PROCESSES ?? Math.max(1, Math.round(CELLS / 250)));
const HEAP_SNAPSHOT_DIR = process.env.BENCH_HEAP_SNAPSHOT;
/** the longest wait for the instances to passivate before the settled memory is read (0: not read) */
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 150);
/** a desire answered 5xx or not at all is sent again, as a client would, this many times */
const DESIRE_TRIES = 3;

const begun = performance.now();
const log = (message: string) => process.stderr.write(`[${((performance.now() - begun) / 1000).toFixed(1)} s] ${message}\n`);
const round = (x: number | null, digits = 0) => (x === null ? null : Number(x.toFixed(digits)));

/** Every field, null until measured: the line is complete even when the run gives up. */
const result: Record<string, unknown> = {
  bench: 'scale', instances: INSTANCES, lrps: null, cells: CELLS, probes: PROBES, gave_up: false,
  fill_s: null, fill_50_s: null, desires_per_s: null, desire_p99_ms: null,
  probe_p99_ms_0: null, probe_p99_ms_50: null, probe_p99_ms_100: null, probe_full_empty_ratio: null,
  convergence_ms: null, convergence_max_stall_ms: null, heap_mb: null, rss_mb: null, heap_kb_per_instance: null, live_heap_mb: null, live_heap_kb_per_instance: null,
  restart_s: null, restarted_instances: null, list_all_ms: null, desire_failures: 0, desire_retries: 0, probe_retries: 0,
  heap_mb_50: null, rss_mb_50: null, cell_processes: CELL_PROCESSES, cells_rss_mb: null, cells_heap_mb: null, cells_kb_per_container: null,
  cells_dropped: null, cell_states_mb: null, max_cell_state_kb: null, max_cell_list_kb: null, fill_timeline: [],
  fill_cpu_ms_per_instance: null, fill_cpu_bound_instances_per_s: null,
  raw_lmdb_rows_per_s: null, raw_lmdb_instances_per_s: null, ratio: null,
};

/** what main() must close should run() not end by itself */
const running: { cluster?: ScaleCluster } = {};

interface Desires {
  latencies: number[];
  /** ms from each half's first request to its last answer, summed */
  ms: number;
  failed: number;
  retried: number;
}

/** Desires `apps` in bursts of BURST, CONCURRENCY in flight; each burst's answers before the next burst. */
async function desire(client: KeepAliveClient, apps: readonly ScaleApp[], desires: Desires, deadline: number): Promise<void> {
  const t0 = performance.now();
  for (let from = 0; from < apps.length; from += BURST) {
    await inParallel(apps.slice(from, from + BURST), CONCURRENCY, async (app) => {
      for (let attempt = 1; ; attempt++) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`desires: ${desires.latencies.length} answered, the rest not within the time left`);
        const sent = performance.now();
        const answer = await client.send('POST', '/v1/desired_lrps', desiredLrpBody(app), Math.min(120_000, left))
          .catch((error: Error) => ({ status: 0, ms: performance.now() - sent, text: error.message }));
        if (attempt === 1) desires.latencies.push(answer.ms);
        // 409 on a retry: the first attempt was stored after all
        if (answer.status === 201 || (attempt > 1 && answer.status === 409)) return;
        if (answer.status > 0 && answer.status < 500) throw new Error(`desire ${app.process_guid}: ${answer.status} ${answer.text}`);
        if (attempt === DESIRE_TRIES) return void (result.desire_failures = ++desires.failed);
        result.desire_retries = ++desires.retried;
      }
    });
  }
  desires.ms += performance.now() - t0;
}

async function run(deadline: number): Promise<void> {
  const apps = scaleMix(INSTANCES);
  result.lrps = apps.length;
  if (process.env.BENCH_SKIP_RAW !== '1') {
    const chains = journalRows(apps, CELLS);
    const rows = chains.reduce((sum, c) => sum + c.rows.length, 0);
    const seconds = await rawPutChains(chains);
    result.raw_lmdb_rows_per_s = Math.round(rows / seconds);
    result.raw_lmdb_instances_per_s = Math.round(INSTANCES / seconds);
    log(`raw LMDB: ${rows} rows of ${INSTANCES} instances in ${seconds.toFixed(1)} s`);
  }

  const snapshotFlags = HEAP_SNAPSHOT_DIR ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${HEAP_SNAPSHOT_DIR}`] : [];
  const cluster = await ScaleCluster.start(CELLS, CELL_PROCESSES, CONTROL_ARGS, deadline - performance.now(), snapshotFlags);
  running.cluster = cluster;
  let client: KeepAliveClient | undefined;
  let watch: RunningWatch | undefined;
  try {
    const { url } = cluster;
    await until(`${CELLS} cells present`, deadline, 200, async () => {
      const cells = (await http(url, 'GET', '/v1/cells')).json as unknown[];
      return cells.length >= CELLS ? true : undefined;
    });
    log(`control node ${cluster.control.name} and ${CELLS} cells up`);
    client = new KeepAliveClient(url, CONCURRENCY);
    watch = await RunningWatch.open(url);
    const w = watch;
    const desires: Desires = { latencies: [], ms: 0, failed: 0, retried: 0 };
    const probes: Record<string, number[]> = {};
    const probeCounts = { retried: 0 };
    const probe = async (label: '0' | '50' | '100') => {
      probes[label] = await probeLatencies(client!, w, label, PROBES, deadline, probeCounts);
      result.probe_retries = probeCounts.retried;
      result[`probe_p99_ms_${label}`] = round(quantile(probes[label]!, 0.99));
      log(`probes at ${label} %: p50 ${round(quantile(probes[label]!, 0.5))} ms, p99 ${result[`probe_p99_ms_${label}`]} ms`);
    };

    // CPU seconds of each side over the fill: what one instance costs the machine, end to end
    const cpuAtStart = { ...cluster.cpuSeconds(), client: process.cpuUsage() };
    const timeline = result.fill_timeline as Array<[number, number, number, number | null, number | null]>;
    const fillStart = performance.now();
    const tick = async (t0: number, expected: number) => {
      const s = Math.round((performance.now() - fillStart) / 1000);
      const [answered, running] = [desires.latencies.length, w.running];
      const rss = cluster.rssMb();
      timeline.push([s, answered, running, rss.control, rss.cells]);
      log(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${answered} desires answered, ${running}/${expected} running; RSS control ${rss.control} MB, cells ${rss.cells} MB`);
    };
    const cellFigures = async (suffix: string) => {
      const c = await cluster.simulatorStats();
      Object.assign(result, {
        [`cells_rss_mb${suffix}`]: Math.round(c.rss_bytes / 1e6), [`cells_heap_mb${suffix}`]: Math.round(c.heap_bytes / 1e6),
        [`cells_kb_per_container${suffix}`]: round(c.heap_bytes / Math.max(1, c.containers) / 1024, 1), [`cells_dropped${suffix}`]: c.dropped,
        [`cell_states_mb${suffix}`]: round(c.state_bytes / 1e6, 1), [`max_cell_state_kb${suffix}`]: round(c.max_state_bytes / 1024, 1),
        [`max_cell_list_kb${suffix}`]: round(c.max_list_bytes / 1024, 1),
      });
      log(`cells: ${c.containers} containers (${c.max_cell_containers} on the fullest), RSS ${result[`cells_rss_mb${suffix}`]} MB, heap ${result[`cells_heap_mb${suffix}`]} MB; states ${result[`cell_states_mb${suffix}`]} MB per round; ${c.dropped} envelopes dropped`);
    };

    // the first auctions of a fresh node run cold code: PROBES untimed ones first
    await probeLatencies(client, w, 'warm', PROBES, deadline);
    await probe('0');
    let fillMs = 0;
    let expected = 2 * PROBES;
    const half = Math.ceil(apps.length / 2);
    for (const [label, part] of [['50', apps.slice(0, half)], ['100', apps.slice(half)]] as const) {
      const t0 = performance.now();
      expected += part.reduce((sum, app) => sum + app.instances, 0);
      const progress = setInterval(() => void tick(t0, expected), 10_000);
      try {
        await desire(client, part, desires, deadline);
        await w.until(() => w.running >= expected, deadline, `${expected} instances running`);
      } finally {
        clearInterval(progress);
      }
      fillMs += performance.now() - t0;
      result[label === '50' ? 'fill_50_s' : 'fill_s'] = round(fillMs / 1000, 1);
      result.desires_per_s = Math.round(desires.latencies.length / (desires.ms / 1000));
      result.desire_p99_ms = round(quantile(desires.latencies, 0.99));
      log(`${label} % fill: ${w.running} running after ${round(fillMs / 1000, 1)} s of fill, ${result.desires_per_s} desires/s`);
      if (label === '50') {
        const m = await scrape(url);
        result.heap_mb_50 = Math.round((sampleValue(m, 'nodejs_heap_size_used_bytes') ?? 0) / 1e6);
        result.rss_mb_50 = Math.round((sampleValue(m, 'process_resident_memory_bytes') ?? 0) / 1e6);
        await cellFigures('_50');
      }
      await probe(label);
      expected += PROBES;
    }
    const cpuAtEnd = cluster.cpuSeconds();
    const clientCpu = process.cpuUsage(cpuAtStart.client);
    const perInstance = (from: number | null, to: number | null) => (from === null || to === null ? null : round(((to - from) * 1000) / (expected - 2 * PROBES), 3));
    const fillCpu = {
      control: perInstance(cpuAtStart.control, cpuAtEnd.control),
      cells: perInstance(cpuAtStart.cells, cpuAtEnd.cells),
      client: perInstance(0, (clientCpu.user + clientCpu.system) / 1e6),
    };
    const cpuTotal = Object.values(fillCpu).every((v) => v !== null) ? round(fillCpu.control! + fillCpu.cells! + fillCpu.client!, 3) : null;
    Object.assign(result, {
      fill_cpu_ms_per_instance: { ...fillCpu, total: cpuTotal },
      // what the machine's cores allow at that cost, were nothing else running
      fill_cpu_bound_instances_per_s: cpuTotal === null ? null : Math.round((availableParallelism() * 1000) / cpuTotal),
    });
    result.ratio = result.raw_lmdb_instances_per_s === null ? null : round(INSTANCES / (fillMs / 1000) / (result.raw_lmdb_instances_per_s as number), 4);
    result.probe_full_empty_ratio = round((result.probe_p99_ms_100 as number) / (result.probe_p99_ms_0 as number), 2);

    const figures = await convergenceAndMemory(url, cluster.control.name, client);
    Object.assign(result, figures, { heap_kb_per_instance: round((figures.heap_mb * 1e6) / expected / 1024, 2) });
    const parts = cluster.controlRssParts();
    Object.assign(result, { rss_anon_mb: parts?.anon ?? null, rss_file_mb: parts?.file ?? null });
    const live = await liveHeapMb(cluster);
    Object.assign(result, { live_heap_mb: live, live_heap_kb_per_instance: round((live * 1e6) / expected / 1024, 2) });
    log(`convergence ${figures.convergence_ms} ms (stall ${figures.convergence_max_stall_ms} ms); heap ${figures.heap_mb} MB (live ${live} MB), RSS ${figures.rss_mb} MB`);
    const listed = await listAll(url);
    Object.assign(result, { list_all_ms: Math.round(listed.ms), listed_running: listed.running, expected_running: expected });
    log(`listed ${listed.rows} instances in ${Math.round(listed.ms)} ms`);
    await cellFigures('');
    const snapshot = async () => {
      Object.assign(result, await heapSnapshot(cluster, HEAP_SNAPSHOT_DIR!, deadline));
      log(`heap snapshot ${result.heap_snapshot} in ${result.heap_snapshot_s} s`);
    };
    if (HEAP_SNAPSHOT_DIR && SETTLE_S === 0) await snapshot();
    if (SETTLE_S > 0) {
      Object.assign(result, await settledMemory(cluster, expected, Math.min(SETTLE_S * 1000, deadline - performance.now() - 60_000)));
      log(`settled after ${result.settled_s} s (${result.settled_live_instances} instance actors live): live heap ${result.settled_live_heap_mb} MB, RSS ${result.settled_rss_mb} MB`);
      if (HEAP_SNAPSHOT_DIR) await snapshot();
    }

    await watch.close();
    client.close();
    Object.assign(result, await killAndRestart(cluster, expected, deadline), { event_stream_resyncs: w.resyncs });
    log(`restart: ${result.restart_s} s; ${result.restarted_instances} instances restarted on the cells`);
  } catch (error) {
    result.diagnosis = { ...(await diagnose(cluster)), event_stream_resyncs: watch?.resyncs, watched_running: watch?.running, simulator_exits: cluster.simulatorExits };
    throw error;
  } finally {
    await watch?.close();
    client?.close();
    Object.assign(result, controlWarnings(cluster));
    await cluster.close();
  }
}

export async function main(): Promise<void> {
  const deadline = performance.now() + MAX_S * 1000;
  const started = performance.now();
  const loadStart = round(loadavg()[0]!, 1);
  try {
    await Promise.race([
      run(deadline),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`gave up after BENCH_MAX_S=${MAX_S}`)), MAX_S * 1000 + 30_000).unref()),
    ]);
  } catch (error) {
    result.gave_up = true;
    result.error = (error as Error).message;
    log(`gave up: ${(error as Error).message}`);
  }
  await running.cluster?.close();
  result.seconds = round((performance.now() - started) / 1000, 1);
  // the machine is shared: how busy it was says how far to trust the figures
  result.load_avg_1m = [loadStart, round(loadavg()[0]!, 1)];
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // the simulator and the control node were killed; nothing of this run may linger
  process.exit(0);
}
