/**
 * Long listings are streamed (src/gateway/json-rows.ts): the node serves other requests while
 * one is written, and the body is byte for byte `JSON.stringify` of the rows.
 */
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import { silentLogger } from '../../src/base/logger.js';
import { jsonArrayChunks, ROWS_PER_CHUNK } from '../../src/gateway/json-rows.js';
import { buildGateway } from '../../src/gateway/server.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';
import { eventually } from '../support/eventually.js';
import { fetchText } from '../support/http.js';

/** An ActualLRP-shaped row of ~400 B (the routes do not look into rows). */
const row = (n: number) => ({
  process_guid: `app-${Math.floor(n / 3)}`,
  index: n % 3,
  domain: n % 2 ? 'odd' : 'even',
  instance_guid: `instance-${n}-5e7f9a1b-3c5d-4f7e-9a1b-3c5d4f7e9a1b`,
  cell_id: `cell-${n % 100}`,
  state: 'RUNNING',
  presence: 'ORDINARY',
  net_info: { address: '10.0.0.1', ports: [{ container_port: 8080, host_port: 61000 + (n % 1000) }] },
  modification_tag: { epoch: `tag-${n}-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`, index: 2 },
  since: 1_700_000_000_000_000_000 + n,
  crash_count: 0,
  placement_error: '\u2603 "quoted" \\ \n',
});

describe('gateway: long listings are streamed', () => {
  let app: FastifyInstance;
  let port: number;
  let rows: object[];
  let serialized = 0;
  const filters: unknown[] = [];

  before(async () => {
    // 40k rows, ~17 MB: more than the loopback socket's buffers hold, so a paused client stops the stream
    rows = Array.from({ length: 40_000 }, (_, n) => {
      const plain = row(n);
      // counts the rows stringified so far; the JSON is that of the plain row
      return { ...plain, toJSON: () => (serialized++, plain) };
    });
    const listing = async (filter: unknown) => (filters.push(filter), rows);
    const control = { actualLrps: listing, lrps: listing, tasks: listing } as unknown as Control;
    app = buildGateway({ node: 'n1', control, system: {} as ActorSystem, log: silentLogger(), events: new EventHub() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  it('answers another request while a long listing is being written', async () => {
    serialized = 0;
    const response = await new Promise<IncomingMessage>((resolve, reject) => get({ host: '127.0.0.1', port, path: '/v1/actual_lrps', agent: false }, resolve).on('error', reject));
    const chunks: Buffer[] = [];
    const first = await new Promise<Buffer>((resolve) => response.once('data', resolve));
    response.pause(); // a slow client: the listing waits for it, the node does not
    chunks.push(first);
    expect(JSON.parse(await fetchText(port, '/v1/ping'))).to.deep.equal({ available: true });
    expect(serialized, 'rows stringified when the ping was answered').to.be.above(0).and.below(rows.length);
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.resume();
    await new Promise((resolve) => response.once('end', resolve));
    expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
    const body = Buffer.concat(chunks).toString('utf8');
    expect(body).to.equal(JSON.stringify(rows));
    expect(JSON.parse(body)).to.have.length(rows.length);
  });

  it('stops stringifying when the client goes away, and answers HEAD', async () => {
    serialized = 0;
    const request = get({ host: '127.0.0.1', port, path: '/v1/actual_lrps', agent: false });
    const response = await new Promise<IncomingMessage>((resolve, reject) => request.on('response', resolve).on('error', reject));
    await new Promise((resolve) => response.once('data', resolve));
    response.pause();
    request.destroy();
    await eventually(async () => {
      const at = serialized;
      await new Promise((resolve) => setImmediate(resolve)); // a turn in which an unstopped stream would stringify its next chunk
      await new Promise((resolve) => setImmediate(resolve));
      expect(serialized, 'rows stringified after the client left').to.equal(at);
    });
    expect(serialized).to.be.below(rows.length);
    expect((await app.inject({ method: 'HEAD', url: '/v1/actual_lrps' })).statusCode).to.equal(200);
  });

  it('sends the bytes of JSON.stringify for every listing route, with the filters', async () => {
    filters.length = 0;
    for (const url of ['/v1/actual_lrps?domain=odd&cell_id=cell-7', '/v1/desired_lrps?domain=odd', '/v1/tasks?cell_id=cell-7']) {
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).to.equal(200);
      expect(answer.body, url).to.equal(JSON.stringify(rows));
    }
    expect(filters).to.deep.equal([{ domain: 'odd', cell_id: 'cell-7' }, { domain: 'odd' }, { cell_id: 'cell-7' }]);
  });

  it('streams exactly JSON.stringify(rows) at every chunk boundary', async () => {
    for (let length = 0; length <= 7; length++) {
      const some = rows.slice(0, length);
      for (let perChunk = 1; perChunk <= 4; perChunk++) {
        let body = '';
        for await (const part of jsonArrayChunks(some, perChunk)) body += part;
        expect(body, `${length} rows, ${perChunk} per chunk`).to.equal(JSON.stringify(some));
      }
    }
  });

  it('sends a short listing in one piece, with its length', async () => {
    const short = rows.slice(0, ROWS_PER_CHUNK);
    const control = { actualLrps: async () => short } as unknown as Control;
    const small = buildGateway({ node: 'n1', control, system: {} as ActorSystem, log: silentLogger(), events: new EventHub() });
    const answer = await small.inject({ method: 'GET', url: '/v1/actual_lrps' });
    await small.close();
    expect(answer.headers['content-length']).to.equal(String(Buffer.byteLength(answer.body)));
    expect(answer.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(answer.body).to.equal(JSON.stringify(short));
  });
});
