import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { startNode, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const NODE = 'actors-test';

interface Actor {
  path: string;
  kind: string;
  status: string;
  restarts: number;
  mailbox: number;
  summary: unknown;
  children_count: number;
  children: Actor[];
  accepts?: Array<{ type: string; reply: string }>;
}

function find(actors: Actor[], path: string): Actor | undefined {
  for (const a of actors) {
    if (a.path === path) return a;
    const found = find(a.children, path);
    if (found) return found;
  }
  return undefined;
}

describe('gateway: /v1/actors against `auctor start`', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  let api: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(api + path, {
      method,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const send = (path: string, message: unknown, query = '') => call('POST', `/v1/actors/${NODE}${path}/messages${query}`, message);
  const tree = async (query = ''): Promise<Actor[]> => {
    const { status, body } = await call('GET', `/v1/actors${query}`);
    expect(status).to.equal(200);
    expect(body.nodes.map((n: { node: string }) => n.node)).to.deep.equal([NODE]);
    return body.nodes[0].actors;
  };

  before(async () => {
    dir = tempDir();
    // the fake backend: the instances are in-memory processes, so nothing outlives the node
    node = await startNode(dir.path, ['--name', NODE, '--router', 'off', '--backend', 'fake']);
    api = node.url;
  });

  after(async () => {
    const code = await node?.stop();
    dir?.remove();
    if (node) expect(code, node.output()).to.equal(0);
  });

  it('shows the supervision tree under the node: paths, kinds, status, restarts, mailbox, children', async () => {
    const actors = await tree();
    const control = find(actors, `/${NODE}/control`);
    expect(control).to.include({ kind: 'control', status: 'running', restarts: 0 });
    expect(control!.children.map((c) => c.path)).to.include.members(['lrps', 'tasks', 'convergence', 'auctioneer', 'cells', 'domains'].map((n) => `/${NODE}/control/${n}`));
    const lrps = find(actors, `/${NODE}/control/lrps`)!;
    expect(lrps).to.include({ kind: 'lrps', status: 'running', restarts: 0 });
    expect(lrps.mailbox).to.be.a('number');
    expect(lrps.children).to.be.an('array');
    expect(find(actors, `/${NODE}/cell-${NODE}`)).to.include({ kind: 'cell', status: 'running' });
  });

  it('?depth=N cuts the tree below N levels but still counts the children; a bad depth is a 400 naming it', async () => {
    const top = await tree('?depth=1');
    const control = top.find((a) => a.path === `/${NODE}/control`)!;
    expect(control.children).to.deep.equal([]);
    expect(control.children_count).to.be.at.least(6);
    const two = await tree('?depth=2');
    expect(two.find((a) => a.path === `/${NODE}/control`)!.children.every((c) => c.children.length === 0)).to.equal(true);
    for (const depth of ['0', 'deep']) {
      const bad = await call('GET', `/v1/actors?depth=${depth}`);
      expect(bad.status).to.equal(400);
      expect(bad.body.error.type).to.equal('InvalidRequest');
      expect(bad.body.error.message).to.match(/^invalid field: depth/);
    }
  });

  it('an LRP desired through the API shows its supervisor and one actor per instance', async () => {
    const lrp = { process_guid: 'web', domain: 'd1', rootfs: 'preloaded:host', instances: 2, action: { run: { path: '/bin/sleep', args: ['600'], user: 'root' } } };
    expect((await call('POST', '/v1/desired_lrps', lrp)).status).to.equal(201);
    const supervisor = await eventually(async () => {
      const s = find(await tree(), `/${NODE}/control/lrps/web`);
      expect(s?.children.map((c) => c.path)).to.deep.equal([`/${NODE}/control/lrps/web/0`, `/${NODE}/control/lrps/web/1`]);
      return s!;
    }, { timeout: 10_000 });
    expect(supervisor).to.include({ kind: 'lrp-supervisor', status: 'running' });
    expect(supervisor.children.map((c) => c.kind)).to.deep.equal(['actual-lrp', 'actual-lrp']);
  });

  it('GET one actor: its view, its subtree and the messages it accepts; 404 for an unknown actor or node', async () => {
    const one = await call('GET', `/v1/actors/${NODE}/control/lrps`);
    expect(one.status).to.equal(200);
    expect(one.body).to.include({ path: `/${NODE}/control/lrps`, kind: 'lrps', status: 'running', restarts: 0 });
    expect(one.body.summary).to.deep.equal({ lrps: 1 });
    expect(one.body.children.map((c: Actor) => c.path)).to.deep.equal([`/${NODE}/control/lrps/web`]);
    expect(one.body.accepts.map((m: { type: string }) => m.type)).to.include.members(['lrps/get', 'lrps/list', 'lrps/actuals']);
    const instance = await call('GET', `/v1/actors/${NODE}/control/lrps/web/0`);
    expect(instance.body).to.include({ kind: 'actual-lrp' });
    for (const path of [`/v1/actors/${NODE}/control/nope`, '/v1/actors/other-node/control/lrps']) {
      const missing = await call('GET', path);
      expect(missing.status, path).to.equal(404);
      expect(missing.body.error.type).to.equal('ResourceNotFound');
    }
  });

  it('?ask=true waits for the reply: lrps/get answers the DesiredLRP, an instance its ActualLRP', async () => {
    const got = await send('/control/lrps', { type: 'lrps/get', process_guid: 'web' }, '?ask=true');
    expect(got.status).to.equal(200);
    expect(got.body.reply).to.include({ process_guid: 'web', instances: 2, domain: 'd1' });
    const unknown = await send('/control/lrps', { type: 'lrps/get', process_guid: 'nope' }, '?ask=true');
    expect(unknown).to.deep.equal({ status: 200, body: { reply: null } });
    const actuals = await send('/control/lrps', { type: 'lrps/actuals', filter: { process_guid: 'web', index: 1 } }, '?ask=true');
    expect(actuals.body.reply.map((a: { index: number }) => a.index)).to.deep.equal([1]);
    const row = await send('/control/lrps/web/0', { type: 'actual-lrp/get' }, '?ask=true');
    expect(row.body.reply).to.include({ process_guid: 'web', index: 0 });
  });

  it('a failed Result in a reply serializes its error as {type, message}', async () => {
    const refused = await send('/control/lrps', { type: 'lrps/desire', input: { process_guid: 'bad' } }, '?ask=true');
    expect(refused.status).to.equal(200);
    expect(refused.body.reply).to.deep.equal({ ok: false, error: { type: 'InvalidRequest', message: 'invalid field: domain' } });
    expect((await call('GET', '/v1/desired_lrps/bad')).status).to.equal(404);
  });

  it('a plain send is 202 and reaches the actor', async () => {
    const passes = async () => ((await call('GET', `/v1/actors/${NODE}/control/convergence`)).body.summary as { passes: number }).passes;
    const before = await passes();
    const sent = await send('/control/convergence', { type: 'convergence/run' });
    expect(sent).to.deep.equal({ status: 202, body: undefined });
    await eventually(async () => expect(await passes()).to.be.greaterThan(before));
  });

  it('400 for a message of an unknown type, a wrong field, a missing ask, or an actor that accepts nothing; the actor is unharmed', async () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['/control/lrps', { type: 'lrps/bogus' }, '?ask=true', /^invalid field: type: "lrps\/bogus" is not a message lrps accepts/],
      ['/control/lrps', { type: 'lrps/init' }, '?ask=true', /^invalid field: type/],
      ['/control/lrps', { type: 'lrps/get', process_guid: 7 }, '?ask=true', /^invalid field: process_guid$/],
      ['/control/lrps', { type: 'lrps/get' }, '?ask=true', /^invalid field: process_guid$/],
      ['/control/lrps', { type: 'lrps/actuals', filter: { index: -1 } }, '?ask=true', /^invalid field: filter\.index: /],
      ['/control/lrps', { type: 'lrps/get', process_guid: 'web', extra: 1 }, '?ask=true', /^invalid field: extra: not a field of lrps\/get/],
      ['/control/lrps', { type: 'lrps/get', process_guid: 'web' }, '', /^invalid field: ask: /],
      ['/control/lrps', { process_guid: 'web' }, '?ask=true', /^invalid field: type$/],
      ['/control/lrps', [1, 2], '', /^invalid message/],
      ['/control/lrps', { type: 'lrps/get', process_guid: 'web' }, '?ask=true&timeout_ms=0', /^invalid field: timeout_ms/],
      ['/control/auctioneer', { type: 'auctioneer/flush' }, '', /accepts no messages from outside/],
    ];
    for (const [path, message, query, expected] of cases) {
      const answer = await send(path, message, query);
      expect(answer.status, JSON.stringify(message)).to.equal(400);
      expect(answer.body.error.type).to.equal('InvalidRequest');
      expect(answer.body.error.message).to.match(expected);
    }
    const lrps = await call('GET', `/v1/actors/${NODE}/control/lrps?depth=1`);
    expect(lrps.body).to.include({ status: 'running', restarts: 0, last_failure: null });
  });

  it('404 for a message to an unknown actor or node', async () => {
    for (const path of [`/v1/actors/${NODE}/control/nope/messages`, '/v1/actors/other-node/control/lrps/messages']) {
      const answer = await call('POST', `${path}?ask=true`, { type: 'lrps/get', process_guid: 'web' });
      expect(answer.status, path).to.equal(404);
      expect(answer.body.error.type).to.equal('ResourceNotFound');
    }
  });

  it('504 when no reply comes within timeout_ms: asking a message that has no reply', async () => {
    const started = Date.now();
    const answer = await send('/control/lrps/web/0', { type: 'actual-lrp/retry' }, '?ask=true&timeout_ms=300');
    expect(answer.status).to.equal(504);
    expect(answer.body.error.type).to.equal('Timeout');
    expect(answer.body.error.message).to.contain(`no reply from /${NODE}/control/lrps/web/0 within 300ms`);
    expect(Date.now() - started).to.be.at.least(290);
  });
});
