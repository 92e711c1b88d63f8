/**
 * The router of a real `auctor start` node, driven over HTTP: desired LRPs with cf-router routes
 * become reachable by Host header, follow PATCHes, scaling and deletion, and a busy router port
 * leaves the node running without a router.
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { eventually } from '../support/eventually.js';
import { FAST_FLAGS, http, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const routes = (...hostnames: string[]) => ({ 'cf-router': [{ hostnames, port: 8080 }] });

describe('router (real node over HTTP)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  let router: string;
  const call = (method: string, path: string, body?: unknown) => http(node.url, method, path, body);
  const via = (host: string) => http(router, 'GET', '/', undefined, { host });
  const runningGuids = async (guid: string): Promise<string[]> => {
    const rows = (await call('GET', `/v1/actual_lrps/${guid}`)).json as Array<{ state: string; instance_guid: string }>;
    return rows.filter((r) => r.state === 'RUNNING').map((r) => r.instance_guid).sort();
  };

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, FAST_FLAGS);
    const started = node.output().split('\n').find((l) => l.includes('"auctor.started"'))!;
    router = JSON.parse(started).router;
    expect(router).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(node.output()).to.contain(`"url":"${router}","msg":"router.listening"`);
  });
  after(async () => {
    await call('DELETE', '/v1/desired_lrps/web').catch(() => undefined);
    await eventually(async () => expect((await call('GET', '/v1/actual_lrps/web')).json).to.deep.equal([]), { timeout: 10_000 }).catch(() => undefined);
    expect(await node.stop()).to.equal(0);
    dir.remove();
  });

  it('an unknown host is 404 naming the host', async () => {
    const answer = await via('hello.localhost:8080');
    expect(answer.status).to.equal(404);
    expect(answer.text).to.equal('no route for host hello.localhost\n');
  });

  it('routes a hostname to both instances round-robin, follows a routes PATCH, scaling to 0 and deletion', async () => {
    const created = await call('POST', '/v1/desired_lrps', { ...webLrp('web', 2), routes: routes('web.example') });
    expect(created.status, created.text).to.equal(201);
    const guids = await eventually(async () => {
      const running = await runningGuids('web');
      expect(running).to.have.length(2);
      return running;
    }, { timeout: 20_000 });

    // every instance answers `<index> <instance guid>`; consecutive requests alternate
    const seen = await eventually(async () => {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await via('WEB.example')).text);
      expect(answers.map((a) => a.split(' ')[1]).sort()).to.deep.equal([guids[0], guids[0], guids[1], guids[1]]);
      return answers;
    });
    expect(seen[0]).not.to.equal(seen[1]);
    expect(seen[0]).to.equal(seen[2]);

    const patched = await call('PATCH', '/v1/desired_lrps/web', { routes: routes('www.example') });
    expect(patched.status, patched.text).to.equal(200);
    await eventually(async () => expect((await via('web.example')).status).to.equal(404));
    const moved = await via('www.example');
    expect(moved.status).to.equal(200);
    expect(guids).to.include(moved.text.split(' ')[1]);

    // scaled to 0 the route stays claimed: 503 says "no instance now", unlike an unknown host
    expect((await call('PATCH', '/v1/desired_lrps/web', { instances: 0 })).status).to.equal(200);
    await eventually(async () => {
      const empty = await via('www.example');
      expect([empty.status, empty.text]).to.deep.equal([503, 'no running instance for host www.example\n']);
    }, { timeout: 10_000 });

    expect((await call('DELETE', '/v1/desired_lrps/web')).status).to.be.oneOf([200, 204]);
    await eventually(async () => expect((await via('www.example')).status).to.equal(404));
  });

  it('a busy router port leaves the node running without a router, with a warning', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const other = tempDir();
    let second: NodeProcess | undefined;
    try {
      second = await startNode(other.path, ['--roles', 'control', '--router', `127.0.0.1:${port}`]);
      expect((await http(second.url, 'GET', '/v1/ping')).status).to.equal(200);
      const lines = second.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      expect(lines.find((l) => l.msg === 'router.failed-to-listen').error).to.contain('EADDRINUSE');
      expect(lines.find((l) => l.msg === 'auctor.started')).not.to.have.property('router');
      expect(second.output()).to.contain(`auctor: warning: the router cannot listen on 127.0.0.1:${port}`);
    } finally {
      expect(await second?.stop()).to.equal(0);
      other.remove();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('--router off starts no router', async () => {
    const other = tempDir();
    let second: NodeProcess | undefined;
    try {
      second = await startNode(other.path, ['--roles', 'control', '--router', 'off']);
      expect(second.output()).not.to.contain('router.');
    } finally {
      expect(await second?.stop()).to.equal(0);
      other.remove();
    }
  });
});
