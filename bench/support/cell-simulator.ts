/**
 * Many simulated cells in one process, for `npm run bench -- scale` (Diego's 1000 simulated
 * cells): `node dist/bench/support/cell-simulator.js --cells N --join HOST:PORT`, with
 * AUCTOR_CLUSTER_SECRET in the environment. One actor system and one cluster member (`--name`,
 * role `cell`) on the real gRPC remoting, joined to the control node through `--join`; N real
 * cell actors (src/actors/cell.ts) under its root, each on its own fake Garden backend whose
 * processes run until stopped, at the default cell settings (heartbeat 1 s). Each cell's
 * presence gives this node's remoting address as its `rep_address`, which is how the control
 * node reaches it (cellRouting, src/cli/start-cluster.ts). One report forwarder carries every
 * cell's reports to the control node of the moment.
 *
 * Several of these processes can share the cells (`--first`: the number of this process's first
 * cell, so cell ids stay `sim-0000` … across them; bench/support/scale-cluster.ts).
 *
 * stdout, one JSON line each: `{"event":"ready",...}` once joined; on each `stats` line read
 * from stdin, `{"event":"stats","creates":...,"destroys":...,"containers":...}` (container
 * creates and destroys since start, containers held now), with this process's memory
 * (`rss_bytes`, `heap_bytes`), its remoting counters (`sent`, `received`, `dropped` envelopes)
 * and the wire sizes of what its cells send the control node: `state_bytes`, every cell's
 * auction-time state as the remoting encodes it (what one auction round reads from this
 * process), `max_state_bytes` and `max_list_bytes` (the largest cell's state and container
 * list), `max_cell_containers`. Logs (warnings) go to stderr.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/base/logger.js';
import { spawnCell } from '../../src/actors/cell.js';
import { CellMsg, type CellReport } from '../../src/actors/cell.protocol.js';
import type { CellState } from '../../src/models/cell-state.js';
import { encodeBody } from '../../src/runtime/remoting/remote-codec.js';
import { controlNode, spawnControlLink } from '../../src/actors/control-link.js';
import { DEFAULT_CELL_SETTINGS } from '../../src/actors/node.js';
import type { Container, ContainerSpec } from '../../src/garden/backend.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import { ClusterNode } from '../../src/runtime/cluster/cluster-node.js';
import type { KernelRef, Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { startRemoting } from '../../src/runtime/remoting/grpc-remoting.js';
import { SCALE_ROOTFS } from './scale-mix.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'cellsim' },
    cells: { type: 'string', default: '1000' },
    first: { type: 'string', default: '0' },
    join: { type: 'string' },
    zones: { type: 'string', default: '3' },
    'memory-mb': { type: 'string', default: String(64 * 1024) },
    'disk-mb': { type: 'string', default: String(256 * 1024) },
    containers: { type: 'string', default: '400' },
  },
});
if (!values.join) throw new Error('--join HOST:PORT (the control node) is required');

const counts = { creates: 0, destroys: 0 };

/** A fake backend that counts container creates and destroys (restarted instances show as creates). */
class CountingBackend extends FakeBackend {
  override async create(spec: ContainerSpec, signal?: AbortSignal): Promise<Container> {
    const container = await super.create(spec, signal);
    counts.creates++;
    return container;
  }

  override async destroy(handle: string, signal?: AbortSignal): Promise<void> {
    await super.destroy(handle, signal);
    counts.destroys++;
  }
}

const name = values.name!;
const log = createLogger({ base: { node: name }, level: process.env.AUCTOR_LOG_LEVEL ?? 'warn', destination: process.stderr });
const remoting = await startRemoting({
  self: { name, incarnation: Date.now() },
  listen: { host: '127.0.0.1', port: 0 },
  ...(process.env.AUCTOR_CLUSTER_SECRET ? { secret: process.env.AUCTOR_CLUSTER_SECRET } : {}),
  log,
});
const system = ActorSystem.start({ name, logger: log });
const cluster = new ClusterNode({
  system, remoting, roles: ['cell'], seeds: [values.join], heartbeatMs: DEFAULT_CELL_SETTINGS.heartbeatMs, memberTtlMs: 5_000, log,
}).start();

const cells: Array<Ref<CellMsg>> = [];
const backends: CountingBackend[] = [];
// once a control node hears from this node (again), every cell lists its containers to it
const link = spawnControlLink(system, { controlNode: () => controlNode(cluster), onControlReached: () => cells.forEach((cell) => system.dispatch(cell, CellMsg.reconcile())) });
/** the largest container list a cell sent, encoded as the remoting sends it */
let maxListBytes = 0;
const codecContext = { node: name, incarnation: remoting.self.incarnation, lookup: () => undefined, root: system.root as unknown as KernelRef };
const reports = system.spawnStateless<CellReport>(system.root, {
  kind: 'report-meter',
  name: 'report-meter',
  // a presence heartbeat is not measured: it goes on at once, not behind the lists being encoded
  onArrival: (report) => report.type === 'cell-report/heartbeat' && (system.dispatch(link, report), true),
  handle: (report) => {
    if (report.type === 'cell-report/containers') maxListBytes = Math.max(maxListBytes, encodeBody(report, codecContext, true).length);
    system.dispatch(link, report);
  },
});
const capacity = { memoryMb: Number(values['memory-mb']), diskMb: Number(values['disk-mb']), containers: Number(values.containers) };
const first = Number(values.first);
for (let i = first; i < first + Number(values.cells); i++) {
  const cellId = `sim-${String(i).padStart(4, '0')}`;
  const backend = new CountingBackend({ capacity, rootfses: [SCALE_ROOTFS, 'docker'], dataDir: `/fake-garden/${cellId}` });
  backends.push(backend);
  cells.push(spawnCell(system, system.root, {
    cellId, zone: `z${(i % Number(values.zones)) + 1}`, placementTags: [], optionalPlacementTags: [],
    backend, reports, settings: DEFAULT_CELL_SETTINGS, repAddress: remoting.self.address,
  }));
}

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
await cluster.joined();
print({ event: 'ready', address: remoting.self.address, cells: cells.length });

/** Each cell's auction-time state, encoded as the remoting sends it: together, what one auction round reads from this process. */
async function wireSizes(): Promise<{ state_bytes: number; max_state_bytes: number; max_list_bytes: number }> {
  let total = 0;
  let maxState = 0;
  for (const cell of cells) {
    const state = await system.query<CellMsg, CellState>(cell, CellMsg.state, 30_000);
    const bytes = encodeBody(state, codecContext).length;
    total += bytes;
    maxState = Math.max(maxState, bytes);
  }
  return { state_bytes: total, max_state_bytes: maxState, max_list_bytes: maxListBytes };
}

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() !== 'stats') return;
  const held = await Promise.all(backends.map((b) => b.containers().then((c) => c.length)));
  const { rss, heapUsed } = process.memoryUsage();
  const { sent, received, dropped } = remoting.stats();
  print({
    event: 'stats', ...counts, containers: held.reduce((a, b) => a + b, 0), max_cell_containers: Math.max(0, ...held),
    rss_bytes: rss, heap_bytes: heapUsed, sent, received, dropped, ...(await wireSizes()),
  });
});
// the bench ends this process (SIGKILL); stdin closing means the bench is gone
process.stdin.on('end', () => process.exit(0));
