import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Observable } from 'rxjs';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';
import { silentLogger } from '../../src/base/logger.js';
import { EventJournal } from '../../src/gateway/event-journal.js';
import { DEFAULT_EVENT_STREAM, registerEventStream } from '../../src/gateway/events.js';
import { buildGateway } from '../../src/gateway/server.js';
import { Events, type AuctorEvent } from '../../src/models/events.js';
import { eventually } from '../support/eventually.js';
import { http } from '../support/gateway-node.js';
import { SseClient } from '../support/sse.js';

/** The hub behind a feed that counts its observers: a leak shows as a count that stays up. */
function countingFeed(hub: EventHub) {
  const feed = {
    observers: 0,
    events$: new Observable<AuctorEvent>((subscriber) => {
      feed.observers++;
      const subscription = hub.events$.subscribe(subscriber);
      return () => {
        feed.observers--;
        subscription.unsubscribe();
      };
    }),
  };
  return feed;
}

const urlOf = (app: FastifyInstance) => {
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
};

describe('GET /v1/events (in process)', function () {
  this.timeout(15_000);

  describe('through the gateway', () => {
    let hub: EventHub;
    let feed: ReturnType<typeof countingFeed>;
    let app: FastifyInstance;
    let url: string;
    const auth = { authorization: 'Bearer t0ken' };

    beforeEach(async () => {
      hub = new EventHub();
      feed = countingFeed(hub);
      const deps = { node: 'n1', control: {} as Control, system: {} as ActorSystem, log: silentLogger(), events: feed, eventStream: { keepEvents: 3 } };
      app = buildGateway(deps, { token: 't0ken' });
      await app.listen({ host: '127.0.0.1', port: 0 });
      url = urlOf(app);
    });
    afterEach(async () => {
      await app.close();
    });

    it('needs the bearer token', async () => {
      const client = await SseClient.open(`${url}/v1/events`);
      await client.ended;
      expect(client.status).to.equal(401);
      expect(JSON.parse(client.body)).to.deep.equal({ error: { type: 'Unauthorized', message: 'missing or wrong bearer token' } });
    });

    it('refuses an unknown type or a malformed Last-Event-ID with 400 naming the field', async () => {
      const types = await SseClient.open(`${url}/v1/events?types=cell_appeared,bogus`, auth);
      await types.ended;
      expect(types.status).to.equal(400);
      expect(JSON.parse(types.body).error).to.deep.equal({ type: 'InvalidRequest', message: 'invalid field: types: "bogus" is not an event type' });
      const last = await SseClient.open(`${url}/v1/events`, { ...auth, 'last-event-id': 'abc' });
      await last.ended;
      expect(last.status).to.equal(400);
      expect(JSON.parse(last.body).error.message).to.match(/^invalid field: Last-Event-ID/);
    });

    it('sends SSE headers and a retry hint, filters by ?types, and keeps the node-wide ids', async () => {
      const client = await SseClient.open(`${url}/v1/events?types=cell_appeared`, auth);
      expect(client.status).to.equal(200);
      expect(client.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(client.headers['cache-control']).to.equal('no-cache');
      hub.publish(Events.cellDisappeared('c0'));
      hub.publish(Events.cellAppeared({ cell_id: 'c1' } as never));
      const events = await client.waitFor((e) => e.length === 1);
      expect(events[0]).to.deep.equal({ id: '1', event: 'cell_appeared', data: '{"cell":{"cell_id":"c1"}}' });
      expect(client.retry).to.equal(DEFAULT_EVENT_STREAM.retryMs);
      await client.close();
    });

    it('takes repeated ?types as their union, and names an unknown one in any of them', async () => {
      const client = await SseClient.open(`${url}/v1/events?types=cell_appeared&types=task_removed,cell_appeared`, auth);
      expect(client.status).to.equal(200);
      hub.publish(Events.cellDisappeared('c0'));
      hub.publish(Events.cellAppeared({ cell_id: 'c1' } as never));
      hub.publish(Events.taskRemoved({ task_guid: 't1' } as never));
      const events = await client.waitFor((e) => e.length === 2);
      expect(events.map((e) => `${e.id}:${e.event}`)).to.deep.equal(['1:cell_appeared', '2:task_removed']);
      await client.close();
      const bad = await http(url, 'GET', '/v1/events?types=cell_appeared&types=bogus', undefined, auth);
      expect(bad.status).to.equal(400);
      expect(bad.json.error).to.deep.equal({ type: 'InvalidRequest', message: 'invalid field: types: "bogus" is not an event type' });
      const head = await http(url, 'HEAD', '/v1/events?types=bogus', undefined, auth);
      expect([head.status, head.text]).to.deep.equal([400, '']);
    });

    it('resumes after Last-Event-ID from the kept events, then goes on live; 410 when they are gone', async () => {
      for (let i = 0; i < 5; i++) hub.publish(Events.cellDisappeared(`c${i}`)); // ids 0..4, kept 2..4
      const client = await SseClient.open(`${url}/v1/events`, { ...auth, 'last-event-id': '1' });
      await client.waitFor((e) => e.length === 3);
      hub.publish(Events.cellDisappeared('c5'));
      const events = await client.waitFor((e) => e.length === 4);
      expect(events.map((e) => e.id)).to.deep.equal(['2', '3', '4', '5']);
      expect(JSON.parse(events[0]!.data)).to.deep.equal({ cell_id: 'c2' });
      await client.close();

      for (const [after, kept] of [['0', 'the oldest kept is 3'], ['6', 'the oldest kept is 3']] as const) {
        const gone = await SseClient.open(`${url}/v1/events`, { ...auth, 'last-event-id': after });
        await gone.ended;
        expect(gone.status).to.equal(410);
        expect(JSON.parse(gone.body).error.message).to.equal(`invalid field: Last-Event-ID: the events after ${after} are not kept (the next id is 6, ${kept}); list the state again and subscribe without it`);
      }
    });

    it('closing the gateway ends open streams and stops reading the hub', async () => {
      const client = await SseClient.open(`${url}/v1/events`, auth);
      expect(feed.observers).to.equal(1);
      await app.close();
      await client.ended;
      expect(feed.observers).to.equal(0);
    });
  });

  describe('subscribers', () => {
    let hub: EventHub;
    let journal: EventJournal;
    let app: FastifyInstance;
    let url: string;
    let logs: Array<{ msg: string; [k: string]: unknown }>;

    beforeEach(async () => {
      hub = new EventHub();
      journal = new EventJournal(hub, { keepEvents: 0, keepBytes: 0 });
      logs = [];
      const sink = new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) });
      app = Fastify();
      registerEventStream(app, journal, { ...DEFAULT_EVENT_STREAM, bufferBytes: 64 * 1024, heartbeatMs: 50 }, pino(sink));
      await app.listen({ host: '127.0.0.1', port: 0 });
      url = urlOf(app);
    });
    afterEach(async () => {
      await app.close();
      journal.dispose();
    });

    it('each gets every event, heartbeats while idle, and leaves no subscription when it disconnects', async () => {
      const clients = await Promise.all([1, 2, 3].map(() => SseClient.open(`${url}/v1/events`)));
      expect(journal.subscriberCount).to.equal(3);
      hub.publish(Events.cellDisappeared('c0'));
      for (const client of clients) expect((await client.waitFor((e) => e.length === 1))[0]!.id).to.equal('0');
      await eventually(() => expect(clients[0]!.comments).to.include('heartbeat'), { timeout: 2000 });
      await Promise.all(clients.map((c) => c.close()));
      await eventually(() => expect(journal.subscriberCount).to.equal(0));
    });

    it('answers HEAD with the status and headers of a GET and no body, and subscribes nothing', async function () {
      this.timeout(5_000); // before the fix a HEAD never got its answer
      const head = await http(url, 'HEAD', '/v1/events?types=cell_appeared');
      expect(head.status).to.equal(200);
      expect(head.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(head.text).to.equal('');
      expect(journal.subscriberCount).to.equal(0);
    });

    it('one that stops reading is dropped past its bound and logged; the others get everything', async () => {
      const slow = connect(Number(new URL(url).port), '127.0.0.1');
      slow.write('GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => slow.once('data', resolve));
      slow.pause();
      const fast = await SseClient.open(`${url}/v1/events`);
      const big = 'x'.repeat(32 * 1024);
      let sent = 0;
      // the kernel's socket buffers take megabytes before the writer has to queue
      while (!logs.some((l) => l.msg === 'gateway.events-subscriber-dropped') && sent < 2000) {
        hub.publish(Events.cellDisappeared(`${big}${sent++}`));
        // a reading client drains between events; a burst beyond the bound would drop it too
        await new Promise((resolve) => setImmediate(resolve));
      }
      const dropped = logs.find((l) => l.msg === 'gateway.events-subscriber-dropped');
      expect(dropped, `not dropped after ${sent} events`).to.not.equal(undefined);
      expect(dropped).to.include({ limit_bytes: 64 * 1024 });
      await eventually(() => expect(journal.subscriberCount).to.equal(1));
      const events = await fast.waitFor((e) => e.length === sent);
      expect(events.map((e) => Number(e.id))).to.deep.equal([...Array(sent).keys()]);
      slow.resume();
      await new Promise((resolve) => (slow.closed ? resolve(undefined) : slow.once('close', resolve)));
      await fast.close();
    });
  });
});
