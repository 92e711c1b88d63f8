/**
 * A cell-only node's `control-link` (spawnControlLink) across a gap: while no
 * control node is up in the cell's view, reports about instances wait in order and go first once
 * one is (heartbeats of the gap are dropped), and the cell is asked for its container list each
 * time a control node hears from it again. Found by the chaos suite: claims dropped during a
 * control restart left rows UNCLAIMED, a start-up list sent before the join left an orphan.
 */
import { expect } from 'chai';
import type { CellReport } from '../../src/actors/cell.protocol.js';
import { controlNode, spawnControlLink } from '../../src/actors/control-link.js';
import { silentLogger } from '../../src/base/logger.js';
import { ActorSystem } from '../../src/runtime/kernel/system.js';
import { ClusterNode } from '../../src/runtime/cluster/cluster-node.js';
import { eventually } from '../support/eventually.js';
import { FakeRemotingHub } from '../support/fake-remoting.js';

let run = 0;

describe('cluster: a cell node forwards its reports to the control node across a gap', () => {
  let hub: FakeRemotingHub;
  let systems: ActorSystem[];
  let nodes: ClusterNode[];

  beforeEach(() => {
    hub = new FakeRemotingHub();
    systems = [];
    nodes = [];
  });
  afterEach(async () => {
    for (const node of nodes) await node.stop();
    await hub.close();
    for (const system of systems) await system.shutdown();
    expect(hub.handlerErrors).to.deep.equal([]);
  });

  const start = (name: string, roles: string[], seeds: string[]) => {
    const endpoint = hub.endpoint(name);
    const system = ActorSystem.start({ name });
    systems.push(system);
    const node = new ClusterNode({ system, remoting: endpoint, roles, seeds, heartbeatMs: 50, memberTtlMs: 2_000, log: silentLogger() }).start();
    nodes.push(node);
    return { endpoint, system, node };
  };

  const report = (type: 'cell-report/lrp-claimed' | 'cell-report/lrp-stopped', instance_guid: string): CellReport =>
    ({ type, cell_id: 'cell-1', process_guid: 'web', index: 0, instance_guid });
  const heartbeat = { type: 'cell-report/heartbeat', presence: { cell_id: 'cell-1' } } as unknown as CellReport;

  it('holds instance reports in order while no control node is up, sends them first once one is, and asks for a list each time', async () => {
    const suffix = `${process.pid}-${++run}`;
    const control = start(`ctl-${suffix}`, ['control'], []);
    const received: string[] = [];
    control.system.spawnStateless<CellReport>(control.system.root, {
      kind: 'control',
      name: 'control',
      handle: (r) => void received.push(r.type === 'cell-report/heartbeat' ? 'heartbeat' : `${r.type.slice('cell-report/'.length)} ${(r as { instance_guid: string }).instance_guid}`),
    });
    const cell = start(`cell-${suffix}`, ['cell'], [control.endpoint.self.address]);
    const reached: string[] = [];
    const forwarder = spawnControlLink(cell.system, { controlNode: () => controlNode(cell.node), onControlReached: (name) => reached.push(name) });
    await eventually(() => expect(controlNode(cell.node)).to.equal(control.endpoint.self.name));

    cell.system.dispatch(forwarder, heartbeat);
    await eventually(() => expect(received).to.deep.equal(['heartbeat']));
    expect(reached, 'a list asked for at the first report').to.deep.equal([control.endpoint.self.name]);

    hub.partition(cell.endpoint.self.name, control.endpoint.self.name);
    await eventually(() => expect(controlNode(cell.node), 'the control node no longer up').to.equal(undefined), { timeout: 10_000 });
    cell.system.dispatch(forwarder, report('cell-report/lrp-claimed', 'i-1'));
    cell.system.dispatch(forwarder, heartbeat);
    cell.system.dispatch(forwarder, report('cell-report/lrp-stopped', 'i-1'));

    hub.heal(cell.endpoint.self.name, control.endpoint.self.name);
    await eventually(() => expect(controlNode(cell.node)).to.equal(control.endpoint.self.name), { timeout: 10_000 });
    cell.system.dispatch(forwarder, heartbeat);
    await eventually(() => expect(received).to.deep.equal(['heartbeat', 'lrp-claimed i-1', 'lrp-stopped i-1', 'heartbeat']));
    expect(reached, 'a list asked for again after the gap').to.deep.equal([control.endpoint.self.name, control.endpoint.self.name]);
  });
});
