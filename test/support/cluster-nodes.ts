/**
 * A cluster of real `auctor start` processes on loopback: one control node (`--roles control`,
 * gateway and router on free ports) and cell nodes (`--roles cell --join <control>`), each in
 * its own data dir under one temp dir. `close()` stops every node, kills whatever container
 * processes outlived them (a killed cell leaves its containers running: each runs under a keeper
 * that leads its own process group and whose command line names the cell's data dir) and removes
 * the temp dir.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { http, startNode, webLrp, type NodeProcess } from './gateway-node.js';
import { eventually } from './eventually.js';
import { tempDir } from './temp-dir.js';

/** Small timings for tests that are not about the defaults. */
export const CLUSTER_FAST_FLAGS = [
  '--heartbeat-ms', '200', '--cell-ttl-ms', '1500', '--convergence-interval-ms', '1000',
  '--unhealthy-interval-ms', '50', '--healthy-interval-ms', '200', '--graceful-stop-ms', '500',
  '--crash-backoff-ms', '400', '--crash-backoff-max-ms', '800', '--task-retries', '1',
];

export interface CellSpec {
  name: string;
  zone?: string;
  /** more flags for this cell */
  args?: string[];
}

export interface ClusterOptions {
  cells: CellSpec[];
  /** flags every node gets (default CLUSTER_FAST_FLAGS) */
  common?: string[];
  /** more flags for the control node */
  controlArgs?: string[];
}

/** Clusters started and not closed yet. */
const open = new Set<ClusterNodes>();

/** In a `describe`: after each test, closes every cluster it started, whether it passed or not. */
export function closeClustersAfterEach(): void {
  afterEach(async () => {
    await Promise.all([...open].map((cluster) => cluster.close()));
  });
}

export class ClusterNodes {
  readonly root = tempDir('auctor-cluster-');
  control!: NodeProcess;
  readonly cells = new Map<string, NodeProcess>();
  private readonly specs = new Map<string, CellSpec>();
  /** every node process ever started, so close() misses none */
  private readonly started: NodeProcess[] = [];

  private constructor(private readonly options: ClusterOptions) {}

  /** Starts the control node, then every cell (in parallel), each up once it logs `auctor.started`. */
  static async start(options: ClusterOptions): Promise<ClusterNodes> {
    const cluster = new ClusterNodes(options);
    open.add(cluster);
    try {
      await cluster.startControl();
      await Promise.all(options.cells.map((spec) => cluster.startCell(spec)));
      await cluster.waitForCells(options.cells.map((c) => c.name));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get common(): string[] {
    return this.options.common ?? CLUSTER_FAST_FLAGS;
  }

  dataDir(name: string): string {
    return join(this.root.path, name);
  }

  /**
   * Starts the control node; a restart keeps its data dir, name and remoting address (cells
   * join through it), with fresh gateway and router ports.
   */
  async startControl(extra: string[] = []): Promise<NodeProcess> {
    const listen = this.control ? ['--listen', this.control.listen] : [];
    const node = await startNode(this.dataDir('control'), ['--name', 'control', '--roles', 'control', ...listen, ...this.common, ...(this.options.controlArgs ?? []), ...extra]);
    this.started.push(node);
    this.control = node;
    return node;
  }

  /** Starts a cell joining the control node; a known name is restarted with the same data dir. */
  async startCell(spec: CellSpec | string, options: { timeoutMs?: number } = {}): Promise<NodeProcess> {
    const cell = typeof spec === 'string' ? this.specs.get(spec) ?? { name: spec } : spec;
    this.specs.set(cell.name, cell);
    const node = await startNode(this.dataDir(cell.name), [
      '--name', cell.name, '--roles', 'cell', '--join', this.control.listen, '--zone', cell.zone ?? 'z1', ...this.common, ...(cell.args ?? []),
    ], options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    this.started.push(node);
    this.cells.set(cell.name, node);
    return node;
  }

  /**
   * Waits until the control node lists exactly these cells in `GET /v1/cells` (a cell is
   * started once it has joined; its presence arrives with its next heartbeat).
   */
  async waitForCells(names: string[], timeout = 10_000): Promise<void> {
    await eventually(async () => {
      const cells = (await http(this.control.url, 'GET', '/v1/cells')).json as Array<{ cell_id: string }>;
      expect(cells.map((c) => c.cell_id).sort()).to.deep.equal([...names].sort());
    }, { timeout, interval: 50 });
  }

  cell(name: string): NodeProcess {
    const node = this.cells.get(name);
    if (!node) throw new Error(`no cell ${name}`);
    return node;
  }

  /** SIGKILL to a node; its containers keep running until close(). */
  async kill9(node: NodeProcess): Promise<void> {
    await node.kill9();
  }

  /**
   * Stops every node (SIGINT: no drain, so close is quick; a SIGSTOPped one is resumed first, to
   * hear it), kills leftover containers, removes the dirs.
   */
  async close(): Promise<void> {
    open.delete(this);
    await Promise.all(this.started.map(async (node) => {
      if (node.child.exitCode === null && node.child.signalCode === null) {
        node.child.kill('SIGCONT');
        node.child.kill('SIGINT');
        const timer = setTimeout(() => node.child.kill('SIGKILL'), 10_000);
        await new Promise((resolve) => node.child.once('exit', resolve));
        clearTimeout(timer);
      }
    }));
    killProcessesUnder(this.root.path);
    this.root.remove();
  }
}

/** SIGKILLs the process group of every process whose command line mentions `dir` (container keepers). */
export function killProcessesUnder(dir: string): number {
  let killed = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(dir)) continue;
    const pid = Number(entry);
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
        killed++;
      } catch {
        // not a group leader, or gone already
      }
    }
  }
  return killed;
}

