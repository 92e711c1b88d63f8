/**
 * Several actor systems in one process, joined by the fake remoting hub: one per node name,
 * each with a log sink the tests read. Systems get unique names per run (nact's system map is
 * process-global), so node names are `<label>-<run>`.
 */
import { pino } from 'pino';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import type { Clock } from '../../../src/base/clock.js';
import { attachRemoting, type RemoteNode } from '../../../src/runtime/remoting/remote-node.js';
import { StaticNodeDirectory } from '../../../src/runtime/remoting/remote-directory.js';
import { FakeRemotingHub, type FakeRemoting } from '../../support/fake-remoting.js';

export interface TestNode {
  name: string;
  system: ActorSystem;
  remoting: FakeRemoting;
  remote: RemoteNode;
  logs: Array<{ msg: string; [field: string]: unknown }>;
}

export interface TestCluster {
  hub: FakeRemotingHub;
  directory: StaticNodeDirectory;
  nodes: TestNode[];
  close(): Promise<void>;
}

let run = 0;

export function startCluster(labels: string[], options: { clock?: Clock } = {}): TestCluster {
  const hub = new FakeRemotingHub();
  const suffix = `${process.pid}-${++run}`;
  const nodes = labels.map((label): TestNode => {
    const name = `${label}-${suffix}`;
    const logs: TestNode['logs'] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    const system = ActorSystem.start({ name, logger, ...(options.clock ? { clock: options.clock } : {}) });
    return { name, system, remoting: hub.endpoint(name), remote: undefined as unknown as RemoteNode, logs };
  });
  const directory = new StaticNodeDirectory(hub.identities());
  for (const node of nodes) node.remote = attachRemoting(node.system, node.remoting, directory);
  return {
    hub,
    directory,
    nodes,
    async close() {
      for (const node of nodes) node.remote.detach();
      await hub.close();
      for (const node of nodes) await node.system.shutdown();
    },
  };
}
