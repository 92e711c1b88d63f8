/**
 * `GET /v1/actual_lrps` over every row of a query index of INSTANCES rows (default 250 000,
 * Diego's mix as in bench/index.ts), through the gateway (`buildGateway` over a control that
 * answers from the index), against the raw limit in the same run: `JSON.stringify` of the same
 * rows and a bare node http server sending the very same bytes.
 * - `value` (median of RUNS, default 3): ms from the request to the last byte at the client;
 * - `raw_http_ms`: the bare server sending the prepared bytes, `ratio` = raw / value;
 * - `with_parse_ms`: `value` plus the client's `JSON.parse` (`parse_ms`): what the scale bench's
 *   `list_all_ms` counts (its client parses the body as it ends);
 * - `list_ms`: `actualLrps()`, `stringify_ms`: `JSON.stringify` of its rows (the server's CPU
 *   a one-shot body costs), `schema_serializer_ms`: fastify's default serializer compiled from
 *   the route's response schema (fast-json-stringify; the gateway does not use it), and whether
 *   its bytes are JSON.stringify's;
 * - `stall_ms`: the longest the server's event loop was held during the listing,
 *   `ping_max_ms`: the longest a `GET /v1/ping` sent meanwhile (every 5 ms) waited.
 * The client runs in a worker thread (bench/support/list-client.ts), so its reading and parsing
 * are not counted as the server's stalls.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import fastJson from 'fast-json-stringify';
import type { Control } from '../src/actors/control.js';
import { EventHub } from '../src/actors/event-hub.js';
import { QueryIndex } from '../src/actors/query-index.js';
import { silentLogger } from '../src/base/logger.js';
import { MODEL_SCHEMAS } from '../src/models/schemas.js';
import { buildGateway } from '../src/gateway/server.js';
import type { ActorSystem } from '../src/runtime/kernel/system.js';
import { appEvents } from './index.js';
import type { ListResult } from './support/list-client.js';
import { scaleMix } from './support/scale-mix.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 250_000);
const RUNS = Number(process.env.RUNS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

function timed<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

/** The longest gap between 2 ms ticks, less the 2 ms, while `during` runs. */
async function longestStall<T>(during: () => Promise<T>): Promise<[T, number]> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 2);
    last = now;
  }, 2);
  try {
    return [await during(), longest];
  } finally {
    clearInterval(tick);
  }
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export async function main(): Promise<void> {
  const apps = scaleMix(INSTANCES);
  const index = new QueryIndex();
  for (let a = 0, n = 0; a < apps.length; n += apps[a]!.instances, a++) {
    for (const e of appEvents(apps[a]!, n)) {
      if (e.type === 'desired_lrp_created') index.reserve(e.data.desired_lrp.process_guid);
      index.onEvent(e);
    }
  }
  if (index.size().rows !== INSTANCES) throw new Error(`the index holds ${index.size().rows} rows, not ${INSTANCES}`);
  process.stderr.write(`list: index of ${INSTANCES} rows built\n`);

  const control = {
    actualLrps: async (filter = {}) => index.actualLrps(filter),
    lrps: async (filter = {}) => index.desiredLrps(filter),
    tasks: async (filter = {}) => index.tasks(filter),
  } as unknown as Control;
  const gateway = buildGateway({ node: 'bench', control, system: {} as ActorSystem, log: silentLogger(), events: new EventHub() });
  const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' });

  const bytes = Buffer.from(JSON.stringify(index.actualLrps()));
  const raw = createServer((req, res) => {
    if (req.url === '/v1/ping') return res.end('{"available":true}');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
    res.end(bytes);
  });
  const rawUrl = await listen(raw);

  const client = new Worker(new URL('./support/list-client.js', import.meta.url));
  const fetchList = (base: string) =>
    new Promise<ListResult>((resolve, reject) => {
      client.once('message', (m: ListResult & { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      client.postMessage({ url: `${base}/v1/actual_lrps`, pingUrl: `${base}/v1/ping` });
    });

  // fastify's default: a serializer compiled from the response schema (the gateway turns it off)
  const schemaSerializer = fastJson({ components: { schemas: MODEL_SCHEMAS }, type: 'array', items: { $ref: '#/components/schemas/ActualLRP' } } as never);
  const schemaRuns = [0, 1, 2].map(() => {
    const rows = index.actualLrps();
    return timed(() => schemaSerializer(rows));
  });
  const schemaMs = median(schemaRuns.map((r) => r[1]));
  const schemaBytesEqual = schemaRuns[0]![0] === bytes.toString('utf8');
  schemaRuns.length = 0;

  const runs: { gateway: ListResult; stall: number; raw: ListResult; list: number; stringify: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    const [rows, list] = timed(() => index.actualLrps());
    const [, stringify] = timed(() => JSON.stringify(rows));
    const [viaGateway, stall] = await longestStall(() => fetchList(gatewayUrl));
    if (viaGateway.status !== 200 || viaGateway.rows !== INSTANCES || viaGateway.bytes !== bytes.length) {
      throw new Error(`gateway answered ${viaGateway.status} with ${viaGateway.rows} rows in ${viaGateway.bytes} B (raw: ${bytes.length} B)`);
    }
    const viaRaw = await fetchList(rawUrl);
    runs.push({ gateway: viaGateway, stall, raw: viaRaw, list, stringify });
    process.stderr.write(`list: run ${r + 1}: gateway ${round(viaGateway.total_ms)} ms (first byte ${round(viaGateway.first_byte_ms)}, stall ${round(stall)}, ping max ${round(viaGateway.ping_max_ms)}), raw ${round(viaRaw.total_ms)} ms\n`);
  }
  await client.terminate();
  await gateway.close();
  raw.close();

  const value = median(runs.map((r) => r.gateway.total_ms));
  const rawMs = median(runs.map((r) => r.raw.total_ms));
  process.stdout.write(`${JSON.stringify({
    bench: 'list',
    value: round(value),
    unit: 'ms for GET /v1/actual_lrps of every row, request to last byte at the client (median)',
    instances: INSTANCES,
    body_mb: round(bytes.length / 1e6),
    raw_http_ms: round(rawMs),
    ratio: round(rawMs / value, 3),
    first_byte_ms: round(median(runs.map((r) => r.gateway.first_byte_ms))),
    list_ms: round(median(runs.map((r) => r.list))),
    stringify_ms: round(median(runs.map((r) => r.stringify))),
    with_parse_ms: round(median(runs.map((r) => r.gateway.total_ms + r.gateway.parse_ms))),
    parse_ms: round(median(runs.map((r) => r.gateway.parse_ms))),
    schema_serializer_ms: round(schemaMs),
    schema_bytes_equal: schemaBytesEqual,
    stall_ms: round(median(runs.map((r) => r.stall))),
    ping_max_ms: round(median(runs.map((r) => r.gateway.ping_max_ms))),
    raw_ping_max_ms: round(median(runs.map((r) => r.raw.ping_max_ms))),
  })}\n`);
}
