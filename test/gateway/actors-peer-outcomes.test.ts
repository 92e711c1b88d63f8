/**
 * What another node's `/cluster` answers is data from the network: the gateway maps a well-formed
 * outcome to HTTP as for its own node (an `InternalError` there is a 500), and anything else, an
 * error code it does not know included, to a 503 naming the node, never a crash or a bogus status.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import { silentLogger } from '../../src/base/logger.js';
import type { AnyRef } from '../../src/runtime/kernel/protocol.js';
import type { MemberModel } from '../../src/runtime/cluster/member.js';
import { buildGateway } from '../../src/gateway/server.js';
import { startCluster, type TestCluster } from '../runtime/remoting/remote-harness.js';

describe('gateway: outcomes another node answers with', () => {
  let cluster: TestCluster;
  let app: FastifyInstance;
  let b: string;
  /** what b's stand-in `/cluster` answers next */
  let answer: unknown;

  beforeEach(() => {
    cluster = startCluster(['a', 'b']);
    const [nodeA, nodeB] = cluster.nodes as [TestCluster['nodes'][0], TestCluster['nodes'][0]];
    b = nodeB.name;
    nodeB.system.spawnStateless<{ replyTo: AnyRef }>(nodeB.system.root, {
      kind: 'cluster',
      name: 'cluster',
      handle: (msg) => void nodeB.system.dispatch(msg.replyTo, answer as never),
    });
    const models = (): MemberModel[] => cluster.nodes.map((n) => ({
      name: n.name, incarnation: n.remoting.self.incarnation, roles: [], address: n.remoting.self.address,
      status: 'up', last_heartbeat: null, up_since: 1_600_000_000_000, self: n === nodeA,
    }));
    app = buildGateway({ node: nodeA.name, control: {} as Control, system: nodeA.system, log: silentLogger(), events: new EventHub(), cluster: { models } });
  });

  afterEach(async () => {
    await app.close();
    await cluster.close();
  });

  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const response = await app.inject({ method, url, ...(payload ? { payload } : {}) });
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
  };

  it('maps each well-formed outcome as for its own node', async () => {
    answer = { ok: false, error: { type: 'InternalError', message: 'internal error; the node logged it' } };
    expect(await call('POST', `/v1/actors/${b}/x/messages?ask=true`, { type: 'x/y' })).to.deep.equal({
      status: 500, body: { error: { type: 'InternalError', message: 'internal error; the node logged it' } },
    });
    answer = { ok: false, error: { type: 'Timeout', message: 'no reply from the cells' } };
    expect(await call('GET', `/v1/actors/${b}/x`)).to.deep.equal({ status: 503, body: { error: { type: 'Unavailable', message: 'no reply from the cells' } } });
    answer = { ok: true, value: { outcome: 'sent' } };
    expect(await call('POST', `/v1/actors/${b}/x/messages`, { type: 'x/y' })).to.deep.equal({ status: 202, body: undefined });
  });

  it('answers 503 naming the node for anything else', async () => {
    const malformed = [
      { status: 200, body: {} },
      { ok: false, error: { type: 'SomethingNew', message: 'from a newer node' } },
      { ok: false, error: 'nope' },
      { ok: true, value: { outcome: 'maybe' } },
      null,
    ];
    for (const bad of malformed) {
      answer = bad;
      expect(await call('POST', `/v1/actors/${b}/x/messages?ask=true`, { type: 'x/y' }), JSON.stringify(bad)).to.deep.equal({
        status: 503, body: { error: { type: 'Unavailable', message: `node ${b} answered with something that is not an outcome` } },
      });
    }
  });
});
