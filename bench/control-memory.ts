/**
 * Heap a control node holds per LRP instance: the control subtree (src/actors) on LMDB,
 * INSTANCES instances of bench/auction-pure.ts's mix desired through `control.desireLrp` and
 * placed on 100 stub cells that claim and run each one at once (no cell actors, no containers:
 * only the control side's memory counts). Measured after full GCs, as the heap added since before
 * the first desire, twice: once every instance is RUNNING (`running_kb`: some are passive already
 * when the fill outlasts the idle time) and, the value, once every instance has been idle for
 * `instanceIdleMs` (BENCH_IDLE_MS, default 1000) and is passive, and so is every LRP supervisor
 * (`supervisorIdleMs`, the same): what the node holds for an idle
 * fleet. Nothing lists the instances meanwhile (a listing, or a convergence pass, asks each one
 * and so activates it; the default convergence interval, 30 s, does not come round in the run).
 * BENCH_IDLE_MS=0 never passivates (and does not wait): every instance stays active, the design
 * before virtual instances plus what the index costs.
 *
 * `limit`: bare nact persistent actors on LMDB, one per instance, each holding that instance's
 * RUNNING row as its state: the least one persisted actor per instance can cost. `ratio` =
 * limit / value (1 would be no overhead at all).
 *
 * Runs itself again in a child process with --expose-gc when `gc` is not exposed (exact heap
 * figures need full collections). Env: BENCH_INSTANCES (default 20 000), BENCH_IDLE_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nact } from './support/bare-nact.js';
import { ActorSystem } from '../src/runtime/kernel/system.js';
import { startControl } from '../src/actors/control.js';
import { EventHub } from '../src/actors/event-hub.js';
import type { CellClient, CellReport, Work } from '../src/actors/cell.protocol.js';
import { cellStateOf, type CellPresence, type CellStateLrp } from '../src/models/cell-state.js';
import { newUnclaimedActualLrp, claimActualLrp, startActualLrp, type ActualLRP } from '../src/models/actual-lrp.js';
import { LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { mix } from './auction-pure.js';
import { gc, rerunWithGc } from './support/expose-gc.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 20_000);
const CELLS = 100;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 1000);
const NEVER = 2 ** 31 - 1;
const ROOTFS = 'preloaded:cflinuxfs4';


const heapUsed = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tempDir = () => mkdtempSync(join(tmpdir(), 'auctor-bench-memory-'));

/** A cell stub: answers states from what it holds; claims and runs every instance it is given at once. */
function stubCell(cellId: string, zone: string, report: (r: CellReport) => void): { client: CellClient; presence: CellPresence } {
  const presence: CellPresence = {
    cell_id: cellId, rep_address: '', rep_url: '', zone,
    capacity: { memory_mb: 10_000_000, disk_mb: 10_000_000, containers: 100_000 },
    rootfs_providers: [ROOTFS], placement_tags: [], optional_placement_tags: [],
  };
  const lrps: CellStateLrp[] = [];
  const client: CellClient = {
    cellId,
    state: async () => cellStateOf(presence, { lrps }),
    perform: async (work: Work) => {
      for (const { desired, index, instance_guid } of work.lrps) {
        lrps.push({ process_guid: desired.process_guid, index, memory_mb: desired.memory_mb, disk_mb: desired.disk_mb });
        const key = { cell_id: cellId, process_guid: desired.process_guid, index, instance_guid };
        report({ type: 'cell-report/lrp-claimed', ...key });
        report({ type: 'cell-report/lrp-running', ...key, address: '10.0.0.1', ports: [{ container_port: 8080, host_port: 61000 + index }] });
      }
      return { failedLrps: [], failedTasks: [] };
    },
    stopInstance: () => undefined,
    cancelTask: () => undefined,
    deleteTask: () => undefined,
    evacuate: async () => ({ ...presence, evacuating: true }),
  };
  return { client, presence };
}

