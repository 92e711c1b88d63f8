/**
 * Failover at default timings (heartbeat 1 s, cell TTL 5 s, health checks every 500 ms until
 * healthy): a control node and three cell processes run 30 instances; the cell with the most is
 * killed with SIGKILL. `value` = ms from the kill until all 30 are RUNNING (ORDINARY) on live
 * cells, the median of RUNS runs, each on a fresh cluster. The limit is the cell TTL: a cell is
 * lost only when its presence expires, so no failover can beat it (a cut shorter than the TTL
 * must change nothing). `detect_ms` is the kill → `cell.disappeared` part, `replace_ms` the rest
 * (auction, container start, first healthy check).
 */
import { actualRows, ClusterNodes, countBy } from '../test/support/cluster-nodes.js';
import { http, webLrp } from '../test/support/gateway-node.js';

const INSTANCES = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CELL_TTL_MS = 5_000;
const TARGET_MS = 7_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeoutMs: number, intervalMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

interface Run {
  value: number;
  detect_ms: number;
  replace_ms: number;
  moved: number;
}

async function once(run: number): Promise<Run> {
  // default timings: no flags beyond the cluster's own
  const cluster = await ClusterNodes.start({ common: [], cells: [{ name: 'cell-1', zone: 'z1' }, { name: 'cell-2', zone: 'z2' }, { name: 'cell-3', zone: 'z3' }] });
  try {
    const url = cluster.control.url;
    const created = await http(url, 'POST', '/v1/desired_lrps', webLrp('web', INSTANCES));
    if (created.status !== 201) throw new Error(`desire: ${created.status} ${created.text}`);
    const placed = await until('30 instances running', 60_000, 100, async () => {
      const rows = await actualRows(url, 'web');
      return rows.length === INSTANCES && rows.every((r) => r.state === 'RUNNING') ? rows : undefined;
    });
    const perCell = countBy(placed, (r) => r.cell_id);
    const victim = Object.entries(perCell).sort((a, b) => b[1] - a[1])[0]![0];
    process.stderr.write(`run ${run + 1}: placed ${JSON.stringify(perCell)}; killing ${victim}\n`);

    const killedAt = Date.now();
    await cluster.kill9(cluster.cell(victim));
    const doneAt = await until('30 instances running on live cells', 60_000, 25, async () => {
      const rows = await actualRows(url, 'web');
      const live = rows.filter((r) => r.state === 'RUNNING' && r.presence === 'ORDINARY' && r.cell_id !== victim);
      return live.length === INSTANCES ? Date.now() : undefined;
    });
    const disappeared = cluster.control.logs.find((l) => l.msg === 'cell.disappeared' && l.cell_id === victim);
    const detect = disappeared ? Number(disappeared.time) - killedAt : NaN;
    const result = { value: doneAt - killedAt, detect_ms: detect, replace_ms: doneAt - killedAt - detect, moved: perCell[victim]! };
    process.stderr.write(`run ${run + 1}: ${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await cluster.close();
  }
}

export async function main(): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(i));
  const value = median(runs.map((r) => r.value));
  console.log(JSON.stringify({
    name: 'failover',
    value,
    unit: 'ms',
    target: TARGET_MS,
    limit: CELL_TTL_MS,
    limit_is: 'cell TTL (--cell-ttl-ms default): a cell is lost when its presence expires',
    ratio: Number((value / CELL_TTL_MS).toFixed(3)),
    detect_ms: median(runs.map((r) => r.detect_ms)),
    replace_ms: median(runs.map((r) => r.replace_ms)),
    instances: INSTANCES,
    moved: median(runs.map((r) => r.moved)),
    runs: runs.map((r) => r.value),
  }));
}
