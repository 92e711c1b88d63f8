/** The client's `--api` list (src/cli/client/http.ts): unreachable members passed over, a 307 followed with the token, an election's 503 waited out, a cut POST not repeated. */
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiClient, ApiError } from '../../src/cli/client/http.js';
import { freePort } from '../../src/cli/local-etcd.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

describe('ApiClient with a control group (--api a,b,c)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const serve = async (handler: Handler): Promise<string> => {
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (d) => (body += d));
      request.on('end', () => handler(request, response, body));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  };
  const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

  it('passes over a member that refuses, follows the standby to the active with the token and the body, and keeps asking the active', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const seen: string[] = [];
    const active = await serve((request, response, body) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization} ${body}`);
      json(response, 201, { ok: true });
    });
    const standby = await serve((request, response) => {
      seen.push(`standby ${request.method} ${request.url}`);
      json(response, 307, { error: { type: 'NotLeader', message: 'standby' } }, { location: `${active}${request.url}` });
    });
    const client = new ApiClient({ api: `${dead},${standby}`, token: 't0k' });
    expect(await client.post('/v1/desired_lrps', { process_guid: 'web' })).to.deep.equal({ ok: true });
    expect(seen).to.deep.equal(['standby POST /v1/desired_lrps', 'POST /v1/desired_lrps Bearer t0k {"process_guid":"web"}']);
    expect(client.url).to.equal(active);
    await client.get('/v1/cells');
    expect(seen.at(-1)).to.match(/^GET \/v1\/cells Bearer t0k/);
  });

  it('waits out a 503 with Retry-After (an election), then gets the answer', async () => {
    let asked = 0;
    const node = await serve((_request, response) => {
      asked++;
      if (asked < 3) json(response, 503, { error: { type: 'Unavailable', message: 'no leader' } }, { 'retry-after': '1' });
      else json(response, 200, ['apps']);
    });
    const started = Date.now();
    expect(await new ApiClient({ api: node }).get('/v1/domains')).to.deep.equal(['apps']);
    expect(asked).to.equal(3);
    expect(Date.now() - started).to.be.at.least(1900);
  });

  it('does not repeat a POST whose connection was cut after it was sent; a GET goes to the next member', async () => {
    let posts = 0;
    const cutter = await serve((request) => {
      if (request.method === 'POST') posts++;
      request.socket.destroy();
    });
    const other = await serve((_request, response) => json(response, 200, { from: 'other' }));
    const client = new ApiClient({ api: `${cutter},${other}` });
    const error = await client.post('/v1/tasks', { task_guid: 't' }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ApiError).and.have.property('type', 'Unreachable');
    expect(posts).to.equal(1);
    expect(await client.get('/v1/tasks')).to.deep.equal({ from: 'other' });
  });
});