/** Heap per instance of the control side with every instance RUNNING, and its actor count. */
async function controlSide(): Promise<{ bytes: number; runningBytes: number; actors: number; apps: number; active: number; passive: number; supervisors_active: number }> {
  const dir = tempDir();
  const engine = LmdbPersistenceEngine.open(dir, { mapSize: 8 * 1024 ** 3 });
  const system = ActorSystem.start({ name: `bench-memory-${process.pid}`, engine });
  const hub = new EventHub();
  let running = 0;
  hub.events$.subscribe((e) => {
    if (e.type === 'actual_lrp_instance_changed' && e.data.after.state === 'RUNNING') running++;
  });
  const clients = new Map<string, CellClient>();
  const control = startControl(system, {
    clientFor: (id) => clients.get(id),
    events: hub,
    settings: { askTimeoutMs: 600_000, cellStateTimeoutMs: 60_000, performTimeoutMs: 120_000, auctionBatchWindowMs: 100, instanceIdleMs: IDLE_MS > 0 ? IDLE_MS : NEVER, supervisorIdleMs: IDLE_MS > 0 ? IDLE_MS : NEVER },
  });
  try {
    for (let i = 0; i < CELLS; i++) {
      const id = `cell-${String(i).padStart(3, '0')}`;
      const { client, presence } = stubCell(id, `z${(i % 3) + 1}`, (r) => control.report(r));
      clients.set(id, client);
      control.report({ type: 'cell-report/heartbeat', presence });
    }
    while ((await control.cells()).length < CELLS) await settle(20);
    const apps = new Map<string, { instances: number; memory_mb: number }>();
    for (const r of mix(INSTANCES, 1, 'app')) {
      const app = apps.get(r.process_guid) ?? { instances: 0, memory_mb: r.memory_mb };
      app.instances++;
      apps.set(r.process_guid, app);
    }
    const heap0 = heapUsed();
    const actors0 = system.registry.size;
    const queue = [...apps];
    await Promise.all(Array.from({ length: 256 }, async () => {
      for (let next = queue.pop(); next; next = queue.pop()) {
        const [guid, app] = next;
        const result = await control.desireLrp({
          process_guid: guid, domain: 'bench', rootfs: ROOTFS, instances: app.instances, memory_mb: app.memory_mb, disk_mb: app.memory_mb,
          ports: [8080], action: { run: { path: '/bin/app', user: 'vcap' } },
        });
        if (!result.ok) throw result.error;
      }
    }));
    while (running < INSTANCES) await settle(50);
    await settle(200);
    const runningBytes = (heapUsed() - heap0) / INSTANCES;
    // every instance idle for IDLE_MS: the sweeps passivate them (within 2 × IDLE_MS), then their
    // supervisors (within 2 × IDLE_MS more); a passive supervisor's instances are all passive
    const counts = () => {
      const active = [...apps.keys()].reduce((sum, guid) => sum + (system.virtualChildrenOf(`/control/lrps/${guid}`)?.counts().active ?? 0), 0);
      const supervisors = system.virtualChildrenOf('/control/lrps')?.counts().active ?? apps.size;
      return { active, passive: INSTANCES - active, supervisors_active: supervisors };
    };
    for (const waitUntil = Date.now() + 4 * IDLE_MS + 5000; IDLE_MS > 0 && (counts().active > 0 || counts().supervisors_active > 0) && Date.now() < waitUntil;) await settle(100);
    await settle(200);
    return { bytes: (heapUsed() - heap0) / INSTANCES, runningBytes, actors: system.registry.size - actors0, apps: apps.size, ...counts() };
  } finally {
    await system.shutdown();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Heap per bare nact persistent actor holding one RUNNING row as its state. */
async function bareActors(): Promise<number> {
  const dir = tempDir();
  const engine = LmdbPersistenceEngine.open(dir, { mapSize: 4 * 1024 ** 3 });
  const system = nact.start(nact.configurePersistence(engine));
  try {
    const rows: ActualLRP[] = Array.from({ length: INSTANCES }, (_, i) => {
      const now = 1_700_000_000_000_000_000 + i;
      const unclaimed = newUnclaimedActualLrp({ process_guid: `app-${i}-8c6f3b2e-3a1d-4f5e`, index: i % 4, domain: 'bench' }, now, { epoch: `epoch-${i}`, index: 0 });
      const key = { instance_guid: `instance-${i}-5e7f9a1b`, cell_id: `cell-${String(i % CELLS).padStart(3, '0')}` };
      const claimed = claimActualLrp(unclaimed, key, now);
      if (!claimed.ok) throw claimed.error;
      const started = startActualLrp(claimed.value, key, { address: '10.0.0.1', ports: [{ container_port: 8080, host_port: 61000 + (i % 4) }] }, now);
      if (!started.ok) throw started.error;
      return started.value;
    });
    let held = 0;
    const heap0 = heapUsed();
    rows.forEach((row, i) => {
      const actor = nact.spawnPersistent(system, (state: ActualLRP | undefined, msg: ActualLRP, ctx: { recovering?: boolean }) => {
        if (!ctx.recovering) held++;
        return msg ?? state;
      }, `actual-lrp/${i}`, `i${i}`);
      nact.dispatch(actor, row);
    });
    rows.length = 0;
    while (held < INSTANCES) await settle(20);
    return (heapUsed() - heap0) / INSTANCES;
  } finally {
    nact.stop(system);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  if (rerunWithGc('control-memory')) return;
  const limit = await bareActors();
  const control = await controlSide();
  const kb = (bytes: number) => Number((bytes / 1024).toFixed(2));
  process.stdout.write(`${JSON.stringify({
    bench: 'control-memory',
    value: kb(control.bytes),
    unit: 'KB heap per instance (control side, every instance RUNNING and idle for instanceIdleMs)',
    running_kb: kb(control.runningBytes),
    idle_ms: IDLE_MS,
    active: control.active,
    passive: control.passive,
    supervisors_active: control.supervisors_active,
    limit: kb(limit),
    ratio: Number((limit / control.bytes).toFixed(3)),
    instances: INSTANCES,
    apps: control.apps,
    actors: control.actors,
    kb_per_actor: kb((control.bytes * INSTANCES) / control.actors),
    means: 'limit: a bare nact persistent actor holding one RUNNING row as its state; actors: live ones (LRP supervisors and active instances)',
  })}\n`);
}
