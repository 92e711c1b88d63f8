/**
 * The operator console's first paint at scale, in Chromium (issue 15): a stub gateway serves the
 * real page and answers its listings with LRPS DesiredLRPs (default 10 000, two RUNNING
 * instances each) and CELLS cells (default 1000, in 3 zones), with an open, quiet event stream.
 * - `lrp_list_ms`: from navigation to the frame after the LRP list (`#/lrps`) shows its rows
 *   with every LRP counted; `cluster_ms`: the same for the cluster map (`#/cluster`);
 * - the raw limit, in the same run: Chromium painting a static HTML table of the same rows (no
 *   script, no fetch), `raw_lrp_table_ms` / `raw_cell_table_ms`; `ratio_*` = raw / console;
 * - `value`: the slower of the two console figures (target: at most 1000 ms).
 * Medians of RUNS (default 3), each in a fresh browser context (cold cache), after one uncounted
 * navigation of each kind (Chromium's first page pays for starting its renderer). Screenshots go to
 * test-output/console/; `BENCH_DOCS_SCREENSHOT=1` also writes docs/console.png.
 */
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { browserMissing, launchBrowser, type HeadlessBrowser } from '../test/support/browser.js';
import { startConsoleStub } from '../test/support/console-stub.js';

const LRPS = Number(process.env.BENCH_LRPS ?? 10_000);
const CELLS = Number(process.env.BENCH_CELLS ?? 1000);
const RUNS = Number(process.env.RUNS ?? 3);
const ZONES = ['z1', 'z2', 'z3'];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x);
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** What the listings answer: BBS-shaped rows, as a node with this many would. */
function cluster() {
  const cells = Array.from({ length: CELLS }, (_, i) => ({
    cell_id: `cell-${pad(i, 4)}`,
    zone: ZONES[i % ZONES.length],
    rep_address: `10.0.${i >> 8}.${i & 255}:7777`,
    capacity: { memory_mb: 32768, disk_mb: 131072, containers: 250 },
    available_resources: { memory_mb: 32768 - ((i * 977) % 30000), disk_mb: 131072 - ((i * 3907) % 120000), containers: 250 - (i % 200) },
    rootfs_providers: ['preloaded:host'],
    placement_tags: [],
    optional_placement_tags: [],
    enforces: [],
    lrp_count: 20,
    task_count: 0,
    starting_container_count: 0,
    evacuating: i % 97 === 0,
    reachable: i % 101 !== 0,
  }));
  const since = Date.now() * 1e6;
  const desired = Array.from({ length: LRPS }, (_, i) => ({
    process_guid: `app-${pad(i, 5)}`,
    domain: `domain-${i % 10}`,
    rootfs: 'preloaded:host',
    instances: 2,
    memory_mb: 256,
    disk_mb: 1024,
    action: { run: { path: '/app/start', args: [], user: 'vcap' } },
    modification_tag: { epoch: 'e', index: 0 },
  }));
  const actuals = desired.flatMap((d, i) => [0, 1].map((index) => ({
    process_guid: d.process_guid,
    index,
    domain: d.domain,
    instance_guid: `${pad(i, 8)}-0000-4000-8000-${pad(index, 12)}`,
    cell_id: cells[(i * 2 + index) % CELLS]!.cell_id,
    address: '10.0.0.1',
    ports: [{ container_port: 8080, host_port: 61000 + index }],
    state: 'RUNNING',
    crash_count: 0,
    since,
    modification_tag: { epoch: 'e', index: 2 },
    presence: 'ORDINARY',
  })));
  return { cells, desired, actuals };
}

