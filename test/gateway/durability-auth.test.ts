/**
 * What a 2xx promises (the change is on disk: kill -9 loses none of it, and instances whose
 * processes still run are adopted, not restarted) and the gateway's bearer-token auth.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/eventually.js';
import { fetchText } from '../support/http.js';
import { finished } from '../support/child-process.js';
import { FAST_FLAGS, http, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

describe('gateway durability and auth (real node over HTTP)', function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    if (node) {
      await http(node.url, 'DELETE', '/v1/desired_lrps/web').catch(() => undefined);
      await node.stop();
    }
    node = undefined;
    dir.remove();
  });

  it('kill -9 after 2xx answers: everything is back on restart and running instances are adopted', async () => {
    node = await startNode(dir.path, FAST_FLAGS);
    const call = (method: string, path: string, body?: unknown) => http(node!.url, method, path, body);
    expect((await call('POST', '/v1/desired_lrps', webLrp('web', 2))).status).to.equal(201);
    expect((await call('PUT', '/v1/domains/apps', { ttl: 0 })).status).to.equal(204);
    expect((await call('PATCH', '/v1/desired_lrps/web', { annotation: 'kept' })).status).to.equal(200);
    expect((await call('POST', '/v1/tasks', { task_guid: 'job', domain: 'jobs', rootfs: 'preloaded:host', action: { run: { path: 'sh', args: ['-c', 'echo -n ok > r'], user: 'vcap' } }, result_file: 'r' })).status).to.equal(201);
    // the last change is answered just before the kill: it must survive too
    expect((await call('POST', '/v1/desired_lrps', webLrp('idle', 0))).status).to.equal(201);
    const before = await eventually(async () => {
      const rows = (await call('GET', '/v1/actual_lrps/web')).json as any[];
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
      return rows.sort((a, b) => a.index - b.index);
    }, { timeout: 20_000 });
    await eventually(async () => expect((await call('GET', '/v1/tasks/job')).json.state).to.equal('COMPLETED'), { timeout: 20_000 });

    await node.kill9();
    // the instances' processes outlive the node
    for (const row of before) expect(await fetchText(row.ports[0].host_port)).to.equal(`${row.index} ${row.instance_guid}`);

    node = await startNode(dir.path, FAST_FLAGS);
    expect((await call('GET', '/v1/desired_lrps')).json.map((d: any) => d.process_guid).sort()).to.deep.equal(['idle', 'web']);
    expect((await call('GET', '/v1/desired_lrps/web')).json).to.include({ annotation: 'kept', instances: 2 });
    expect((await call('GET', '/v1/domains')).json).to.deep.equal(['apps']);
    expect((await call('GET', '/v1/tasks/job')).json).to.include({ state: 'COMPLETED', result: 'ok' });
    const after = await eventually(async () => {
      const rows = (await call('GET', '/v1/actual_lrps/web')).json as any[];
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
      return rows.sort((a, b) => a.index - b.index);
    }, { timeout: 20_000 });
    // adopted, not restarted: same instance guids, same ports, no crash
    expect(after.map((r) => [r.instance_guid, r.ports[0].host_port, r.crash_count])).to.deep.equal(before.map((r) => [r.instance_guid, r.ports[0].host_port, 0]));
  });

  it('with --api-token: no token or a wrong one is 401 Unauthorized, the right one passes', async () => {
    node = await startNode(dir.path, ['--api-token', 's3cret']);
    const noToken = await http(node.url, 'GET', '/v1/desired_lrps');
    expect(noToken.status).to.equal(401);
    expect(noToken.json.error.type).to.equal('Unauthorized');
    const wrong = await http(node.url, 'POST', '/v1/desired_lrps', webLrp('web', 0), { authorization: 'Bearer nope' });
    expect(wrong.status).to.equal(401);
    const right = { authorization: 'Bearer s3cret' };
    expect((await http(node.url, 'GET', '/v1/desired_lrps', undefined, right)).json).to.deep.equal([]);
    expect((await http(node.url, 'GET', '/v1/ping', undefined, right)).status).to.equal(200);
  });

  it('refuses to serve a non-loopback --api without a token (exit 2 naming api-token)', async () => {
    const child = spawn(process.execPath, [bin, 'start', '--data', dir.path, '--api', '0.0.0.0:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await finished(child);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('invalid field: api-token');
  });
});
