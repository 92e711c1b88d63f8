/**
 * Virtual children (docs/011 "Virtual actors"): what a passive and an active child cost in heap,
 * and how fast passive children are activated, against the raw LMDB reads of the same records.
 *
 * BENCH_INSTANCES (default 100k) persistent virtual children under PARENTS parents (100 each),
 * each journaling one event, then all passivated. Heap is measured after two forced GCs:
 * - `passive_bytes`: per child known only by the index (never activated, and again once all were
 *   activated and passivated: what a passive child leaves behind);
 * - `active_bytes`: per child alive with its state;
 * - `activations_per_s`: asks to passive children, IN_FLIGHT (BENCH_IN_FLIGHT, default 1000) at
 *   a time (each is spawned, replays its journal from LMDB and answers), in the same run as
 * - `raw_gets_per_s`: the same journals read with lmdb-js range reads (what a replay reads);
 *   `ratio` = activations_per_s / raw_gets_per_s. Medians of RUNS activation passes.
 * Runs itself again with --expose-gc when `gc` is not exposed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { systemClock, type Clock } from '../src/base/clock.js';
import { LMDB_DB_OPTIONS, LMDB_ENV_OPTIONS, LmdbPersistenceEngine } from '../src/runtime/persistence/lmdb-engine.js';
import { ActorSystem, type VirtualChildren } from '../src/runtime/kernel/system.js';
import type { Ref } from '../src/runtime/kernel/protocol.js';
import { gc, rerunWithGc } from './support/expose-gc.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 100_000);
const PER_PARENT = 100;
const PARENTS = Math.ceil(INSTANCES / PER_PARENT);
const RUNS = 3;
const IDLE_MS = 60_000;
/** asks to passive children in flight at once during the timed activation passes */
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1000);

type Msg = { type: 'add'; n: number; replyTo: Ref<number> } | { type: 'get'; replyTo: Ref<number> };
type State = { total: number; cell: string };
type Event = { type: 'added'; n: number; cell: string };

