/**
 * A control group with cells, each its own `auctor start` process on loopback, for the chaos
 * suite and the control-group tests (docs/054): a local etcd, control nodes (`--roles control --etcd`, one active and
 * standbys; each restarted on its data dir and remoting address) and cells (`--roles cell`,
 * joining through every control node, following the active). `close()` stops every node and
 * etcd, kills the containers the cells left and removes the temp dir.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { startLocalEtcd, type LocalEtcd } from '../../src/cli/local-etcd.js';
import { killProcessesUnder, type CellSpec } from './cluster-nodes.js';
import { eventually } from './eventually.js';
import { http, startNode, type NodeProcess } from './gateway-node.js';
import { tempDir } from './temp-dir.js';

export interface ControlGroupClusterOptions {
  controls: string[];
  cells: CellSpec[];
  /** flags every node gets */
  common: string[];
  leaderTtlMs: number;
  syncStandbys: number;
}

/** `GET /v1/leader` as a control node answers it. */
export interface Leader {
  name: string;
  api: string;
  listen: string;
  term: number;
}

export class ControlGroupCluster {
  readonly root = tempDir('auctor-group-');
  etcd!: LocalEtcd;
  /** the current process of each control node (a killed one stays until it is started again) */
  readonly controls = new Map<string, NodeProcess>();
  readonly cells = new Map<string, NodeProcess>();
  /** every node process ever started, so close() misses none */
  private readonly started: NodeProcess[] = [];
  private etcdPort = 0;

  private constructor(private readonly options: ControlGroupClusterOptions) {}

  /** etcd, the first control node (until it leads), the other control nodes, then the cells (until the active lists them). */
  static async start(options: ControlGroupClusterOptions): Promise<ControlGroupCluster> {
    const group = new ControlGroupCluster(options);
    try {
      group.etcd = await startLocalEtcd(join(group.root.path, 'etcd'));
      group.etcdPort = Number(group.etcd.endpoint.split(':')[1]);
      const [first, ...others] = options.controls;
      await group.startControl(first!);
      await eventually(async () => expect((await group.leaderOf(group.control(first!)))?.name).to.equal(first), { timeout: 15_000, interval: 50 });
      await Promise.all(others.map((name) => group.startControl(name)));
      for (const name of others) await eventually(async () => expect((await group.leaderOf(group.control(name)))?.name).to.equal(first), { timeout: 15_000, interval: 50 });
      await Promise.all(options.cells.map((spec) => group.startCell(spec)));
      await group.waitForCells(group.control(first!), options.cells.map((c) => c.name));
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  /** SIGKILL to etcd, and a new etcd on its data dir and client port once it exited; resolves once that one is healthy. */
  async restartEtcd(): Promise<void> {
    await this.etcd.stop();
    this.etcd = await startLocalEtcd(join(this.root.path, 'etcd'), { clientPort: this.etcdPort });
  }

  dataDir(name: string): string {
    return join(this.root.path, name);
  }

  control(name: string): NodeProcess {
    const node = this.controls.get(name);
    if (!node) throw new Error(`no control node ${name}`);
    return node;
  }

  /** Whether the node's current process runs. */
  static running(node: NodeProcess): boolean {
    return node.child.exitCode === null && node.child.signalCode === null;
  }

  /** The control nodes whose process runs. */
  liveControls(): NodeProcess[] {
    return [...this.controls.values()].filter(ControlGroupCluster.running);
  }

  /**
   * Starts control node `name` (again: on its data dir and remoting address, fresh gateway port),
   * joining through the other live control nodes.
   */
  async startControl(name: string): Promise<NodeProcess> {
    const before = this.controls.get(name);
    const seeds = this.liveControls().filter((n) => n.name !== name).map((n) => n.listen);
    const node = await startNode(this.dataDir(name), [
      '--roles', 'control', '--name', name, '--router', 'off', '--log-format', 'json',
      '--etcd', this.etcd.endpoint, '--leader-ttl-ms', String(this.options.leaderTtlMs), '--sync-standbys', String(this.options.syncStandbys),
      ...(before ? ['--listen', before.listen] : []), ...(seeds.length > 0 ? ['--join', seeds.join(',')] : []), ...this.options.common,
    ]);
    this.started.push(node);
    this.controls.set(name, node);
    return node;
  }

  /** Starts a cell joining through every live control node. */
  async startCell(spec: CellSpec): Promise<NodeProcess> {
    const node = await startNode(this.dataDir(spec.name), [
      '--name', spec.name, '--roles', 'cell', '--join', this.liveControls().map((n) => n.listen).join(','), '--zone', spec.zone ?? 'z1',
      ...this.options.common, ...(spec.args ?? []),
    ]);
    this.started.push(node);
    this.cells.set(spec.name, node);
    return node;
  }

  /** The node's `GET /v1/leader`; undefined while it names none (503) or does not answer. */
  async leaderOf(node: NodeProcess): Promise<Leader | undefined> {
    const answer = await http(node.url, 'GET', '/v1/leader').catch(() => undefined);
    return answer?.status === 200 ? (answer.json as Leader) : undefined;
  }

  /** The active as `node` sees it, with its process. */
  async active(via: NodeProcess = this.liveControls()[0]!): Promise<{ leader: Leader; node: NodeProcess }> {
    const leader = await this.leaderOf(via);
    const node = leader && this.controls.get(leader.name);
    if (!leader || !node || !ControlGroupCluster.running(node)) throw new Error(`${via.name} names no live active (${JSON.stringify(leader)})`);
    return { leader, node };
  }

  /** Until `active` lists exactly these cells in `GET /v1/cells`. */
  async waitForCells(active: NodeProcess, names: string[], timeout = 15_000): Promise<void> {
    await eventually(async () => {
      const answer = await http(active.url, 'GET', '/v1/cells');
      expect(answer.status, answer.text).to.equal(200);
      expect((answer.json as Array<{ cell_id: string }>).map((c) => c.cell_id).sort()).to.deep.equal([...names].sort());
    }, { timeout, interval: 50 });
  }

  /** SIGINT to every node (SIGKILL after 10 s), etcd killed, leftover containers killed, the dir removed. */
  async close(): Promise<void> {
    await Promise.all(this.started.map(async (node) => {
      if (!ControlGroupCluster.running(node)) return;
      node.child.kill('SIGCONT');
      node.child.kill('SIGINT');
      const timer = setTimeout(() => node.child.kill('SIGKILL'), 10_000);
      await new Promise((resolve) => node.child.once('exit', resolve));
      clearTimeout(timer);
    }));
    await this.etcd?.stop();
    killProcessesUnder(this.root.path);
    this.root.remove();
  }
}
