/**
 * Membership under full CPU load: false suspicions of a node that is only slow, and how fast a
 * real kill is detected. Two real processes over the TCP fixture transport
 * (test/fixtures/cluster-tcp-remoting.ts), each running the real Membership at the default
 * timings (--heartbeat-ms 1000, --cell-ttl-ms 5000): this process observes; a child node joins.
 *
 * 1. Baseline (same run, no load): the child heartbeats normally; after WARM_MS it is killed with
 *    SIGKILL; detection = ms from the kill to member-down here. KILLS times.
 * 2. Loaded: a busy-loop process on every core, and the child's event loop blocked 300–800 ms
 *    every second. For OBSERVE_MS every suspicion and down of the child is false; then it is
 *    killed as above. KILLS times (the first after OBSERVE_MS, the rest after WARM_MS).
 *    BENCH_OBSERVER_STALL=1 blocks this observer's event loop the same way; BENCH_STALL_MS=min-max
 *    and BENCH_STALL_EVERY_MS change the stalls.
 *
 * value = median detection under load (ms); limit = median detection without load; ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Membership, type MemberEvent } from '../src/runtime/cluster/membership.js';
import { silenceUntil } from '../src/runtime/cluster/failure-detector.js';
import { TcpRemoting } from '../test/fixtures/cluster-tcp-remoting.js';

const HEARTBEAT_MS = 1000;
const CELL_TTL_MS = 5000;
const OBSERVE_MS = Number(process.env.BENCH_OBSERVE_MS ?? 20_000);
const WARM_MS = Number(process.env.BENCH_WARM_MS ?? 5_000);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const [stallMin, stallMax] = (process.env.BENCH_STALL_MS ?? '300-800').split('-').map(Number);
const STALL = { minMs: stallMin!, maxMs: stallMax!, everyMs: Number(process.env.BENCH_STALL_EVERY_MS ?? 1000) };
const fixture = fileURLToPath(new URL('../test/fixtures/cluster-node.js', import.meta.url));

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

const children = new Set<ChildProcess>();

function spawnOwned(args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.on('error', (error) => log(`child failed: ${error.message}`));
  return child;
}

function waitFor<T>(what: string, timeoutMs: number, poll: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      const value = poll();
      if (value !== undefined) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

interface Counts {
  suspicions: number;
  downs: number;
}

export async function main(): Promise<void> {
  const remoting = await TcpRemoting.listen('observer', Date.now());
  const membership = new Membership({ remoting, roles: ['control'], heartbeatMs: HEARTBEAT_MS, memberTtlMs: CELL_TTL_MS });
  const events: Array<MemberEvent & { at: number }> = [];
  membership.onEvent((e) => events.push({ ...e, at: performance.now() }));
  membership.start();
  let seq = 0;
  let observerStall: NodeJS.Timeout | undefined;

  /** Starts a child node, waits until it is up here; returns it and its name. */
  async function startNode(stalled: boolean): Promise<{ child: ChildProcess; name: string }> {
    const name = `node-${++seq}`;
    const stall = stalled ? ['--stall-min-ms', `${STALL.minMs}`, '--stall-max-ms', `${STALL.maxMs}`, '--stall-every-ms', `${STALL.everyMs}`] : [];
    const child = spawnOwned([fixture, '--name', name, '--join', remoting.self.address, '--heartbeat-ms', `${HEARTBEAT_MS}`, '--cell-ttl-ms', `${CELL_TTL_MS}`, ...stall]);
    await waitFor(`${name} up`, 15_000, () => (membership.member(name)?.status === 'up' ? true : undefined));
    return { child, name };
  }

  /** Counts suspicions and downs of `name` while it lives for `ms`. */
  async function observe(name: string, ms: number): Promise<Counts> {
    const from = events.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    const mine = events.slice(from).filter((e) => e.member.name === name);
    return { suspicions: mine.filter((e) => e.type === 'member-suspect').length, downs: mine.filter((e) => e.type === 'member-down').length };
  }

  async function killAndDetect(child: ChildProcess, name: string): Promise<number> {
    // a death lands anywhere between two heartbeats
    await new Promise((resolve) => setTimeout(resolve, Math.random() * HEARTBEAT_MS));
    const killedAt = performance.now();
    child.kill('SIGKILL');
    const down = await waitFor(`${name} down`, 15_000, () => events.find((e) => e.type === 'member-down' && e.member.name === name && e.at >= killedAt));
    return Math.round(down.at - killedAt);
  }

  const unloaded: number[] = [];
  const loaded: number[] = [];
  const falses: Counts = { suspicions: 0, downs: 0 };
  let observedMs = 0;
  const burners: ChildProcess[] = [];
  try {
    for (let i = 0; i < KILLS; i++) {
      const { child, name } = await startNode(false);
      const quiet = await observe(name, WARM_MS);
      if (quiet.suspicions || quiet.downs) log(`baseline: ${name} suspected ${quiet.suspicions}, down ${quiet.downs} without load`);
      unloaded.push(await killAndDetect(child, name));
      log(`baseline kill ${i + 1}/${KILLS}: down after ${unloaded.at(-1)} ms`);
    }

    const cores = availableParallelism();
    for (let i = 0; i < cores; i++) burners.push(spawnOwned(['-e', 'for (;;) {}']));
    if (process.env.BENCH_OBSERVER_STALL === '1') {
      observerStall = setInterval(() => {
        const until = Date.now() + STALL.minMs + Math.random() * (STALL.maxMs - STALL.minMs);
        while (Date.now() < until) {
          // the observer's own event loop is busy too
        }
      }, STALL.everyMs);
    }
    log(`load: ${cores} busy processes; the node's event loop blocked ${STALL.minMs}-${STALL.maxMs} ms every ${STALL.everyMs} ms`);
    for (let i = 0; i < KILLS; i++) {
      const { child, name } = await startNode(true);
      const ms = i === 0 ? OBSERVE_MS : WARM_MS;
      const seen = await observe(name, ms);
      falses.suspicions += seen.suspicions;
      falses.downs += seen.downs;
      observedMs += ms;
      log(`loaded ${name}: ${seen.suspicions} suspicions, ${seen.downs} downs in ${ms} ms`);
      loaded.push(await killAndDetect(child, name));
      log(`loaded kill ${i + 1}/${KILLS}: down after ${loaded.at(-1)} ms`);
    }

    const value = median(loaded);
    const limit = median(unloaded);
    const settings = membership.settings;
    const result = {
      bench: 'false-suspicion',
      value,
      unit: 'ms',
      limit,
      ratio: Number((value / limit).toFixed(3)),
      false_suspicions: falses.suspicions,
      false_downs: falses.downs,
      suspicions_per_min: Number(((falses.suspicions * 60_000) / observedMs).toFixed(2)),
      observed_s: observedMs / 1000,
      local_pauses: membership.stats().localPauses,
      detection_ms: { loaded, unloaded },
      bound_ms: { suspect_steady: silenceUntil('suspect', HEARTBEAT_MS, 0, settings), down_steady: silenceUntil('down', HEARTBEAT_MS, 0, settings), cap: settings.maxSilenceMs },
      heartbeat_ms: HEARTBEAT_MS,
      cell_ttl_ms: CELL_TTL_MS,
      cores,
      stall: `${STALL.minMs}-${STALL.maxMs} ms every ${STALL.everyMs} ms${process.env.BENCH_OBSERVER_STALL === '1' ? ', observer too' : ''}`,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    if (observerStall) clearInterval(observerStall);
    for (const child of children) child.kill('SIGKILL');
    membership.stop();
    await remoting.close();
  }
}
