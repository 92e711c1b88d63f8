/**
 * The processes of `npm run bench -- scale`: a control node (`auctor start --roles control`,
 * LMDB in a temp dir at default durability, a cluster secret, fixed ports so a restart keeps
 * them) and `processes` cell simulators (bench/support/cell-simulator.ts) joined to it, the
 * cells shared out between them. `close()` kills whatever is still running and removes the temp
 * dir; so does the bench's exit.
 *
 * `controlNodeOptions`: more V8/Node flags for the control node (`--heapsnapshot-signal=…`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { startNode, type NodeProcess } from '../../test/support/gateway-node.js';
import { tempDir } from '../../test/support/temp-dir.js';

/** more node flags for the control node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (bench/desire.ts) */
const CONTROL_NODE_OPTIONS = (process.env.BENCH_CONTROL_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
/** /proc/PID/stat counts CPU time in clock ticks: USER_HZ, 100 on every Linux architecture Node runs on */
const CLOCK_TICKS = 100;
const SIMULATOR = fileURLToPath(new URL('./cell-simulator.js', import.meta.url));

/** bench/support/cell-simulator.ts's `stats` line, summed over the simulators (the `max_` fields: their largest) */
export interface SimulatorStats {
  creates: number;
  destroys: number;
  containers: number;
  max_cell_containers: number;
  rss_bytes: number;
  heap_bytes: number;
  sent: number;
  received: number;
  dropped: number;
  state_bytes: number;
  max_state_bytes: number;
  max_list_bytes: number;
}

const summed = (all: SimulatorStats[]): SimulatorStats => {
  const total = { ...all[0]! };
  for (const one of all.slice(1)) {
    for (const key of Object.keys(total).filter((k) => k !== 'event') as Array<keyof SimulatorStats>) {
      total[key] = key.startsWith('max_') ? Math.max(total[key], one[key]) : total[key] + one[key];
    }
  }
  return total;
};

interface Simulator {
  child: ChildProcess;
  stats: Array<(s: SimulatorStats) => void>;
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
  /** the control nodes before a restart, for their logs */
  readonly earlierControls: NodeProcess[] = [];
  private readonly simulators: Simulator[] = [];
  /** simulators that ended before close(): `name: code or signal` */
  readonly simulatorExits: string[] = [];
  private closing = false;
  private readonly killOnExit = () => this.killAll();
  /** a bench stopped by a signal takes its processes with it ('exit' alone does not run then) */
  private readonly killOnSignal = (signal: NodeJS.Signals) => {
    this.killAll();
    rmSync(this.dir.path, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  private readonly secret = randomBytes(16).toString('hex');
  private readonly dir = tempDir('auctor-bench-scale-');

  private constructor(
    private readonly apiPort: number,
    private readonly listenPort: number,
    /** the control node's inspector (127.0.0.1), through which force-gc.ts collects its garbage */
    readonly inspectPort: number,
    private readonly controlArgs: string[],
    private readonly controlNodeOptions: string[],
  ) {
    process.on('exit', this.killOnExit);
    process.on('SIGINT', this.killOnSignal);
    process.on('SIGTERM', this.killOnSignal);
  }

  /** Starts the control node, then `processes` simulators with `cells` cells between them; resolves once all have joined. */
  static async start(cells: number, processes: number, controlArgs: string[], timeoutMs: number, controlNodeOptions: string[] = []): Promise<ScaleCluster> {
    const cluster = new ScaleCluster(await freePort(), await freePort(), await freePort(), controlArgs, controlNodeOptions);
    try {
      await cluster.startControl(timeoutMs);
      const each = Math.ceil(cells / processes);
      const starting: Array<Promise<void>> = [];
      for (let first = 0, k = 0; first < cells; first += each, k++) {
        starting.push(cluster.startSimulator(processes === 1 ? 'cellsim' : `cellsim-${k}`, first, Math.min(each, cells - first), timeoutMs));
      }
      await Promise.all(starting);
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
    if (this.control) this.earlierControls.push(this.control);
    this.control = await startNode(join(this.dir.path, 'control'), [
      '--roles', 'control', '--api', `127.0.0.1:${this.apiPort}`, '--listen', `127.0.0.1:${this.listenPort}`, '--log-format', 'json', ...this.controlArgs,
    ], { env: { AUCTOR_CLUSTER_SECRET: this.secret, NODE_OPTIONS: [...NODE_FLAGS, `--inspect=127.0.0.1:${this.inspectPort}`, ...this.controlNodeOptions, ...CONTROL_NODE_OPTIONS].join(' ') }, timeoutMs });
    return this.control;
  }

  /** The simulators' process ids. */
  get simulatorPids(): number[] {
    return this.simulators.map((s) => s.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Resident set sizes (MB) read from /proc, without asking the processes: the control node's and the simulators' summed; null where /proc cannot say. */
  rssMb(): { control: number | null; cells: number | null } {
    const rss = (pid: number | undefined) => {
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return kb === undefined ? null : Math.round(Number(kb) / 1024);
      } catch {
        return null;
      }
    };
    const cells = this.simulators.map((s) => rss(s.child.pid));
    return { control: rss(this.control?.child.pid), cells: cells.includes(null) ? null : (cells as number[]).reduce((a, b) => a + b, 0) };
  }

  /**
   * CPU seconds (user + system, every thread) each side has used since it started, read from
   * /proc/PID/stat without asking the processes: the control node's and the simulators' summed;
   * null where /proc cannot say.
   */
  cpuSeconds(): { control: number | null; cells: number | null } {
    const cpu = (pid: number | undefined) => {
      try {
        // the fields after the command's closing parenthesis: utime and stime are the 12th and 13th
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      } catch {
        return null;
      }
    };
    const cells = this.simulators.map((s) => cpu(s.child.pid));
    return { control: cpu(this.control?.child.pid), cells: cells.includes(null) ? null : (cells as number[]).reduce((a, b) => a + b, 0) };
  }

  /**
   * The control node's resident memory split as /proc says (MB): anonymous (its heap, buffers,
   * malloc) and file-backed (pages of the LMDB map it touched, which the kernel can drop and
   * read again); null where /proc cannot say.
   */
  controlRssParts(): { anon: number; file: number } | null {
    try {
      const status = readFileSync(`/proc/${this.control?.child.pid}/status`, 'utf8');
      const mb = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
      const parts = { anon: mb('RssAnon'), file: mb('RssFile') };
      return Number.isNaN(parts.anon) || Number.isNaN(parts.file) ? null : parts;
    } catch {
      return null;
    }
  }

  /** The simulators' container counts since they started, their memory, remoting counters and wire sizes. */
  async simulatorStats(): Promise<SimulatorStats> {
    return summed(await Promise.all(this.simulators.map((simulator) => new Promise<SimulatorStats>((resolve, reject) => {
      if (simulator.child.exitCode !== null || simulator.child.signalCode !== null) return reject(new Error(`a cell simulator exited: ${this.simulatorExits.join(', ')}`));
      simulator.stats.push(resolve);
      simulator.child.stdin!.write('stats\n');
    }))));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.killAll();
    await this.control?.kill9();
    process.off('exit', this.killOnExit);
    process.off('SIGINT', this.killOnSignal);
    process.off('SIGTERM', this.killOnSignal);
    rmSync(this.dir.path, { recursive: true, force: true });
  }

  private startSimulator(name: string, first: number, cells: number, timeoutMs: number): Promise<void> {
    const args = ['--name', name, '--first', String(first), '--cells', String(cells), '--join', `127.0.0.1:${this.listenPort}`];
    const child = spawn(process.execPath, [...NODE_FLAGS, SIMULATOR, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, AUCTOR_CLUSTER_SECRET: this.secret },
    });
    const simulator: Simulator = { child, stats: [] };
    this.simulators.push(simulator);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the cell simulator ${name} did not join within ${timeoutMs} ms`)), timeoutMs);
      child.once('exit', (code, signal) => {
        if (this.closing) return;
        // after it joined, only the diagnosis and the log say so (an out-of-memory end shows here)
        this.simulatorExits.push(`${name}: ${code ?? signal}`);
        process.stderr.write(`the cell simulator ${name} exited (${code ?? signal})\n`);
        reject(new Error(`the cell simulator ${name} exited (${code ?? signal})`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { event: string } & SimulatorStats;
        if (message.event === 'ready') (clearTimeout(timer), resolve());
        if (message.event === 'stats') simulator.stats.shift()?.(message);
      });
    });
  }

  private killAll(): void {
    for (const child of [this.control?.child, ...this.simulators.map((s) => s.child)]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
