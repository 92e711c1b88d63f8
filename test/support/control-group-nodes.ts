/**
 * Control-group nodes for the real-etcd tests: `auctor start --roles control --etcd` processes
 * on their own data dirs, each killed (-9) and its dir removed after each test.
 */
import { expect } from 'chai';
import type { EtcdFixture } from './etcd.js';
import { http, startNode, type NodeProcess } from './gateway-node.js';
import { tempDir } from './temp-dir.js';

export interface ControlGroupNodes {
  /** starts (or starts again, on the same dir) the node `name`, joining `join` when given */
  start(name: string, join?: NodeProcess): Promise<NodeProcess>;
  /** the node was killed by the test: nothing to kill after it */
  forget(node: NodeProcess): void;
  /** the node's `GET /v1/leader` (asserted 200) */
  leaderOf(node: NodeProcess): Promise<{ name: string; term: number }>;
}

/** `args`: more flags for every node. */
export function controlGroupNodes(etcd: EtcdFixture, options: { syncStandbys: number; ttlMs: number; args?: string[] }): ControlGroupNodes {
  const live = new Set<NodeProcess>();
  const dirs = new Map<string, ReturnType<typeof tempDir>>();
  afterEach(async () => {
    await Promise.all([...live].map((n) => n.kill9()));
    live.clear();
    for (const dir of dirs.values()) dir.remove();
    dirs.clear();
  });
  return {
    async start(name, join) {
      let dir = dirs.get(name);
      if (!dir) dirs.set(name, (dir = tempDir()));
      const node = await startNode(dir.path, [
        '--roles', 'control', '--name', name, '--router', 'off', '--log-format', 'json', '--sync-standbys', String(options.syncStandbys),
        '--etcd', etcd.current().endpoint, '--leader-ttl-ms', String(options.ttlMs), ...(join ? ['--join', join.listen] : []),
        ...(options.args ?? []),
      ]);
      live.add(node);
      return node;
    },
    forget(node) {
      live.delete(node);
    },
    async leaderOf(node) {
      const answer = await http(node.url, 'GET', '/v1/leader');
      expect(answer.status, answer.text).to.equal(200);
      return answer.json as { name: string; term: number };
    },
  };
}
