/**
 * The REST gateway's resources, driven only over HTTP against a real `auctor start` process:
 * each endpoint's success and error paths, the body limit, auth, and kill -9 keeping every
 * change that got a 2xx.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { fetchText } from '../support/http.js';
import { FAST_FLAGS, http, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const task = (guid: string, script: string, extra: Record<string, unknown> = {}) => ({
  task_guid: guid,
  domain: 'jobs',
  rootfs: 'preloaded:host',
  action: { run: { path: 'sh', args: ['-c', script], user: 'vcap' } },
  ...extra,
});

describe('gateway resources (real node over HTTP)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => http(node.url, method, path, body, headers);
  const running = (guid: string, count: number) =>
    eventually(async () => {
      const rows = (await call('GET', `/v1/actual_lrps/${guid}`)).json as Array<{ state: string; index: number }>;
      expect(rows.filter((a) => a.state === 'RUNNING').map((a) => a.index).sort(), JSON.stringify(rows)).to.have.length(count);
      return rows.sort((a, b) => a.index - b.index) as any[];
    }, { timeout: 20_000 });

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, FAST_FLAGS);
  });
  after(async () => {
    await call('DELETE', '/v1/desired_lrps/web').catch(() => undefined);
    expect(await node.stop()).to.equal(0);
    dir.remove();
  });

  it('serves its OpenAPI document, listing the resources', async () => {
    const doc = (await call('GET', '/openapi.json')).json;
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths).to.include.keys('/v1/desired_lrps', '/v1/desired_lrps/{process_guid}', '/v1/tasks/{task_guid}/cancel', '/v1/events', '/v1/actors');
    expect(doc.components.schemas).to.include.keys('DesiredLRP', 'ActualLRP', 'Task', 'Error');
  });

  it('ping answers, unknown paths are 404 ResourceNotFound', async () => {
    expect((await call('GET', '/v1/ping')).json).to.deep.equal({ available: true });
    const missing = await call('GET', '/v1/nothing');
    expect(missing.status).to.equal(404);
    expect(missing.json.error.type).to.equal('ResourceNotFound');
  });

  it('desires an LRP: 201 with its modification tag, listed, served on its ports, updated, retired and removed', async () => {
    const created = await call('POST', '/v1/desired_lrps', webLrp());
    expect(created.status, created.text).to.equal(201);
    expect(created.json).to.include({ process_guid: 'web', instances: 2 });
    expect(created.json.modification_tag.index).to.equal(0);
    expect((await call('GET', '/v1/desired_lrps/web')).json.process_guid).to.equal('web');
    expect((await call('GET', '/v1/desired_lrps')).json.map((d: any) => d.process_guid)).to.deep.equal(['web']);
    expect((await call('GET', '/v1/desired_lrps?domain=other')).json).to.deep.equal([]);

    const rows = await running('web', 2);
    for (const row of rows) expect(await fetchText(row.ports[0].host_port)).to.equal(`${row.index} ${row.instance_guid}`);
    expect((await call('GET', '/v1/actual_lrps?cell_id=nope')).json).to.deep.equal([]);
    expect((await call('GET', `/v1/actual_lrps?process_guid=web&cell_id=${rows[0].cell_id}`)).json).to.have.length(2);
    const one = await call('GET', '/v1/actual_lrps/web/index/1');
    expect(one.json).to.include({ process_guid: 'web', index: 1, state: 'RUNNING', presence: 'ORDINARY' });

    const patched = await call('PATCH', '/v1/desired_lrps/web', { instances: 3, annotation: 'v2' });
    expect(patched.status, patched.text).to.equal(200);
    expect(patched.json).to.include({ instances: 3, annotation: 'v2' });
    expect(patched.json.modification_tag).to.deep.equal({ epoch: created.json.modification_tag.epoch, index: 1 });
    await running('web', 3);

    // retiring index 0 stops it; a fresh instance with another guid takes its place
    const before = rows[0].instance_guid;
    expect((await call('DELETE', '/v1/actual_lrps/web/index/0')).status).to.equal(204);
    await eventually(async () => {
      const row = (await call('GET', '/v1/actual_lrps/web/index/0')).json;
      expect(row.state).to.equal('RUNNING');
      expect(row.instance_guid).to.not.equal(before);
    }, { timeout: 20_000 });

    const ports = (await running('web', 3)).map((r) => r.ports[0].host_port);
    expect((await call('DELETE', '/v1/desired_lrps/web')).status).to.equal(204);
    expect((await call('GET', '/v1/desired_lrps/web')).status).to.equal(404);
    expect((await call('GET', '/v1/actual_lrps/web')).json).to.deep.equal([]);
    // deleting stops the processes: nothing answers on their ports any more
    for (const port of ports) await eventually(async () => expect(await fetchText(port).then(() => 'served', () => 'refused')).to.equal('refused'));
  });

  it('refuses bad LRP requests with 4xx naming the field, and changes nothing', async () => {
    const cases: Array<[string, string, unknown, number, string, string]> = [
      ['POST', '/v1/desired_lrps', { ...webLrp('bad'), process_guid: 'has space' }, 400, 'InvalidRequest', 'invalid field: process_guid'],
      ['POST', '/v1/desired_lrps', { ...webLrp('bad'), rootfs: 'nothing' }, 400, 'InvalidRequest', 'invalid field: rootfs'],
      ['POST', '/v1/desired_lrps', { ...webLrp('bad'), instances: -1 }, 400, 'InvalidRequest', 'invalid field: instances'],
      ['POST', '/v1/desired_lrps', { ...webLrp('bad'), action: { run: {}, serial: {} } }, 400, 'InvalidRequest', 'invalid field: action'],
      ['POST', '/v1/desired_lrps', { ...webLrp('bad'), annotation: 'x'.repeat(10 * 1024 + 1) }, 400, 'InvalidRequest', 'invalid field: annotation'],
      ['POST', '/v1/desired_lrps', '{"process_guid": ', 400, 'InvalidJSON', 'invalid JSON'],
      ['POST', '/v1/desired_lrps', undefined, 400, 'InvalidRequest', 'invalid field'],
      ['PATCH', '/v1/desired_lrps/bad', { instances: 1 }, 404, 'ResourceNotFound', 'bad'],
      ['GET', '/v1/desired_lrps/bad', undefined, 404, 'ResourceNotFound', 'bad'],
      ['DELETE', '/v1/desired_lrps/bad', undefined, 404, 'ResourceNotFound', 'bad'],
      ['GET', '/v1/actual_lrps/bad/index/x', undefined, 400, 'InvalidRequest', 'invalid field: index'],
      ['GET', '/v1/actual_lrps/bad/index/0', undefined, 404, 'ResourceNotFound', 'bad'],
      ['DELETE', '/v1/actual_lrps/bad/index/0', undefined, 404, 'ResourceNotFound', 'bad'],
    ];
    for (const [method, path, body, status, type, message] of cases) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}: ${answer.text}`).to.equal(status);
      expect(answer.json.error.type, answer.text).to.equal(type);
      expect(answer.json.error.message, answer.text).to.contain(message);
    }
    expect((await call('GET', '/v1/desired_lrps')).json).to.deep.equal([]);

    expect((await call('POST', '/v1/desired_lrps', webLrp('twice', 0))).status).to.equal(201);
    const again = await call('POST', '/v1/desired_lrps', { ...webLrp('twice', 0), instances: 5 });
    expect(again.status).to.equal(409);
    expect(again.json.error.type).to.equal('ResourceExists');
    const patch = await call('PATCH', '/v1/desired_lrps/twice', { rootfs: 'preloaded:other' });
    expect(patch.status).to.equal(400);
    expect(patch.json.error.message).to.contain('rootfs');
    const stored = (await call('GET', '/v1/desired_lrps/twice')).json;
    expect(stored).to.include({ instances: 0, rootfs: 'preloaded:host' });
    expect((await call('DELETE', '/v1/desired_lrps/twice')).status).to.equal(204);
  });

  it('runs a task to its result, resolves it, and refuses what the task table forbids', async () => {
    const created = await call('POST', '/v1/tasks', task('t1', 'echo -n 42 > out', { result_file: 'out' }));
    expect(created.status, created.text).to.equal(201);
    expect(created.json).to.include({ task_guid: 't1', state: 'PENDING' });
    expect((await call('POST', '/v1/tasks', task('t1', 'true'))).json.error.type).to.equal('ResourceExists');
    const done = await eventually(async () => {
      const t = (await call('GET', '/v1/tasks/t1')).json;
      expect(t.state).to.equal('COMPLETED');
      return t;
    }, { timeout: 20_000 });
    expect(done).to.include({ failed: false, result: '42' });
    expect((await call('GET', '/v1/tasks?domain=jobs')).json.map((t: any) => t.task_guid)).to.deep.equal(['t1']);
    expect((await call('GET', '/v1/tasks?domain=other')).json).to.deep.equal([]);
    const cancelDone = await call('POST', '/v1/tasks/t1/cancel');
    expect(cancelDone.status).to.equal(409);
    expect(cancelDone.json.error.type).to.equal('InvalidStateTransition');
    expect((await call('DELETE', '/v1/tasks/t1')).status).to.equal(204);
    expect((await call('GET', '/v1/tasks/t1')).status).to.equal(404);
    expect((await call('DELETE', '/v1/tasks/t1')).status).to.equal(404);
    expect((await call('POST', '/v1/tasks/t1/cancel')).status).to.equal(404);
    const bad = await call('POST', '/v1/tasks', { ...task('t2', 'true'), memory_mb: 'lots' });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.contain('invalid field: memory_mb');
  });

  it('cancels a running task: it completes failed with "task was cancelled"', async () => {
    expect((await call('POST', '/v1/tasks', task('sleeper', 'sleep 30'))).status).to.equal(201);
    await eventually(async () => expect((await call('GET', '/v1/tasks/sleeper')).json.state).to.equal('RUNNING'), { timeout: 20_000 });
    expect((await call('POST', '/v1/tasks/sleeper/cancel')).status).to.equal(204);
    const t = (await call('GET', '/v1/tasks/sleeper')).json;
    expect(t).to.include({ state: 'COMPLETED', failed: true, failure_reason: 'task was cancelled' });
    expect((await call('DELETE', '/v1/tasks/sleeper')).status).to.equal(204);
  });

  it('a task no cell can hold fails with insufficient resources', async () => {
    // 1 TiB, the most a task may ask for: more than the cell measured
    expect((await call('POST', '/v1/tasks', task('huge', 'true', { memory_mb: 1024 * 1024 }))).status).to.equal(201);
    const t = await eventually(async () => {
      const t = (await call('GET', '/v1/tasks/huge')).json;
      expect(t.state).to.equal('COMPLETED');
      return t;
    }, { timeout: 20_000 });
    expect(t.failed).to.equal(true);
    expect(t.failure_reason).to.contain('insufficient resources: memory');
    expect((await call('DELETE', '/v1/tasks/huge')).status).to.equal(204);
  });

  it('domains: fresh for a TTL or forever; a bad ttl is refused naming it', async () => {
    expect((await call('PUT', '/v1/domains/apps', { ttl: 0 })).status).to.equal(204);
    expect((await call('PUT', '/v1/domains/jobs', { ttl: 3600 })).status).to.equal(204);
    expect((await call('GET', '/v1/domains')).json).to.deep.equal(['apps', 'jobs']);
    const bad = await call('PUT', '/v1/domains/x', { ttl: -5 });
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.contain('invalid field: ttl');
    expect((await call('GET', '/v1/domains')).json).to.deep.equal(['apps', 'jobs']);
  });

  it('cells: the live cell with its capacity and what is free', async () => {
    const cells = (await call('GET', '/v1/cells')).json;
    expect(cells).to.have.length(1);
    expect(cells[0]).to.include({ zone: 'z1', reachable: true, evacuating: false });
    expect(cells[0].capacity.containers).to.equal(250);
    expect(cells[0].available_resources.containers).to.be.at.most(250);
  });

  it('refuses a 20 MB body with 413 and keeps serving', async () => {
    const huge = Buffer.alloc(20 * 1024 * 1024, 'a');
    const answer = await call('POST', '/v1/desired_lrps', huge).catch((error: Error) => ({ status: 0, json: undefined, text: error.message }));
    // the server answers 413 and closes; a client still writing may see the reset instead
    if (answer.status !== 0) {
      expect(answer.status).to.equal(413);
      expect(answer.json.error.message).to.equal('request body larger than the limit of 1048576 bytes');
    } else expect(answer.text).to.match(/EPIPE|ECONNRESET|socket hang up/);
    expect((await call('GET', '/v1/ping')).json).to.deep.equal({ available: true });
    expect((await call('GET', '/v1/desired_lrps')).json).to.deep.equal([]);
  });

  // last: the drained cell takes no more work
  it('evacuate: 404 for an unknown cell; 202 for the live one, which then shows evacuating and refuses work', async () => {
    const unknown = await call('POST', '/v1/cells/nope/evacuate');
    expect(unknown.status).to.equal(404);
    expect(unknown.json.error).to.deep.equal({ type: 'ResourceNotFound', message: 'cell not found: nope' });
    const [cell] = (await call('GET', '/v1/cells')).json;
    const accepted = await call('POST', `/v1/cells/${cell.cell_id}/evacuate`);
    expect(accepted.status, accepted.text).to.equal(202);
    expect((await call('GET', '/v1/cells')).json[0]).to.include({ cell_id: cell.cell_id, evacuating: true });
    expect((await call('POST', '/v1/desired_lrps', webLrp('late', 1))).status).to.equal(201);
    await eventually(async () => expect((await call('GET', '/v1/actual_lrps/late/index/0')).json.placement_error).to.not.equal(''));
    expect((await call('DELETE', '/v1/desired_lrps/late')).status).to.equal(204);
  });
});
