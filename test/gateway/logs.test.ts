/**
 * `GET /v1/actual_lrps/:guid/logs` and `GET /v1/tasks/:guid/logs` against a real node: the lines
 * the processes print, across an instance's restart, one instance's with `index`, the last
 * `tail`, live with `follow=true`, and 404/400 for what does not exist or does not parse.
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { eventually } from '../support/eventually.js';
import { FAST_FLAGS, http, startNode, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

// prints its index at start, then a line per request, and exits when asked to
const APP = `require('http').createServer((q, s) => { console.log('request ' + q.url); s.end('ok'); if (q.url === '/exit') process.exit(3); }).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening ' + process.env.INSTANCE_INDEX));`;

const lrp = {
  process_guid: 'talker', domain: 'logs', rootfs: 'preloaded:host', instances: 2, memory_mb: 32, ports: [8080],
  action: { run: { path: process.execPath, args: ['-e', APP], user: 'vcap' } },
  check_definition: { checks: [{ tcp_check: { port: 8080 } }] },
};

interface Line { source: string; line: string; index?: number; instance_guid?: string; stream: string }

describe('gateway logs (real node over HTTP)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  const call = (method: string, path: string, body?: unknown) => http(node.url, method, path, body);
  const lines = async (path: string) => (await call('GET', path)).json as Line[];

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, FAST_FLAGS);
  });
  after(async () => {
    await call('DELETE', '/v1/desired_lrps/talker');
    await node.stop();
    dir.remove();
  });

  it("keeps an LRP's lines across instances and restarts; index, tail, follow", async () => {
    expect((await call('POST', '/v1/desired_lrps', lrp)).status).to.equal(201);
    const rows = await eventually(async () => {
      const rows = (await call('GET', '/v1/actual_lrps/talker')).json as any[];
      expect(rows.filter((r) => r.state === 'RUNNING')).to.have.length(2);
      return rows.sort((a, b) => a.index - b.index);
    }, { timeout: 20_000 });
    await eventually(async () => {
      const app = (await lines('/v1/actual_lrps/talker/logs')).filter((l) => l.source.startsWith('APP/PROC/WEB'));
      expect(app.map((l) => [l.index, l.line]).sort()).to.deep.equal([[0, 'listening 0'], [1, 'listening 1']]);
      expect(app.find((l) => l.index === 0)).to.include({ instance_guid: rows[0].instance_guid, stream: 'stdout', source: 'APP/PROC/WEB/0' });
    });
    expect((await lines('/v1/actual_lrps/talker/logs?index=1')).every((l) => l.index === 1)).to.equal(true);
    expect(await lines('/v1/actual_lrps/talker/logs?tail=1')).to.have.length(1);

    // a follower sees new lines as they are printed
    const followed: string[] = [];
    const stream = request(`${node.url}/v1/actual_lrps/talker/logs?follow=true&tail=0&index=0`, { agent: false });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => stream.on('response', resolve).on('error', reject).end());
    expect(response.headers['content-type']).to.match(/^text\/event-stream/);
    response.on('data', (d: Buffer) => followed.push(d.toString()));
    // the opening comment is written once the follower is subscribed
    await eventually(() => expect(followed.join('')).to.contain(': logs of lrp:talker'));
    await fetch(`http://127.0.0.1:${rows[0].ports[0].host_port}/hello`).then((r) => r.text());
    await eventually(() => expect(followed.join('')).to.contain('"line":"request /hello"').and.to.contain('event: log'));

    // the crash's last words stay readable after the restart
    await fetch(`http://127.0.0.1:${rows[0].ports[0].host_port}/exit`).then((r) => r.text()).catch(() => undefined);
    await eventually(async () => {
      const row = (await call('GET', '/v1/actual_lrps/talker/index/0')).json;
      expect(row.crash_count).to.equal(1);
      expect(row.state).to.equal('RUNNING');
    }, { timeout: 20_000 });
    const mine = (await lines('/v1/actual_lrps/talker/logs?index=0')).filter((l) => l.source === 'APP/PROC/WEB/0').map((l) => l.line);
    expect(mine).to.include.members(['listening 0', 'request /exit']);
    expect(mine.filter((l) => l === 'listening 0')).to.have.length(2);
    response.destroy();
  });

  it("serves a task's lines; unknown guids are 404, a bad tail is 400 naming it", async () => {
    const task = { task_guid: 'chatty', domain: 'logs', rootfs: 'preloaded:host', action: { run: { path: 'sh', args: ['-c', 'echo one; echo two >&2'], user: 'vcap' } } };
    expect((await call('POST', '/v1/tasks', task)).status).to.equal(201);
    await eventually(async () => expect((await call('GET', '/v1/tasks/chatty')).json.state).to.equal('COMPLETED'), { timeout: 20_000 });
    const got = await lines('/v1/tasks/chatty/logs');
    expect(got.filter((l) => l.source === 'TASK').map((l) => [l.stream, l.line])).to.deep.include.members([['stdout', 'one'], ['stderr', 'two']]);
    expect((await call('DELETE', '/v1/tasks/chatty')).status).to.equal(204);

    const none = await call('GET', '/v1/tasks/nope/logs');
    expect(none.status).to.equal(404);
    expect(none.json.error.type).to.equal('ResourceNotFound');
    expect((await call('GET', '/v1/actual_lrps/nope/logs')).status).to.equal(404);
    const bad = await call('GET', '/v1/actual_lrps/talker/logs?tail=many');
    expect(bad.status).to.equal(400);
    expect(bad.json.error.message).to.contain('invalid field: tail');
  });
});
