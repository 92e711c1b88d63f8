/**
 * A local single-member etcd for `auctor up --controls N` and the tests: the `etcd` binary
 * (Debian's `etcd-server`) on loopback, free ports, its data in a directory of the caller's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** How to get etcd where it is missing (said by `auctor up --controls` and skipped tests). */
export const ETCD_INSTALL_HINT = 'install etcd (Debian/Ubuntu: apt-get install etcd-server; or a release from https://github.com/etcd-io/etcd/releases) so that `etcd` is on PATH';

/** Whether an `etcd` binary is on PATH. */
export function etcdInstalled(): boolean {
  const found = spawnSync('etcd', ['--version'], { stdio: 'ignore' });
  return found.error === undefined && found.status === 0;
}

export interface LocalEtcd {
  /** `127.0.0.1:port`, for `--etcd` */
  endpoint: string;
  process: ChildProcess;
  /** SIGKILL (it keeps nothing the caller needs beyond its data dir), then waits for the exit */
  stop(): Promise<void>;
}

/** A port free at the time of asking on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts etcd with its data in `dataDir` and resolves once it answers `/health`; rejects naming
 * its output when it does not. A port taken between asking and etcd's bind (another process got
 * it first: CI saw it once) is tried again, with fresh ports where they were picked here; etcd
 * binds before it writes its data, so the dir is as it was.
 */
export async function startLocalEtcd(dataDir: string, options: { clientPort?: number; timeoutMs?: number } = {}): Promise<LocalEtcd> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(dataDir, options);
    } catch (error) {
      if (attempt >= 5 || !/address already in use/.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function startOnce(dataDir: string, options: { clientPort?: number; timeoutMs?: number }): Promise<LocalEtcd> {
  const clientPort = options.clientPort || (await freePort());
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn('etcd', [
    '--name', 'auctor-local', '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `auctor-local=${peer}`, '--log-level', 'warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d) => (output = (output + String(d)).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => (output += error.message));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited before it was healthy: ${output}`);
    try {
      const response = await fetch(`${client}/health`, { signal: AbortSignal.timeout(500) });
      if (response.ok && ((await response.json()) as { health?: string }).health === 'true') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd was not healthy within ${options.timeoutMs ?? 15_000}ms: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { endpoint: `127.0.0.1:${clientPort}`, process: child, stop };
}