/** The same rows as a static table: what Chromium alone needs to paint them. */
function staticTable(title: string, header: string[], rows: string[][]): string {
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><table><thead><tr>${header.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>` +
    `<script>requestAnimationFrame(() => setTimeout(() => (window.__painted = performance.now())));</script></body></html>`;
}

async function stubGateway() {
  const { cells, desired, actuals } = cluster();
  const byCell = new Map<string, number>();
  for (const a of actuals) byCell.set(a.cell_id, (byCell.get(a.cell_id) ?? 0) + 1);
  const rawLrps = staticTable('lrps', ['process guid', 'domain', 'running / desired', 'crashed', 'unplaced', 'memory'], desired.map((d) => [d.process_guid, d.domain, '2 / 2', '', '', `${d.memory_mb} MB`]));
  const rawCells = staticTable('cells', ['cell', 'zone', 'memory', 'disk', 'containers', 'instances'], cells.map((c) => [c.cell_id, c.zone!, `${c.capacity.memory_mb - c.available_resources.memory_mb}/${c.capacity.memory_mb}`, `${c.capacity.disk_mb - c.available_resources.disk_mb}/${c.capacity.disk_mb}`, `${c.capacity.containers - c.available_resources.containers}/${c.capacity.containers}`, `${byCell.get(c.cell_id) ?? 0} RUNNING`]));
  // prepared once, as a node's listing is one JSON.stringify of its rows
  const prepared = (value: unknown) => {
    const text = JSON.stringify(value);
    return () => text;
  };
  return startConsoleStub({
    answers: {
      '/v1/ping': prepared({ available: true }),
      '/v1/desired_lrps': prepared(desired),
      '/v1/actual_lrps': prepared(actuals),
      '/v1/tasks': prepared([]),
      '/v1/cells': prepared(cells),
      '/v1/members': prepared([{ name: 'control', roles: ['control'], address: '127.0.0.1:7777', status: 'up', incarnation: 1, last_heartbeat: null, up_since: Date.now() * 1e6, self: true }]),
    },
    routes: (app) => {
      app.get('/raw/lrps.html', (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(rawLrps));
      app.get('/raw/cells.html', (_request, reply) => reply.header('content-type', 'text/html; charset=utf-8').send(rawCells));
    },
  });
}

/** Marks, in the page, the frame after `selector` first matches (performance.now(), from navigation). */
const WATCH = (selector: string) => `
  window.__painted = undefined;
  const check = () => {
    if (window.__seen || !document.querySelector(${JSON.stringify(selector)})) return;
    window.__seen = true;
    requestAnimationFrame(() => setTimeout(() => (window.__painted = performance.now())));
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
`;

async function firstPaint(chromium: HeadlessBrowser, url: string, selector: string | undefined, shot?: string): Promise<number> {
  const page = await chromium.page({ width: 1400, height: 900 });
  try {
    if (selector) await page.addInitScript(WATCH(selector));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { __painted?: number }).__painted !== undefined, undefined, { timeout: 60_000 });
    const ms = await page.evaluate(() => (globalThis as unknown as { __painted: number }).__painted);
    if (process.env.BENCH_TRACE === '1') {
      const entries = await page.evaluate(() => (globalThis as any).performance.getEntriesByType('resource').map((e: any) => `${e.name.replace(/^http:[^/]+\/\/[^/]+/, '')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`));
      process.stderr.write(`${url} painted ${Math.round(ms)}\n  ${entries.join('\n  ')}\n`);
    }
    if (shot) await chromium.screenshot(page, shot);
    if (page.errors.length > 0) throw new Error(`page errors: ${page.errors.join('; ')}`);
    return ms;
  } finally {
    await page.context().close();
  }
}

export async function main(): Promise<void> {
  const missing = browserMissing();
  if (missing) throw new Error(missing);
  const gateway = await stubGateway();
  const chromium = await launchBrowser();
  const samples = { lrps: [] as number[], cluster: [] as number[], rawLrps: [] as number[], rawCells: [] as number[] };
  try {
    // the LRP list counts every LRP once every instance is in: `data-rows` is the filtered count
    const lrpList = `[data-testid=lrps][data-rows="${LRPS}"] [data-testid=lrp-row]`;
    const cellMap = `[data-testid=cells][data-rows="${CELLS + ZONES.length}"] [data-testid=cell]`;
    // a first navigation warms Chromium itself up (its first page pays for starting its renderer): not counted
    await firstPaint(chromium, `${gateway.url}/#/lrps`, lrpList);
    await firstPaint(chromium, `${gateway.url}/raw/cells.html`, undefined);
    for (let run = 0; run < RUNS; run++) {
      const last = run === RUNS - 1;
      samples.lrps.push(await firstPaint(chromium, `${gateway.url}/#/lrps`, lrpList, last ? 'bench-lrps' : undefined));
      samples.cluster.push(await firstPaint(chromium, `${gateway.url}/#/cluster`, cellMap, last ? 'bench-cluster' : undefined));
      samples.rawLrps.push(await firstPaint(chromium, `${gateway.url}/raw/lrps.html`, undefined));
      samples.rawCells.push(await firstPaint(chromium, `${gateway.url}/raw/cells.html`, undefined));
      process.stderr.write(`run ${run + 1}: lrps ${round(samples.lrps.at(-1)!)} ms (raw ${round(samples.rawLrps.at(-1)!)}), cluster ${round(samples.cluster.at(-1)!)} ms (raw ${round(samples.rawCells.at(-1)!)})\n`);
    }
    if (process.env.BENCH_DOCS_SCREENSHOT === '1') {
      const page = await chromium.page({ width: 1400, height: 800 });
      await page.goto(`${gateway.url}/#/cluster`);
      await page.locator('[data-testid=cell]').first().waitFor();
      const shot = await chromium.screenshot(page, 'docs-console');
      copyFileSync(shot, fileURLToPath(new URL('../../docs/console.png', import.meta.url)));
      await page.context().close();
    }
  } finally {
    await chromium.close();
    await gateway.close();
  }
  const lrps = median(samples.lrps);
  const cells = median(samples.cluster);
  const rawLrps = median(samples.rawLrps);
  const rawCells = median(samples.rawCells);
  process.stdout.write(`${JSON.stringify({
    bench: 'console-render',
    value: round(Math.max(lrps, cells)),
    unit: 'ms',
    target_ms: 1000,
    lrps: LRPS,
    instances: LRPS * 2,
    cells: CELLS,
    lrp_list_ms: round(lrps),
    cluster_ms: round(cells),
    raw_lrp_table_ms: round(rawLrps),
    raw_cell_table_ms: round(rawCells),
    ratio_lrps: Number((rawLrps / lrps).toFixed(3)),
    ratio_cluster: Number((rawCells / cells).toFixed(3)),
    runs: RUNS,
    samples: { lrps: samples.lrps.map(round), cluster: samples.cluster.map(round), raw_lrps: samples.rawLrps.map(round), raw_cells: samples.rawCells.map(round) },
  })}\n`);
}
