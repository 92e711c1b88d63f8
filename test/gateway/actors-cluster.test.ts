/**
 * `/v1/actors` and `/v1/members` across nodes: three actor systems joined by the fake remoting
 * hub, each with its `/cluster` actor and a gateway (app.inject). Node b runs a `greeter` kind
 * that the other nodes do not have, so its messages can only be checked by b itself.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import { silentLogger } from '../../src/base/logger.js';
import { defineProtocol, field } from '../../src/runtime/kernel/protocol-schema.js';
import type { Ref } from '../../src/runtime/kernel/protocol.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';
import { spawnClusterActor } from '../../src/runtime/cluster/cluster-actor.js';
import type { MemberModel, MemberStatus } from '../../src/runtime/cluster/member.js';
import { Membership } from '../../src/runtime/cluster/membership.js';
import { buildGateway } from '../../src/gateway/server.js';
import { startCluster, type TestCluster } from '../runtime/remoting/remote-harness.js';

type GreeterMsg =
  | { type: 'greet/hello'; name: string; replyTo: Ref<string> }
  | { type: 'greet/poke' }
  | { type: 'greet/silent'; replyTo: Ref<string> };

const GREETER_PROTOCOL = defineProtocol<GreeterMsg>('greeter', {
  'greet/hello': { description: 'says hello', reply: 'required', properties: { name: field.nonEmpty }, required: ['name'] },
  'greet/poke': { description: 'counts a poke', reply: 'none' },
  'greet/silent': { description: 'never answers', reply: 'required' },
});

function spawnGreeter(system: ActorSystem, pokes: string[]): void {
  const parent = system.spawnStateless<never>(system.root, { kind: 'greeters', name: 'greeters', handle: () => {} });
  system.spawnStateless<GreeterMsg>(parent, {
    kind: 'greeter',
    name: 'hello',
    protocol: GREETER_PROTOCOL,
    handle: (msg) => {
      if (msg.type === 'greet/hello') system.dispatch(msg.replyTo, `hello ${msg.name} from ${system.name}`);
      if (msg.type === 'greet/poke') pokes.push(system.name);
    },
  });
}

interface ActorJson {
  path: string;
  kind: string;
  children_count: number;
  children: ActorJson[];
  accepts?: Array<{ type: string; reply: string }>;
}

describe('gateway: /v1/actors and /v1/members across the cluster', () => {
  let cluster: TestCluster;
  let apps: FastifyInstance[];
  let status: Map<string, MemberStatus>;
  let pokes: string[];
  let a: string, b: string, c: string;

  beforeEach(async () => {
    cluster = startCluster(['a', 'b', 'c']);
    [a, b, c] = cluster.nodes.map((n) => n.name) as [string, string, string];
    status = new Map(cluster.nodes.map((n) => [n.name, 'up' as MemberStatus]));
    pokes = [];
    spawnGreeter(cluster.nodes[1]!.system, pokes);
    apps = cluster.nodes.map((node) => {
      // never started: the cluster actor only needs it for cluster/members
      spawnClusterActor(node.system, new Membership({ remoting: node.remoting, roles: [] }));
      const models = (): MemberModel[] => cluster.nodes.map((n, i) => ({
        name: n.name,
        incarnation: n.remoting.self.incarnation,
        roles: i === 0 ? ['control'] : ['cell'],
        address: n.remoting.self.address,
        status: status.get(n.name)!,
        last_heartbeat: n === node ? null : 1_700_000_000_000 + i,
        up_since: 1_600_000_000_000,
        self: n === node,
      }));
      return buildGateway({ node: node.name, control: {} as Control, system: node.system, log: silentLogger(), events: new EventHub(), cluster: { models } });
    });
  });

  afterEach(async () => {
    for (const app of apps) await app.close();
    await cluster.close();
    expect(cluster.hub.handlerErrors).to.deep.equal([]);
  });

  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, on = 0) => {
    const response = await apps[on]!.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: response.statusCode, body: response.body === '' ? undefined : response.json() };
  };

  it('GET /v1/actors lists every node with its own tree, this node first', async () => {
    const { status: code, body } = await call('GET', '/v1/actors');
    expect(code).to.equal(200);
    expect(body.nodes.map((n: { node: string; path: string }) => [n.node, n.path])).to.deep.equal([[a, `/${a}`], [b, `/${b}`], [c, `/${c}`]]);
    const onB = body.nodes[1].actors as ActorJson[];
    expect(onB.map((x) => x.path)).to.deep.equal([`/${b}/cluster`, `/${b}/greeters`]);
    expect(onB[1]!.children.map((x) => [x.path, x.kind])).to.deep.equal([[`/${b}/greeters/hello`, 'greeter']]);
    expect(body.nodes.every((n: { status?: string }) => n.status === undefined)).to.equal(true);

    const shallow = await call('GET', '/v1/actors?depth=1', undefined, 2);
    expect(shallow.body.nodes.map((n: { node: string }) => n.node)).to.deep.equal([c, a, b]);
    const greeters = (shallow.body.nodes[2].actors as ActorJson[]).find((x) => x.path === `/${b}/greeters`)!;
    expect(greeters.children).to.deep.equal([]);
    expect(greeters.children_count).to.equal(1);
  });

  it('GET /v1/actors/<other node>/<path> shows a remote actor with what it accepts; unknown actors and nodes are 404', async () => {
    const one = await call('GET', `/v1/actors/${b}/greeters/hello`);
    expect(one.status).to.equal(200);
    expect(one.body.path).to.equal(`/${b}/greeters/hello`);
    expect(one.body.accepts.map((m: { type: string; reply: string }) => [m.type, m.reply])).to.deep.equal([['greet/hello', 'required'], ['greet/poke', 'none'], ['greet/silent', 'required']]);

    const whole = await call('GET', `/v1/actors/${b}?depth=1`);
    expect(whole.status).to.equal(200);
    expect(whole.body.node).to.equal(b);
    expect(whole.body.actors.map((x: ActorJson) => x.path)).to.deep.equal([`/${b}/cluster`, `/${b}/greeters`]);

    expect(await call('GET', `/v1/actors/${b}/greeters/nope`)).to.deep.equal({ status: 404, body: { error: { type: 'ResourceNotFound', message: `actor not found: /${b}/greeters/nope` } } });
    expect(await call('GET', '/v1/actors/nowhere/control')).to.deep.equal({ status: 404, body: { error: { type: 'ResourceNotFound', message: 'node not found: nowhere' } } });
    expect((await call('GET', `/v1/actors/${b}/cluster?depth=0`)).status).to.equal(400);
  });

  it('POST to a remote actor: an ask gets its reply, a send is delivered, a bad message is the remote 400', async () => {
    expect(await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true`, { type: 'greet/hello', name: 'ops' })).to.deep.equal({ status: 200, body: { reply: `hello ops from ${b}` } });

    expect((await call('POST', `/v1/actors/${b}/greeters/hello/messages`, { type: 'greet/poke' })).status).to.equal(202);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pokes).to.deep.equal([b]);

    // a's gateway has no greeter: only b's protocol knows `name`
    expect(await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true`, { type: 'greet/hello', name: '' })).to.deep.equal({
      status: 400, body: { error: { type: 'InvalidRequest', message: 'invalid field: name: must NOT have fewer than 1 characters' } },
    });
    expect((await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true`, { type: 'greet/hello', name: 'x', extra: 1 })).body.error.message).to.equal('invalid field: extra: not a field of greet/hello');
    expect((await call('POST', `/v1/actors/${b}/greeters/hello/messages`, { type: 'greet/hello', name: 'x' })).body.error.message).to.equal('invalid field: ask: greet/hello has a reply: send it with ?ask=true');
    expect(await call('POST', `/v1/actors/${b}/greeters/nope/messages`, { type: 'x' })).to.deep.equal({ status: 404, body: { error: { type: 'ResourceNotFound', message: `actor not found: /${b}/greeters/nope` } } });
    // cluster/deliver is not for outside: nobody nests a delivery
    const nested = await call('POST', `/v1/actors/${b}/cluster/messages?ask=true`, { type: 'cluster/deliver', path: '/greeters/hello', message: { type: 'greet/poke' }, ask: false, timeout_ms: 100 });
    expect(nested.status).to.equal(400);
    expect(nested.body.error.message).to.match(/^invalid field: type: "cluster\/deliver" is not a message cluster accepts from outside/);
  });

  it('a message too deep or not valid Unicode for another node is a 400 naming the field, not a 503', async () => {
    // 10,000 levels: too deep to encode for remoting, so it once answered 503 "unreachable"
    const deep = '{"type":"greet/hello","name":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    const response = await apps[0]!.inject({ method: 'POST', url: `/v1/actors/${b}/greeters/hello/messages?ask=true`, payload: deep, headers: { 'content-type': 'application/json' } });
    expect({ status: response.statusCode, body: response.json() }).to.deep.equal({
      status: 400, body: { error: { type: 'InvalidRequest', message: 'invalid field: name[0]: nested deeper than 32 levels' } },
    });
    const lone = await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true`, { type: 'greet/hello', name: 'a\ud800' });
    expect(lone).to.deep.equal({ status: 400, body: { error: { type: 'InvalidRequest', message: 'invalid field: name: not valid Unicode (a lone UTF-16 surrogate)' } } });
    expect(await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true`, { type: 'greet/hello', name: 'ops' })).to.deep.equal({ status: 200, body: { reply: `hello ops from ${b}` } });
  });

  it('an ask the remote actor never answers is the remote 504', async () => {
    const silent = await call('POST', `/v1/actors/${b}/greeters/hello/messages?ask=true&timeout_ms=100`, { type: 'greet/silent' });
    expect(silent).to.deep.equal({ status: 504, body: { error: { type: 'Timeout', message: `no reply from /${b}/greeters/hello within 100ms` } } });
  });

  it('a partitioned node is listed unreachable without failing the tree, and its routes answer 503', async () => {
    cluster.hub.partition(a, c);
    const { status: code, body } = await call('GET', '/v1/actors');
    expect(code).to.equal(200);
    expect(body.nodes.map((n: { node: string; status?: string }) => [n.node, n.status ?? 'answered'])).to.deep.equal([[a, 'answered'], [b, 'answered'], [c, 'unreachable']]);
    expect(body.nodes[2].actors).to.deep.equal([]);
    expect(body.nodes[2].reason).to.include(`node ${c} is unreachable`);

    const one = await call('GET', `/v1/actors/${c}/cluster`);
    expect(one.status).to.equal(503);
    expect(one.body.error.type).to.equal('Unavailable');
    expect((await call('POST', `/v1/actors/${c}/cluster/messages?ask=true`, { type: 'cluster/members' })).status).to.equal(503);
    // b still reaches c
    expect((await call('GET', `/v1/actors/${c}/cluster`, undefined, 1)).status).to.equal(200);

    // a member this node judged down is not asked at all
    cluster.hub.heal(a, c);
    status.set(c, 'down');
    const down = await call('GET', '/v1/actors');
    expect(down.body.nodes[2]).to.deep.equal({ node: c, path: `/${c}`, actors: [], status: 'unreachable', reason: `node ${c} is down` });
    expect(await call('GET', `/v1/actors/${c}`)).to.deep.equal({ status: 503, body: { error: { type: 'Unavailable', message: `node ${c} is down` } } });
  });

  it('a member that gets the query but never answers is unreachable after the peer timeout', async function () {
    this.timeout(10_000);
    cluster.hub.dropWhere((envelope, from) => from.name === a && envelope.to === '/cluster');
    const started = Date.now();
    const { body } = await call('GET', '/v1/actors?depth=1');
    expect(Date.now() - started).to.be.within(1_900, 4_000);
    expect(body.nodes.map((n: { status?: string }) => n.status ?? 'answered')).to.deep.equal(['answered', 'unreachable', 'unreachable']);
    expect(body.nodes[1].reason).to.equal(`no answer from node ${b} within 2000ms`);
  });

  it('GET /v1/members lists every member sorted by name, times in ns', async () => {
    const { status: code, body } = await call('GET', '/v1/members', undefined, 1);
    expect(code).to.equal(200);
    expect(body.map((m: { name: string; self: boolean }) => [m.name, m.self])).to.deep.equal([[a, false], [b, true], [c, false]]);
    expect(body[0]).to.deep.equal({
      name: a, roles: ['control'], address: cluster.nodes[0]!.remoting.self.address, status: 'up', incarnation: cluster.nodes[0]!.remoting.self.incarnation,
      last_heartbeat: 1_700_000_000_000 * 1e6, up_since: 1_600_000_000_000 * 1e6, self: false,
    });
    expect(body[1].last_heartbeat).to.equal(null);
  });
});
