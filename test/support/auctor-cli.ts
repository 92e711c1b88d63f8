/**
 * A real `node bin/auctor.js start` for command-line tests: its own data dir, the gateway on a
 * free loopback port, and `auctor(...)` to run client commands against it as child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { finished, type Finished } from './child-process.js';
import { eventually } from './eventually.js';
import { tempDir } from './temp-dir.js';

export const auctorBin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

export interface AuctorNode {
  /** the gateway, `http://127.0.0.1:<port>` */
  api: string;
  /** the node's name (its cell_id) */
  name: string;
  /** Runs `auctor <args>` against this node (adds `--api` unless `api: false`), to its exit. */
  run(args: string[], options?: RunOptions): Promise<Finished>;
  /** Removes every DesiredLRP (a node leaves containers running when it stops), SIGTERM, waits, removes the data dir. */
  stop(): Promise<void>;
}

export interface RunOptions {
  /** text for stdin */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** add `--api <this node>` (default true) */
  api?: boolean;
}

/** Runs `auctor <args>` to its exit. */
export function runAuctor(args: string[], options: Omit<RunOptions, 'api'> = {}): Promise<Finished> {
  const child = spawn(process.execPath, [auctorBin, ...args], {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, AUCTOR_API: undefined, AUCTOR_TOKEN: undefined, ...options.env },
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  return finished(child);
}

/** Starts a node (roles control,cell, process backend) and waits for `auctor.started`. */
export async function startAuctorNode(extraArgs: string[] = [], name = `cli-${process.pid}`): Promise<AuctorNode> {
  const dir = tempDir('auctor-cli-');
  const child: ChildProcess = spawn(process.execPath, [auctorBin, 'start', '--data', dir.path, '--api', '127.0.0.1:0', '--name', name, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = finished(child, 24 * 3600_000);
  let api: string;
  try {
    api = await new Promise<string>((resolve, reject) => {
      let lines = '';
      child.stdout!.on('data', (d: Buffer) => {
        lines += d.toString();
        const started = lines.split('\n').find((l) => l.includes('"auctor.started"'));
        if (started) resolve((JSON.parse(started) as { api: string }).api);
      });
      void exited.then((r) => reject(new Error(`auctor start exited ${r.code}: ${r.stderr}`)), reject);
      setTimeout(() => reject(new Error('auctor start did not print auctor.started within 15 s')), 15_000).unref();
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    dir.remove();
    throw error;
  }
  return {
    api,
    name,
    run: (args, options = {}) => runAuctor(options.api === false ? args : [...args, '--api', api], options),
    async stop() {
      await removeAllLrps(api).catch(() => undefined);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited.catch(() => undefined);
      dir.remove();
    },
  };
}

/** Deletes every DesiredLRP and waits until no instance is left, so no container outlives the test. */
async function removeAllLrps(api: string): Promise<void> {
  const desired = (await (await fetch(`${api}/v1/desired_lrps`)).json()) as Array<{ process_guid: string }>;
  for (const d of desired) await fetch(`${api}/v1/desired_lrps/${encodeURIComponent(d.process_guid)}`, { method: 'DELETE' });
  await eventually(async () => {
    const actual = (await (await fetch(`${api}/v1/actual_lrps`)).json()) as unknown[];
    if (actual.length > 0) throw new Error(`${actual.length} instances still running`);
  }, { timeout: 10_000, interval: 100 });
}
