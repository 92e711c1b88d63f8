/**
 * `auctor start` processes a test starts, each on its own temp data dir; after each test every
 * one still running is killed (-9), what their process backends left running is stopped (a
 * killed cell's containers keep running by design, for the next start to adopt), and every dir
 * removed.
 */
import { killProcessesUnder } from './cluster-nodes.js';
import { startNode, type NodeProcess, type StartOptions } from './gateway-node.js';
import { tempDir } from './temp-dir.js';

export interface NodeProcesses {
  /** starts `auctor start ...args` on a new temp dir */
  start(args: string[], options?: StartOptions): Promise<NodeProcess>;
  /** the first node started in this test (a seed to `--join`), if any */
  readonly first: NodeProcess | undefined;
  /** the test killed it: nothing to kill after the test */
  forget(node: NodeProcess): void;
}

export function nodeProcesses(): NodeProcesses {
  const nodes: NodeProcess[] = [];
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.kill9()));
    for (const dir of dirs.splice(0)) {
      killProcessesUnder(dir.path);
      dir.remove();
    }
  });
  return {
    async start(args, options = {}) {
      const dir = tempDir();
      dirs.push(dir);
      const node = await startNode(dir.path, args, options);
      nodes.push(node);
      return node;
    },
    get first() {
      return nodes[0];
    },
    forget(node) {
      const at = nodes.indexOf(node);
      if (at >= 0) nodes.splice(at, 1);
    },
  };
}
