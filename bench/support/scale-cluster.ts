/**
 * The processes of `npm run bench -- scale`: a control node (`auctor start --roles control`,
 * LMDB in a temp dir at default durability, a cluster secret, fixed ports so a restart keeps
 * them) and the cell simulator (bench/support/cell-simulator.ts) joined to it. `close()` kills
 * whatever is still running and removes the temp dir; so does the bench's exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { startNode, type NodeProcess } from '../../test/support/gateway-node.js';
import { tempDir } from '../../test/support/temp-dir.js';

/** more node flags for the control node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (bench/desire.ts) */
const CONTROL_NODE_OPTIONS = (process.env.BENCH_CONTROL_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
const SIMULATOR = fileURLToPath(new URL('./cell-simulator.js', import.meta.url));

export interface SimulatorStats {
  creates: number;
  destroys: number;
  containers: number;
}

/** A port free now (the OS picks it; nothing holds it after). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class ScaleCluster {
  control!: NodeProcess;
  simulator!: ChildProcess;
  private readonly stats: Array<(s: SimulatorStats) => void> = [];
  private readonly killOnExit = () => this.killAll();
  private readonly secret = randomBytes(16).toString('hex');
  private readonly dir = tempDir('auctor-bench-scale-');

  private constructor(private readonly apiPort: number, private readonly listenPort: number, private readonly controlArgs: string[]) {
    process.on('exit', this.killOnExit);
  }

  /** Starts the control node, then the simulator's `cells` cells; resolves once it has joined. */
  static async start(cells: number, controlArgs: string[], timeoutMs: number): Promise<ScaleCluster> {
    const cluster = new ScaleCluster(await freePort(), await freePort(), controlArgs);
    try {
      await cluster.startControl(timeoutMs);
      await cluster.startSimulator(cells, timeoutMs);
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Starts the control node on its data dir and ports (again, after a kill). */
  async startControl(timeoutMs: number): Promise<NodeProcess> {
    this.control = await startNode(join(this.dir.path, 'control'), [
      '--roles', 'control', '--api', `127.0.0.1:${this.apiPort}`, '--listen', `127.0.0.1:${this.listenPort}`, '--log-format', 'json', ...this.controlArgs,
    ], { env: { AUCTOR_CLUSTER_SECRET: this.secret, NODE_OPTIONS: [...NODE_FLAGS, ...CONTROL_NODE_OPTIONS].join(' ') }, timeoutMs });
    return this.control;
  }

  /** The simulator's container counts since it started. */
  simulatorStats(): Promise<SimulatorStats> {
    return new Promise((resolve) => {
      this.stats.push(resolve);
      this.simulator.stdin!.write('stats\n');
    });
  }

  async close(): Promise<void> {
    this.killAll();
    await this.control?.kill9();
    process.off('exit', this.killOnExit);
    rmSync(this.dir.path, { recursive: true, force: true });
  }

  private startSimulator(cells: number, timeoutMs: number): Promise<void> {
    const child = spawn(process.execPath, [...NODE_FLAGS, SIMULATOR, '--cells', String(cells), '--join', `127.0.0.1:${this.listenPort}`], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, AUCTOR_CLUSTER_SECRET: this.secret },
    });
    this.simulator = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the cell simulator did not join within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`the cell simulator exited (${code})`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { event: string } & SimulatorStats;
        if (message.event === 'ready') (clearTimeout(timer), resolve());
        if (message.event === 'stats') this.stats.shift()?.(message);
      });
    });
  }

  private killAll(): void {
    for (const child of [this.control?.child, this.simulator]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
