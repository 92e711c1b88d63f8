/**
 * The client commands whose endpoints other branches provide (events, actors, members, logs),
 * end to end against a small in-process gateway speaking API.md's shapes; and the token.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { auctorBin, runAuctor } from '../support/auctor-cli.js';
import { finished } from '../support/child-process.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('auctor client commands against a fake gateway', function () {
  this.timeout(20_000);
  let server: Server;
  let api: string;
  const routes = new Map<string, Handler>();
  const seen: Array<{ method: string; url: string; authorization?: string; body: string }> = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
        const handler = routes.get(`${req.method} ${req.url}`);
        if (handler) return handler(req, res, body);
        json(res, 404, { error: { type: 'ResourceNotFound', message: `no route: ${req.method} ${req.url}` } });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    routes.clear();
    seen.length = 0;
  });

  it('members prints the API error and exits 1 while the endpoint is missing, a table once it answers', async () => {
    const missing = await runAuctor(['members', '--api', api]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('auctor: no route: GET /v1/members\n');

    routes.set('GET /v1/members', (_q, res) => json(res, 200, [{ name: 'control-1', roles: ['control', 'cell'], address: '127.0.0.1:7777', status: 'up', last_heartbeat: Date.now() - 3000 }]));
    const out = await runAuctor(['members', '--api', api]);
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stdout).to.match(/^NAME\s+ROLES\s+ADDRESS\s+STATUS\s+LAST_HEARTBEAT$/m);
    expect(out.stdout).to.match(/^control-1\s+control,cell\s+127\.0\.0\.1:7777\s+up\s+\ds ago$/m);
  });

  it('sends the bearer token from --token or AUCTOR_TOKEN; a 401 exits 1 with its message', async () => {
    routes.set('GET /v1/cells', (req, res) =>
      req.headers.authorization === 'Bearer s3cret' ? json(res, 200, []) : json(res, 401, { error: { type: 'Unauthorized', message: 'missing or wrong bearer token' } }));
    expect((await runAuctor(['cells', '--api', api, '--token', 's3cret'])).code).to.equal(0);
    expect((await runAuctor(['cells', '--api', api], { env: { AUCTOR_TOKEN: 's3cret' } })).code).to.equal(0);
    const refused = await runAuctor(['cells', '--api', api]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal('auctor: missing or wrong bearer token\n');
    expect(seen.map((s) => s.authorization)).to.deep.equal(['Bearer s3cret', 'Bearer s3cret', undefined]);
  });

  it('tree draws the actors of GET /v1/actors; tree PATH --depth asks for one subtree', async () => {
    const actor = (path: string, kind: string, children: unknown[] = [], extra = {}) =>
      ({ path, name: path.slice(path.lastIndexOf('/') + 1), kind, status: 'running', restarts: 0, lastFailure: null, mailbox: 0, lastMessageAt: null, summary: null, children, ...extra });
    routes.set('GET /v1/actors', (_q, res) => json(res, 200, { nodes: [{ node: 'n1', actors: [actor('/control', 'control', [actor('/control/lrps', 'lrps', [], { restarts: 2, lastFailure: { message: 'boom', at: 1 } })]), actor('/cell', 'cell')] }] }));
    routes.set('GET /v1/actors/n1/control?depth=1', (_q, res) => json(res, 200, actor('/n1/control', 'control', [actor('/n1/control/lrps', 'lrps')])));

    const all = await runAuctor(['tree', '--api', api]);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.equal([
      '/n1',
      '├── control (control) running restarts=0',
      '│   └── lrps (lrps) running restarts=2 last failure: boom',
      '└── cell (cell) running restarts=0',
      '',
      '3 actors',
      '',
    ].join('\n'));

    const sub = await runAuctor(['tree', '/n1/control', '--depth', '1', '--api', api]);
    expect(sub.code, sub.stderr).to.equal(0);
    expect(sub.stdout.split('\n').slice(0, 2)).to.deep.equal(['/n1/control (control) running restarts=0', '└── lrps (lrps) running restarts=0']);
    expect((await runAuctor(['tree', '/n1/nope', '--api', api])).code).to.equal(1);
  });

  it('send posts the JSON message; --ask prints the reply', async () => {
    routes.set('POST /v1/actors/n1/control/lrps/messages', (_q, res) => { res.writeHead(202); res.end(); });
    routes.set('POST /v1/actors/n1/control/lrps/messages?ask=true&timeout_ms=500', (_q, res) => json(res, 200, { count: 3 }));
    const told = await runAuctor(['send', '/n1/control/lrps', '{"type":"lrps/ping"}', '--api', api]);
    expect(told.code, told.stderr).to.equal(0);
    expect(told.stdout).to.equal('sent to /n1/control/lrps\n');
    expect(seen[0]!.body).to.equal('{"type":"lrps/ping"}');
    const asked = await runAuctor(['send', '/n1/control/lrps', '{}', '--ask', '--timeout-ms', '500', '--api', api, '--json']);
    expect(JSON.parse(asked.stdout)).to.deep.equal({ count: 3 });
  });

  it('events prints one line per event until Ctrl-C, then exits 0', async () => {
    routes.set('GET /v1/events', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 0\nevent: desired_lrp_created\ndata: {"desired_lrp":{"process_guid":"web","instances":2}}\n\n');
      res.write('id: 1\nevent: task_changed\ndata: {"before":{"task_guid":"t","state":"PENDING"},"after":{"task_guid":"t","state":"RUNNING"}}\n\n');
    });
    for (const [flags, expected] of [
      [[], '0 desired_lrp_created web instances=2\n1 task_changed t PENDING->RUNNING\n'],
      [['--json'], '{"desired_lrp":{"process_guid":"web","instances":2}}\n{"before":{"task_guid":"t","state":"PENDING"},"after":{"task_guid":"t","state":"RUNNING"}}\n'],
    ] as const) {
      const child = spawn(process.execPath, [auctorBin, 'events', '--api', api, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = finished(child);
      let stdout = '';
      await new Promise<void>((resolve) => child.stdout!.on('data', (d) => (stdout += d) === expected && resolve()));
      child.kill('SIGINT');
      const result = await done;
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal(expected);
    }
  });

  it('events exits 1 when the gateway ends the stream', async () => {
    routes.set('GET /v1/events', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: 0\nevent: cell_disappeared\ndata: {"cell_id":"c1"}\n\n');
    });
    const out = await runAuctor(['events', '--api', api]);
    expect(out.stdout).to.equal('0 cell_disappeared c1\n');
    expect(out.code).to.equal(1);
    expect(out.stderr).to.contain('closed the event stream');
  });

  it('logs GUID reads an LRP\'s logs when the LRP exists, else the task\'s', async () => {
    routes.set('GET /v1/desired_lrps/web', (_q, res) => json(res, 200, { process_guid: 'web' }));
    routes.set('GET /v1/actual_lrps/web/logs?tail=2', (_q, res) => json(res, 200, [{ index: 0, source: 'APP', line: 'hello' }, { index: 1, source: 'APP', line: 'world' }]));
    routes.set('GET /v1/tasks/t1/logs', (_q, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('task says hi\n'); });
    const lrp = await runAuctor(['logs', 'web', '--tail', '2', '--api', api]);
    expect(lrp.code, lrp.stderr).to.equal(0);
    expect(lrp.stdout).to.equal('[APP/0] hello\n[APP/1] world\n');
    const task = await runAuctor(['logs', 't1', '--api', api]);
    expect(task.code, task.stderr).to.equal(0);
    expect(task.stdout).to.equal('task says hi\n');
    const missing = await runAuctor(['logs', 'nope', '--api', api]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('auctor: no route: GET /v1/tasks/nope/logs\n');
  });
});
