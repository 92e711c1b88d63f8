/**
 * Events/s persisted through nact persistent actors on the LMDB engine (`value`: spawned through
 * Auctor's kernel, as Auctor's actors are; `value_bare_nact`: nact's spawnPersistent directly),
 * against raw lmdb-js puts
 * of the same records with the same env options, the same durability wait and the same shape:
 * WRITERS concurrent writers, each awaiting its write before the next. Runs interleave, medians
 * are reported. Also reports raw puts with everything fired at once (`limit_unbounded`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { nact } from './support/bare-nact.js';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS, LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { ActorSystem } from '../src/runtime/kernel/system.js';
import type { Ref } from '../src/runtime/kernel/protocol.js';

const WRITERS = 1000;
const TARGET_EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const RUNS = 3;
const MAX_RUN_MS = 20_000;


type ClaimedEvent = {
  type: 'actual-lrp/claimed';
  process_guid: string;
  index: number;
  cell_id: string;
  instance_guid: string;
  since: number;
};

/** events[w][i]: the i-th ActualLRP state change of writer w (one LRP instance per writer). */
function buildEvents(perWriter: number): ClaimedEvent[][] {
  return Array.from({ length: WRITERS }, (_, w) => {
    const processGuid = `${randomUUID()}-${randomUUID().slice(0, 8)}`;
    return Array.from({ length: perWriter }, (_, i) => ({
      type: 'actual-lrp/claimed' as const,
      process_guid: processGuid,
      index: w % 20,
      cell_id: `cell-z${(w % 3) + 1}-${String(w % 40).padStart(2, '0')}`,
      instance_guid: randomUUID(),
      since: 1_700_000_000_000 + i,
    }));
  });
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'auctor-bench-'));
}

