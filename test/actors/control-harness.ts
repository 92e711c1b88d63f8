/** Starts a control subtree on a fresh actor system with fake cells, a memory engine and a fake clock. */
import { Writable } from 'node:stream';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { createLogger } from '../../src/base/logger.js';
import { startControl, type Control } from '../../src/actors/control.js';
import type { ControlSettings } from '../../src/actors/control-deps.js';
import { EventHub } from '../../src/actors/event-hub.js';
import type { AuctorEvent } from '../../src/models/events.js';
import { MemoryPersistenceEngine } from '../../src/runtime/persistence/memory-engine.js';
import type { PersistenceEngine } from '../../src/runtime/persistence/engine.js';
import { expect } from 'chai';
import { FakeCells, FAKE_ROOTFS, type FakeCell } from '../support/fake-cells.js';
import { eventually } from '../support/eventually.js';
import { FakeClock } from '../support/fake-clock.js';

let systems = 0;

export interface Harness {
  system: ActorSystem;
  control: Control;
  cells: FakeCells;
  clock: FakeClock;
  engine: PersistenceEngine;
  events: AuctorEvent[];
  /** stops the actor system and starts a new one on the same engine, cells and clock */
  restart(): Promise<Harness>;
  stop(): Promise<void>;
}

export function startHarness(
  settings: Partial<ControlSettings> = {},
  shared: { engine?: PersistenceEngine; cells?: FakeCells; clock?: FakeClock; logs?: LogLine[]; betweenSlices?: () => Promise<void> } = {},
): Harness {
  const engine = shared.engine ?? new MemoryPersistenceEngine();
  const clock = shared.clock ?? new FakeClock();
  const cells = shared.cells ?? new FakeCells();
  const logs = shared.logs;
  const logger = logs ? createLogger({ level: 'info', destination: collectLines(logs) }) : undefined;
  const system = ActorSystem.start({ name: `control-test-${systems++}`, engine, clock, ...(logger ? { logger } : {}) });
  const hub = new EventHub();
  const events: AuctorEvent[] = [];
  hub.events$.subscribe((e) => events.push(e));
  let guids = 0;
  const control = startControl(system, { clientFor: cells.clientFor, events: hub, settings, newGuid: () => `g-${systems}-${++guids}`,
    ...(shared.betweenSlices ? { betweenSlices: shared.betweenSlices } : {}) });
  cells.connect((r) => control.report(r));
  const h: Harness = {
    system, control, cells, clock, engine, events,
    async restart() {
      await system.shutdown();
      return startHarness(settings, { engine, cells, clock, ...(logs ? { logs } : {}) });
    },
    async stop() {
      await system.shutdown();
    },
  };
  return h;
}

/** A log line the harness collected (pino's JSON): `msg` is the event name. */
export type LogLine = Record<string, unknown> & { msg: string };

function collectLines(into: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) into.push(JSON.parse(line) as LogLine);
      done();
    },
  });
}

export function lrpJson(process_guid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    process_guid,
    domain: 'apps',
    rootfs: FAKE_ROOTFS,
    instances: 3,
    memory_mb: 256,
    disk_mb: 256,
    ports: [8080],
    action: { run: { path: '/bin/app', user: 'vcap' } },
    ...overrides,
  };
}

export function types(events: AuctorEvent[]): string[] {
  return events.map((e) => e.type);
}

/** `lrps` LRPs (`app-<i>`) of `instances` each, every instance RUNNING on the given cells. */
export async function runOn(h: Harness, cells: FakeCell[], lrps: number, instances: number): Promise<void> {
  cells.forEach((c) => c.heartbeat());
  await eventually(async () => expect(await h.control.cells()).to.have.length(cells.length));
  await Promise.all(Array.from({ length: lrps }, (_, i) => h.control.desireLrp(lrpJson(`app-${i}`, { instances, memory_mb: 32, disk_mb: 32 }))));
  await eventually(() => expect(cells.reduce((n, c) => n + c.lrps.size, 0)).to.equal(lrps * instances), { timeout: 30_000 });
  cells.forEach((c) => c.startAll());
  await eventually(async () => expect((await h.control.actualLrps({})).filter((r) => r.state === 'RUNNING')).to.have.length(lrps * instances), { timeout: 30_000 });
}