/** The fields of an ActualLRP row the cluster tests read. */
export interface ActualRow {
  process_guid: string;
  index: number;
  instance_guid: string;
  cell_id: string;
  state: string;
  presence: string;
  crash_count: number;
  availability_zone?: string;
  ports: Array<{ container_port: number; host_port: number }>;
}

/** `GET /v1/actual_lrps/<guid>` sorted by index, then presence. */
export async function actualRows(url: string, guid: string): Promise<ActualRow[]> {
  const answer = await http(url, 'GET', `/v1/actual_lrps/${encodeURIComponent(guid)}`);
  if (answer.status !== 200) throw new Error(`GET /v1/actual_lrps/${guid}: ${answer.status} ${answer.text}`);
  return (answer.json as ActualRow[]).sort((a, b) => a.index - b.index || a.presence.localeCompare(b.presence));
}

export function countBy<T>(items: T[], key: (item: T) => string | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

/** webLrp with a cf-router route for `hostname` on port 8080. */
export const routedLrp = (guid: string, instances: number, hostname: string) => ({
  ...webLrp(guid, instances),
  routes: { 'cf-router': [{ hostnames: [hostname], port: 8080 }] },
});

export interface Hammer {
  ok: number;
  failures: string[];
  /** distinct response bodies seen */
  bodies: Set<string>;
  /** Stops after the request in flight; resolves with what it saw. */
  stop(): Promise<{ ok: number; failures: string[]; bodies: string[] }>;
}

/** One request after another through the router for `hostname` until stopped, each on a fresh connection. */
export function startHammer(router: string, hostname: string): Hammer {
  let running = true;
  const hammer: Hammer = { ok: 0, failures: [], bodies: new Set(), stop: async () => {
    running = false;
    await loop;
    return { ok: hammer.ok, failures: hammer.failures, bodies: [...hammer.bodies] };
  } };
  const loop = (async () => {
    while (running) {
      try {
        const answer = await http(router, 'GET', '/', undefined, { host: hostname });
        if (answer.status === 200) {
          hammer.ok++;
          hammer.bodies.add(answer.text);
        } else hammer.failures.push(`${answer.status} ${answer.text}`);
      } catch (error) {
        hammer.failures.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return hammer;
}