/** Persistent actors on the engine; each message is persisted, then acked to a collector. */
async function throughNact(events: ClaimedEvent[][]): Promise<number> {
  const dir = tempDir();
  const engine = LmdbPersistenceEngine.open(dir);
  const system = nact.start(nact.configurePersistence(engine));
  try {
    const total = events.length * events[0]!.length;
    let acked = 0;
    let allAcked!: () => void;
    const done = new Promise<void>((resolve) => (allAcked = resolve));
    const collector = nact.spawn(system, (state: undefined) => {
      if (++acked === total) allAcked();
      return state;
    });
    type Msg = { type: 'ping'; replyTo: unknown } | { type: 'event'; event: ClaimedEvent };
    const writer = async (count = 0, msg: Msg, ctx: { persist(e: unknown): Promise<void> }) => {
      if (msg.type === 'ping') {
        nact.dispatch(msg.replyTo, count);
        return count;
      }
      await ctx.persist(msg.event);
      nact.dispatch(collector, 1);
      return count + 1;
    };
    const actors = events.map((_, w) => nact.spawnPersistent(system, writer, `actual-lrp/${w}`, `lrp-${w}`));
    // let every actor finish its (empty) recovery before the clock starts
    await Promise.all(actors.map((a) => nact.query(a, (replyTo) => ({ type: 'ping', replyTo }), 10_000)));
    const t0 = performance.now();
    for (const [w, actor] of actors.entries()) {
      for (const event of events[w]!) nact.dispatch(actor, { type: 'event', event });
    }
    await done;
    return total / ((performance.now() - t0) / 1000);
  } finally {
    nact.stop(system);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same workload through Auctor's kernel (src/runtime/kernel): what Auctor's own actors pay. */
async function throughKernel(events: ClaimedEvent[][]): Promise<number> {
  const dir = tempDir();
  const engine = LmdbPersistenceEngine.open(dir);
  const system = ActorSystem.start({ name: `bench-${randomUUID()}`, engine });
  try {
    const total = events.length * events[0]!.length;
    let acked = 0;
    let allAcked!: () => void;
    const done = new Promise<void>((resolve) => (allAcked = resolve));
    type Msg = { type: 'ping'; replyTo: Ref<number> } | { type: 'event'; event: ClaimedEvent };
    const collector = system.spawnStateless<number>(system.root, {
      kind: 'collector',
      name: 'collector',
      handle: () => {
        if (++acked === total) allAcked();
      },
    });
    const actors = events.map((_, w) =>
      system.spawnPersistent<number, Msg, ClaimedEvent>(system.root, {
        kind: 'actual-lrp',
        name: `lrp-${w}`,
        key: `actual-lrp/${w}`,
        initialState: () => 0,
        applyEvent: (count) => count + 1,
        handle: async (count, msg, ctx) => {
          if (msg.type === 'ping') {
            system.dispatch(msg.replyTo, count);
            return count;
          }
          const next = (await ctx.persist(msg.event)) as number;
          system.dispatch(collector, 1);
          return next;
        },
      }),
    );
    await Promise.all(actors.map((a) => system.query<Msg, number>(a, (replyTo) => ({ type: 'ping', replyTo }), 10_000)));
    const t0 = performance.now();
    for (const [w, actor] of actors.entries()) {
      for (const event of events[w]!) system.dispatch(actor, { type: 'event', event });
    }
    await done;
    return total / ((performance.now() - t0) / 1000);
  } finally {
    await system.shutdown();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Flushable = Promise<boolean> & { flushed?: PromiseLike<unknown> };

/** Raw lmdb-js puts of the engine's record shape; `bounded`: WRITERS loops, else all at once. */
async function rawPuts(events: ClaimedEvent[][], bounded: boolean): Promise<number> {
  const dir = tempDir();
  const root = open({ path: dir, ...LMDB_ENV_OPTIONS });
  const db = root.openDB<unknown, [string, number]>('events', LMDB_DB_OPTIONS);
  const put = async (w: number, i: number): Promise<void> => {
    const write = db.put([`actual-lrp/${w}`, i + 1], { d: events[w]![i], c: Date.now() }) as Flushable;
    await write;
    await write.flushed;
  };
  try {
    const total = events.length * events[0]!.length;
    const t0 = performance.now();
    if (bounded) {
      await Promise.all(
        events.map(async (stream, w) => {
          for (let i = 0; i < stream.length; i++) await put(w, i);
        }),
      );
    } else {
      await Promise.all(events.flatMap((stream, w) => stream.map((_, i) => put(w, i))));
    }
    return total / ((performance.now() - t0) / 1000);
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number): number => Math.round(x);

export async function main(): Promise<void> {
  let perWriter = Math.max(1, Math.round(TARGET_EVENTS / WRITERS));
  const engineRates: number[] = [];
  const rawRates: number[] = [];
  const unboundedRates: number[] = [];
  const kernelRates: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const events = buildEvents(perWriter);
    const total = WRITERS * perWriter;
    const t0 = performance.now();
    const e = await throughNact(events);
    const elapsed = performance.now() - t0;
    engineRates.push(e);
    log(`run ${run}/${RUNS}: nact+engine ${round(e)} events/s (${total} events)`);
    const k = await throughKernel(events);
    kernelRates.push(k);
    log(`run ${run}/${RUNS}: kernel+engine ${round(k)} events/s`);
    const l = await rawPuts(events, true);
    rawRates.push(l);
    log(`run ${run}/${RUNS}: raw lmdb, ${WRITERS} writers ${round(l)} puts/s`);
    const u = await rawPuts(events, false);
    unboundedRates.push(u);
    log(`run ${run}/${RUNS}: raw lmdb, all at once ${round(u)} puts/s`);
    if (elapsed > MAX_RUN_MS) perWriter = Math.max(1, Math.floor((perWriter * MAX_RUN_MS) / elapsed));
  }
  // value: through Auctor's kernel, the path Auctor's own actors take; bare nact is reported beside it
  const value = median(kernelRates);
  const limit = median(rawRates);
  const result = {
    bench: 'persistence',
    value: round(value),
    unit: 'events/s',
    limit: round(limit),
    ratio: Number((value / limit).toFixed(3)),
    limit_unbounded: round(median(unboundedRates)),
    value_bare_nact: round(median(engineRates)),
    ratio_bare_nact: Number((median(engineRates) / limit).toFixed(3)),
    writers: WRITERS,
    events_per_run: WRITERS * perWriter,
    runs: RUNS,
    samples: { value: kernelRates.map(round), value_bare_nact: engineRates.map(round), limit: rawRates.map(round), limit_unbounded: unboundedRates.map(round) },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