const heapUsed = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};
const log = (message: string) => process.stderr.write(`${message}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The real clock, moved forward at will: `skip` makes every active child look idle at once. */
function skippingClock(): Clock & { skip(ms: number): void } {
  let skew = 0;
  return { ...systemClock, now: () => Date.now() + skew, skip: (ms) => (skew += ms) };
}

const keyOf = (parent: number, child: number) => `bench-virtual/${parent}/${child}`;

async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'auctor-bench-virtual-'));
  const root = open({ ...LMDB_ENV_OPTIONS, path: dir });
  const engine = new LmdbPersistenceEngine(root);
  const clock = skippingClock();
  const system = ActorSystem.start({ name: 'bench-virtual', engine, clock });
  try {
    const kinds: Array<VirtualChildren<State, Msg, Event>> = [];
    for (let p = 0; p < PARENTS; p++) {
      const parent = system.spawnStateless(system.root, { kind: 'holder', name: `p${p}`, handle: () => undefined });
      kinds.push(system.spawnVirtualKind<State, Msg, Event>(parent, {
        kind: 'bench-child',
        idleAfterMs: IDLE_MS,
        spec: (name) => ({
          key: keyOf(p, Number(name)),
          initialState: () => ({ total: 0, cell: '' }),
          summary: (s) => ({ total: s.total }),
          applyEvent: (s, e) => ({ total: s.total + e.n, cell: e.cell }),
          handle: async (s, msg, ctx) => {
            if (msg.type === 'get') {
              ctx.system.dispatch(msg.replyTo, s.total);
              return s;
            }
            const next = await ctx.persist({ type: 'added', n: msg.n, cell: `cell-z1-${String(Number(name) % 40).padStart(2, '0')}` });
            ctx.system.dispatch(msg.replyTo, next.total);
            return next;
          },
        }),
      }));
    }
    const children = (f: (kind: VirtualChildren<State, Msg, Event>, p: number, c: number) => unknown) => {
      const out: unknown[] = [];
      kinds.forEach((kind, p) => {
        for (let c = 0; c < PER_PARENT && p * PER_PARENT + c < INSTANCES; c++) out.push(f(kind, p, c));
      });
      return out;
    };
    const heapEmpty = heapUsed();
    await Promise.all(children((kind, _p, c) => kind.add(String(c))));
    const heapIndexed = heapUsed();
    log(`indexed ${INSTANCES} children under ${PARENTS} parents`);

    let t = performance.now();
    await Promise.all(children((kind, _p, c) => system.query<Msg, number>(kind.ref(String(c)), (replyTo) => ({ type: 'add', n: 1, replyTo }), 600_000)));
    log(`activated and journaled one event each in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const heapActive = heapUsed();
    const passivateAll = async () => {
      clock.skip(IDLE_MS);
      let stopped = 0;
      for (const kind of kinds) stopped += kind.passivateIdle();
      // afterStop runs a turn later
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      return stopped;
    };
    const stopped = await passivateAll();
    const heapPassivated = heapUsed();
    log(`passivated ${stopped}; registry holds ${system.registry.size} actors`);

    const activations: number[] = [];
    const raws: number[] = [];
    const events = root.openDB<unknown, [string, number]>('events', LMDB_DB_OPTIONS);
    for (let r = 0; r < RUNS; r++) {
      t = performance.now();
      const targets = children((kind, _p, c) => kind.ref(String(c))) as Array<Ref<Msg>>;
      let next = 0;
      const asker = async () => {
        while (next < targets.length) await system.query<Msg, number>(targets[next++]!, (replyTo) => ({ type: 'get', replyTo }), 600_000);
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, asker));
      activations.push(INSTANCES / ((performance.now() - t) / 1000));
      await passivateAll();
      t = performance.now();
      let read = 0;
      children((_kind, p, c) => {
        const key = keyOf(p, c);
        for (const entry of events.getRange({ start: [key, 1], end: [key, Number.MAX_SAFE_INTEGER] })) if (entry.value) read += 1;
      });
      raws.push(INSTANCES / ((performance.now() - t) / 1000));
      if (read !== INSTANCES) throw new Error(`raw reads found ${read} events, expected ${INSTANCES}`);
      log(`run ${r + 1}: ${Math.round(activations[r]!)} activations/s, raw ${Math.round(raws[r]!)} gets/s`);
    }
    const heapAfterRuns = heapUsed();
    log(`heap per child after ${RUNS} more activations and passivations of all: ${Math.round((heapAfterRuns - heapEmpty) / INSTANCES)} B`);
    return {
      passive_bytes: (heapIndexed - heapEmpty) / INSTANCES,
      passive_bytes_after_passivation: (heapPassivated - heapEmpty) / INSTANCES,
      active_bytes: (heapActive - heapIndexed) / INSTANCES,
      activations_per_s: median(activations),
      raw_gets_per_s: median(raws),
    };
  } finally {
    await system.shutdown();
    await engine.close();
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<void> {
  if (rerunWithGc('virtual')) return;
  const r = await run();
  const round = (x: number) => Math.round(x);
  process.stdout.write(`${JSON.stringify({
    bench: 'virtual',
    value: round(r.activations_per_s!),
    unit: 'activations/s (asks to passive children, each replaying one event from LMDB)',
    limit: round(r.raw_gets_per_s!),
    ratio: Number((r.activations_per_s! / r.raw_gets_per_s!).toFixed(4)),
    instances: INSTANCES,
    parents: PARENTS,
    in_flight: IN_FLIGHT,
    passive_bytes_per_child: round(r.passive_bytes!),
    passive_bytes_per_child_after_passivation: round(r.passive_bytes_after_passivation!),
    active_bytes_per_child: round(r.active_bytes!),
    means: 'limit: lmdb-js range reads of the same journals in the same run; heap after two forced GCs',
  })}\n`);
}
