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
 * stdout, one JSON line each: `{"event":"ready",...}` once joined; on each `stats` line read
 * from stdin, `{"event":"stats","creates":...,"destroys":...,"containers":...}` (container
 * creates and destroys since start, containers held now). Logs (warnings) go to stderr.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../../src/base/logger.js';
import { spawnCell } from '../../src/actors/cell.js';
import { CellMsg } from '../../src/actors/cell.protocol.js';
import { controlNode, spawnControlLink } from '../../src/actors/control-link.js';
import { DEFAULT_CELL_SETTINGS } from '../../src/actors/node.js';
import type { Container, ContainerSpec } from '../../src/garden/backend.js';
import { FakeBackend } from '../../src/garden/fake/fake-backend.js';
import { ClusterNode } from '../../src/runtime/cluster/cluster-node.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { startRemoting } from '../../src/runtime/remoting/grpc-remoting.js';
import { SCALE_ROOTFS } from './scale-mix.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'cellsim' },
    cells: { type: 'string', default: '1000' },
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
const reports = spawnControlLink(system, { controlNode: () => controlNode(cluster), onControlReached: () => cells.forEach((cell) => system.dispatch(cell, CellMsg.reconcile())) });
const capacity = { memoryMb: Number(values['memory-mb']), diskMb: Number(values['disk-mb']), containers: Number(values.containers) };
for (let i = 0; i < Number(values.cells); i++) {
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

createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line.trim() !== 'stats') return;
  const held = await Promise.all(backends.map((b) => b.containers().then((c) => c.length)));
  print({ event: 'stats', ...counts, containers: held.reduce((a, b) => a + b, 0) });
});
// the bench ends this process (SIGKILL); stdin closing means the bench is gone
process.stdin.on('end', () => process.exit(0));
