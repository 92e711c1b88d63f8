/**
 * The chaos suite (`npm run chaos`; mocha config test/chaos/mocharc.json): real `auctor start`
 * processes, real LMDB dirs, real gRPC on loopback, small TTLs, killed with SIGKILL in loops.
 *
 * | scenario | file | kills |
 * |---|---|---|
 * | 1 | node-kill.chaos.ts | a control+cell node (`process` backend) under write load |
 * | 2 | cell-kill.chaos.ts | cells (`process` backend) of a cluster, restarted at three moments |
 * | 3 | control-kill.chaos.ts | the control node of a cluster (two `fake` cells, one `process`) |
 * | 4 | control-group-kill.chaos.ts | the active of a control group (three control nodes, real etcd; one `fake` cell, one `process`) |
 * | - | pinned.chaos.ts | what the scenarios found, as plain tests |
 *
 * Invariants, checked after every cycle (names as failures print them): `node-starts`,
 * `acknowledged-write-kept` and `unexpected-answer` (write-load.ts), `doubled-row`,
 * `doubled-process`, `orphan`, `phantom-row`, `row-beyond-instances`, `desired-not-running`
 * (observe.ts), `healthy-instance-kept` (cycle.ts).
 *
 * Settings, from the environment: `CHAOS_CYCLES` (cycles per scenario; default 4, the short run
 * CI makes), `CHAOS_SEED` (replays a run's choices), `CHAOS_SETTLE_MS` (how long the placement
 * invariants may take to hold, default 15000), `CHAOS_LATE_MS` (how long to go on watching an
 * instance not RUNNING at that bound, to say when it recovered; default 0),
 * `CHAOS_STOP_ON_FAILURE=1`.
 *
 * This file: the bookkeeping every scenario shares: the cycle count, the seeded PRNG every random
 * choice comes from (the seed is printed so a failure can be replayed; the nodes' own timing is
 * not replayed), the invariant failures found (each with its cycle, the seed, what the cycle did
 * and the evidence) and the figures a run ends with (one `chaos.figures` JSON line).
 *
 * A failure does not stop the run: the scenario repairs what it can (deletes the LRP concerned,
 * kills what the node left) and goes on, so a long run counts how often each invariant broke.
 */
import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** Cycles per scenario: `CHAOS_CYCLES`, else the short run's count. */
export function chaosCycles(short: number): number {
  const raw = process.env.CHAOS_CYCLES;
  if (raw === undefined || raw === '') return short;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`invalid CHAOS_CYCLES: ${raw}`);
  return n;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[this.int(0, items.length - 1)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A generator of its own, so a scenario's writers do not shift the kill schedule's sequence. */
  fork(): Prng {
    return new Prng(this.int(0, 2 ** 32 - 1));
  }
}

/** The names of the invariants, as failures print them. */
export type Invariant =
  | 'node-starts'
  | 'acknowledged-write-kept'
  | 'unexpected-answer'
  | 'doubled-row'
  | 'doubled-process'
  | 'orphan'
  | 'phantom-row'
  | 'row-beyond-instances'
  | 'desired-not-running'
  | 'healthy-instance-kept';

export interface Failure {
  scenario: string;
  invariant: Invariant;
  cycle: number;
  seed: number;
  message: string;
  /** what the cycle did (which node it killed, how) */
  context: Record<string, unknown>;
  evidence: unknown;
}

/** One scenario's run: its PRNG, its cycle counter, its failures and figures. */
export class ChaosRun {
  readonly prng: Prng;
  readonly seed: number;
  readonly cycles: number;
  cycle = 0;
  /** what this cycle did, printed with each of its failures */
  context: Record<string, unknown> = {};
  readonly failures: Failure[] = [];
  readonly figures: Record<string, number> = { cycles: 0, kills: 0, restarts: 0, acked_writes: 0, unknown_writes: 0 };
  private readonly startedAt = Date.now();

  constructor(readonly scenario: string, shortCycles: number) {
    this.cycles = chaosCycles(shortCycles);
    const fromEnv = process.env.CHAOS_SEED;
    this.seed = fromEnv ? Number(fromEnv) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
    this.prng = new Prng(this.seed);
    console.log(`      chaos ${scenario}: seed ${this.seed} (replay: CHAOS_SEED=${this.seed}), ${this.cycles} cycles`);
  }

  count(figure: string, by = 1): void {
    this.figures[figure] = (this.figures[figure] ?? 0) + by;
  }

  /** Records a broken invariant and prints it at once, with the cycle, the seed and the evidence. */
  fail(invariant: Invariant, message: string, evidence: unknown): void {
    const failure: Failure = { scenario: this.scenario, invariant, cycle: this.cycle, seed: this.seed, message, context: this.context, evidence };
    this.failures.push(failure);
    console.log(`      CHAOS FAILURE ${this.scenario} [${invariant}] cycle ${this.cycle} seed ${this.seed} ${JSON.stringify(this.context)}: ${message}\n        evidence: ${JSON.stringify(evidence)}`);
  }

  failuresIn(cycle: number): Failure[] {
    return this.failures.filter((f) => f.cycle === cycle);
  }

  /** Whether to go on after this cycle (`CHAOS_STOP_ON_FAILURE=1` stops at the first failing one). */
  goOn(): boolean {
    return !(process.env.CHAOS_STOP_ON_FAILURE === '1' && this.failures.length > 0);
  }

  /** Prints the figures as one JSON line and returns them. */
  report(): Record<string, unknown> {
    const byInvariant: Record<string, number> = {};
    for (const f of this.failures) byInvariant[f.invariant] = (byInvariant[f.invariant] ?? 0) + 1;
    const figures = {
      msg: 'chaos.figures', scenario: this.scenario, seed: this.seed, ...this.figures,
      failures: this.failures.length, failures_by_invariant: byInvariant,
      failed_cycles: new Set(this.failures.map((f) => f.cycle)).size,
      duration_s: Math.round((Date.now() - this.startedAt) / 100) / 10,
    };
    console.log(`      ${JSON.stringify(figures)}`);
    return figures;
  }

  /** A one-paragraph summary for the mocha assertion that ends the scenario. */
  summary(): string {
    return this.failures.map((f) => `[${f.invariant}] cycle ${f.cycle}: ${f.message}`).join('\n') + `\n(seed ${this.seed}; replay with CHAOS_SEED=${this.seed})`;
  }
}

/**
 * Removes the cgroups the process backend left for `nodes` under `auctor/<node>` once their
 * processes were killed (a kill -9 skips the backend's own cleanup); a cgroup goes once the
 * killed processes in it have gone, so it tries for up to 5 s.
 */
export async function removeCgroupsOf(nodes: string[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    let left = 0;
    // v2 at the root or under unified/, else v1's memory and pids (as src/garden/process/cgroup.ts)
    for (const controller of ['', 'unified', 'memory', 'pids']) {
      for (const node of nodes) {
        const scope = join('/sys/fs/cgroup', controller, 'auctor', node);
        let entries: string[];
        try {
          entries = readdirSync(scope, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
        } catch {
          continue;
        }
        for (const entry of entries) left += tryRmdir(join(scope, entry));
        left += tryRmdir(scope);
      }
    }
    if (left === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** 1 when `dir` is still there (a process still in it), else 0. */
function tryRmdir(dir: string): number {
  try {
    rmdirSync(dir);
    return 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 0 : 1;
  }
}

/** Waits `ms`: only ever a chaos choice (when to kill, how long a node stays down), never to let things settle. */
export function chaosDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
