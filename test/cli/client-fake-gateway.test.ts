/**
 * What a real node does not do on demand: end a stream it is serving. A small in-process server
 * closes `events` and `logs -f` streams, and the commands must exit 1 saying so (a real node's
 * streams are covered in client-observe.test.ts).
 */
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { runAuctor } from '../support/gateway-node.js';

describe('auctor streams a gateway ends', function () {
  this.timeout(20_000);
  let server: Server;
  let api: string;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

  before(async () => {
    server = createServer((req, res) => {
      const handler = routes.get(`${req.method} ${req.url}`);
      if (handler) return handler(req, res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'ResourceNotFound', message: `no route: ${req.method} ${req.url}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('events prints what came, then exits 1 when the gateway ends the stream', async () => {
    routes.set('GET /v1/events', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: 0\nevent: cell_disappeared\ndata: {"cell_id":"c1"}\n\n');
    });
    const out = await runAuctor(['events', '--api', api]);
    expect(out.stdout).to.equal('0 cell_disappeared c1\n');
    expect(out.code).to.equal(1);
    expect(out.stderr).to.equal(`auctor: the gateway at ${api} closed the event stream\n`);
  });

  it('logs -f prints what came, then exits 1 when the gateway ends the stream', async () => {
    routes.set('GET /v1/actual_lrps/web/logs?follow=true', (_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: 0\nevent: log\ndata: ${JSON.stringify({ at: 0, source: 'APP/PROC/WEB/0', stream: 'stdout', line: 'bye', index: 0, instance_guid: 'i' })}\n\n`);
    });
    const out = await runAuctor(['logs', 'web', '-f', '--api', api]);
    expect(out.stdout).to.equal('1970-01-01T00:00:00.000Z [APP/PROC/WEB/0] OUT bye\n');
    expect(out.code).to.equal(1);
    expect(out.stderr).to.equal(`auctor: the gateway at ${api} closed the log stream\n`);
  });
});
