/**
 * Acknowledged writes/s of one node's LMDB engine: alone (no replication), with the replication
 * log but no standby (`syncStandbys` 0), and with one synchronous standby in another process
 * over gRPC remoting (test/fixtures/replication-node.ts). WRITERS concurrent writers each await
 * their write (a 512-byte event) before the next, as actors do; a write counts once it resolves,
 * i.e. once it may be acknowledged. Also the CPU time each write cost this process and the
 * standby's: on one machine the two share its cores, so where the CPU is the limit (1000 writers)
 * the ratio is about the lone node's CPU per write over both processes'. Part of
 * `npm run bench -- control-failover` (issue 16).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { persistedEvent } from '../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { Replicator } from '../../src/runtime/persistence/replicator.js';
import { startRemoting } from '../../src/runtime/remoting/grpc-remoting.js';
import { remotingReplicationTransport } from '../../src/runtime/remoting/replication-link.js';

export type WriteMode = 'lone' | 'log-only' | 'sync-standby';

export interface WriteRun {
  mode: WriteMode;
  writers: number;
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time per write, µs: this process (the node), and the standby's process */
  cpuUs: number;
  standbyCpuUs: number;
}

const silent = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {} };
const PAD = 'x'.repeat(480); // with the rest of the record about 512 bytes, as the issue measured

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Starts the standby fixture; resolves its address, a reading of the CPU time it used (µs), and a stop that waits for its exit. */
async function startStandby(dir: string): Promise<{ address: string; cpu: () => Promise<number>; stop: () => Promise<void> }> {
  const fixture = fileURLToPath(new URL('../../test/fixtures/replication-node.js', import.meta.url));
  const child = spawn(process.execPath, [fixture, dir, 'standby'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  const next = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = out.match(pattern);
        if (!match) return;
        out = out.slice(match.index! + match[0].length);
        child.stdout.off('data', check);
        resolve(match[1]!);
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`standby exited (${code}) before printing ${pattern}`)));
      check();
    });
  const address = await next(/ready (\S+)\n/);
  const cpu = async () => {
    child.stdin.write('cpu\n');
    return Number(await next(/cpu (\d+)\n/));
  };
  return { address, cpu, stop: async () => (child.kill('SIGTERM'), await exited) };
}

/** One measurement: `total` writes by `writers` writers through a fresh store in `mode`. */
export async function measureWrites(mode: WriteMode, writers: number, total: number): Promise<WriteRun> {
  // BENCH_STANDBY_DIR (e.g. /dev/shm): the standby's store elsewhere, to see what sharing one disk costs (diagnostic only)
  const dirs = [mkdtempSync(join(tmpdir(), 'auctor-bench-')), mkdtempSync(join(process.env.BENCH_STANDBY_DIR ?? tmpdir(), 'auctor-bench-'))] as const;
  const engine = LmdbPersistenceEngine.open(dirs[0]);
  const standby = mode === 'sync-standby' ? await startStandby(dirs[1]) : undefined;
  const remoting = mode === 'lone' ? undefined : await startRemoting({ self: { name: 'primary', incarnation: Date.now() }, listen: { host: '127.0.0.1', port: 0 }, log: silent });
  const replication = remoting ? new Replicator(engine, remotingReplicationTransport(remoting), { syncStandbys: standby ? 1 : 0 }) : undefined;
  try {
    if (replication) await replication.becomePrimary(1, standby ? [{ name: 'standby', address: standby.address }] : []);
    // warm up (and, with a standby, wait until it counts as synchronous)
    for (let w = 0; w < writers; w++) await engine.persist(persistedEvent(`bench/${w}`, 1, { type: 'warm', pad: PAD }));
    const latencies: number[] = [];
    const perWriter = Math.ceil(total / writers);
    const standbyCpu0 = (await standby?.cpu()) ?? 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let n = 2; n <= perWriter + 1; n++) {
          const start = performance.now();
          await engine.persist(persistedEvent(`bench/${w}`, n, { type: 'n', n, pad: PAD }));
          latencies.push(performance.now() - start);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const standbyCpu = standby ? (await standby.cpu()) - standbyCpu0 : 0;
    latencies.sort((a, b) => a - b);
    const count = perWriter * writers;
    return {
      mode, writers, writesPerSec: count / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99),
      cpuUs: (cpu.user + cpu.system) / count, standbyCpuUs: standbyCpu / count,
    };
  } finally {
    replication?.close();
    await engine.close();
    await remoting?.close();
    await standby?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
