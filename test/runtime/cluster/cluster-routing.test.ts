/**
 * Membership and remote refs on one Remoting endpoint per node, as `auctor start` wires them:
 * real Memberships (real clock, short heartbeats) over the fake hub, the endpoint split between
 * them and the kernel, remote refs finding nodes through the members, and each node's gateway
 * answering for the whole cluster.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Control } from '../../../src/actors/control.js';
import { EventHub } from '../../../src/actors/event-hub.js';
import { silentLogger } from '../../../src/base/logger.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { spawnClusterActor } from '../../../src/runtime/cluster/cluster-actor.js';
import { isMembershipEnvelope, membershipDirectory, splitRemoting } from '../../../src/runtime/cluster/cluster-routing.js';
import { Membership } from '../../../src/runtime/cluster/membership.js';
import { encodeClusterMessage, ClusterMessage } from '../../../src/runtime/cluster/protocol.js';
import { buildGateway } from '../../../src/gateway/server.js';
import { attachRemoting, type RemoteNode } from '../../../src/runtime/remoting/remote-node.js';
import { eventually } from '../../support/eventually.js';
import { FakeRemotingHub } from '../../support/fake-remoting.js';

interface Node {
  name: string;
  system: ActorSystem;
  membership: Membership;
  remote: RemoteNode;
  app: FastifyInstance;
  warnings: string[];
}

let run = 0;

describe('cluster routing: membership and remote refs share an endpoint', () => {
  let hub: FakeRemotingHub;
  let nodes: Node[];

  beforeEach(() => {
    hub = new FakeRemotingHub();
    const suffix = `${process.pid}-${++run}`;
    const endpoints = ['a', 'b', 'c'].map((label) => hub.endpoint(`${label}-${suffix}`));
    const seed = endpoints[0]!.self.address;
    nodes = endpoints.map((endpoint, i) => {
      const name = endpoint.self.name;
      const warnings: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line).msg) });
      const system = ActorSystem.start({ name, logger });
      const split = splitRemoting(endpoint);
      const membership = new Membership({ remoting: split.membership, roles: i === 0 ? ['control'] : ['cell'], seeds: i === 0 ? [] : [seed], heartbeatMs: 50, memberTtlMs: 2000 });
      const remote = attachRemoting(system, split.actors, membershipDirectory(membership));
      spawnClusterActor(system, membership);
      membership.start();
      const app = buildGateway({ node: name, control: {} as Control, system, log: silentLogger(), events: new EventHub(), cluster: membership });
      return { name, system, membership, remote, app, warnings };
    });
  });

  afterEach(async () => {
    for (const node of nodes) {
      await node.app.close();
      node.membership.stop();
      node.remote.detach();
    }
    await hub.close();
    for (const node of nodes) await node.system.shutdown();
    expect(hub.handlerErrors).to.deep.equal([]);
  });

  const get = async (node: Node, url: string) => {
    const response = await node.app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() };
  };

  it('every gateway shows every node and member; neither receiver sees the other\'s envelopes', async () => {
    const names = nodes.map((n) => n.name);
    await eventually(() => {
      for (const node of nodes) expect(node.membership.models().map((m) => [m.name, m.status])).to.have.deep.members(names.map((n) => [n, 'up']));
    });
    for (const node of nodes) {
      const { status, body } = await get(node, '/v1/actors?depth=1');
      expect(status).to.equal(200);
      expect(body.nodes.map((n: { node: string; status?: string; actors: Array<{ path: string }> }) => [n.node, n.status ?? 'answered', n.actors.map((x) => x.path)]))
        .to.deep.equal([node.name, ...names.filter((n) => n !== node.name)].map((n) => [n, 'answered', [`/${n}/cluster`]]));
    }
    const members = await get(nodes[1]!, '/v1/members');
    expect(members.body.map((m: { name: string; roles: string[]; status: string; self: boolean }) => [m.name, m.roles, m.status, m.self]))
      .to.deep.equal([[names[0], ['control'], 'up', false], [names[1], ['cell'], 'up', true], [names[2], ['cell'], 'up', false]]);
    const heard = members.body[0].last_heartbeat as number;
    expect(Math.abs(heard / 1e6 - Date.now())).to.be.below(2_000);

    for (const node of nodes) {
      expect(node.remote.stats().malformed, node.name).to.equal(0);
      expect(node.membership.stats().malformed, node.name).to.equal(0);
      expect(node.warnings, node.name).to.deep.equal([]);
    }
  });

  it('a member judged down is out of the directory: its tree is unreachable at once', async function () {
    this.timeout(10_000);
    const [a, , c] = nodes as [Node, Node, Node];
    await eventually(() => expect(a.membership.member(c.name)?.status).to.equal('up'));
    expect(membershipDirectory(a.membership).address(c.name)).to.equal(hub.identities().find((i) => i.name === c.name)!.address);
    hub.partition(a.name, c.name);
    await eventually(() => expect(a.membership.member(c.name)?.status).to.equal('down'), { timeout: 8_000 });
    expect(membershipDirectory(a.membership).address(c.name)).to.equal(undefined);
    const { body } = await get(a, '/v1/actors?depth=1');
    expect(body.nodes[2]).to.deep.equal({ node: c.name, path: `/${c.name}`, actors: [], status: 'unreachable', reason: `node ${c.name} is down` });
  });

  it('tells membership envelopes from messages for the /cluster actor', () => {
    const heartbeat = encodeClusterMessage(ClusterMessage.leave('x', 1));
    expect(isMembershipEnvelope(heartbeat)).to.equal(true);
    expect(isMembershipEnvelope({ ...heartbeat, type: 'cluster/tree' })).to.equal(false);
    expect(isMembershipEnvelope({ ...heartbeat, to: '/control' })).to.equal(false);
    expect(isMembershipEnvelope({ ...heartbeat, type: 'toString' })).to.equal(false);
  });
});
