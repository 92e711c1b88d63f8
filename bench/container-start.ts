/**
 * Time from `create` to a Node HTTP server answering its TCP check, through the process
 * backend (value), against a raw `child_process.spawn` of the same command until its port
 * answers (limit), interleaved in one run. `ratio` = limit / value: 1 means the backend adds
 * nothing. Medians of RUNS starts each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessBackend } from '../src/garden/process/process-backend.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SERVER = "require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";

/** Resolves once a TCP connection to the port succeeds, trying every 2 ms. */
async function answers(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function throughBackend(backend: ProcessBackend, n: number): Promise<number> {
  const t0 = performance.now();
  const container = await backend.create({ handle: `bench-${n}`, rootfs: 'preloaded:host', ports: [8080], limits: { memoryMb: 256 } });
  await container.run({ path: process.execPath, args: ['-e', SERVER] });
  await answers((await container.info()).ports[0]!.hostPort);
  const elapsed = performance.now() - t0;
  await backend.destroy(container.handle);
  return elapsed;
}

async function raw(port: number): Promise<number> {
  const t0 = performance.now();
  // the env a container process gets: PATH, not the rest of ours (NODE_EXTRA_CA_CERTS alone costs ~25 ms)
  const child = spawn(process.execPath, ['-e', SERVER], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: 'ignore' });
  await answers(port);
  const elapsed = performance.now() - t0;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => Number(x.toFixed(1));

export async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'auctor-bench-'));
  const backend = await ProcessBackend.open({ dataDir: dir, scope: `auctor-bench/${process.pid}`, gracefulStopMs: 1000 });
  const values: number[] = [];
  const limits: number[] = [];
  try {
    await throughBackend(backend, -1); // warm-up: first spawn of node pays disk cache misses
    for (let i = 0; i < RUNS; i++) {
      values.push(await throughBackend(backend, i));
      limits.push(await raw(63000 + (i % 500)));
      process.stderr.write(`run ${i + 1}/${RUNS}: backend ${ms(values[i]!)} ms, raw spawn ${ms(limits[i]!)} ms\n`);
    }
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const value = median(values);
  const limit = median(limits);
  const memory = backend.memoryEnforcement.mechanism;
  process.stdout.write(
    JSON.stringify({ bench: 'container-start', value: ms(value), unit: 'ms', limit: ms(limit), ratio: Number((limit / value).toFixed(3)), runs: RUNS, memory_limit: memory, samples: { value: values.map(ms), limit: limits.map(ms) } }) + '\n',
  );
}
