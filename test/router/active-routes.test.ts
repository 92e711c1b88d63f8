/**
 * A router's routes when they come from somewhere that can go away or change (a standby's router
 * reading the active's gateway, src/router/active-routes.ts): a broken stream is followed again
 * and the routes listed again, the last routes keep routing meanwhile, and a switch of source
 * (the node won) reloads from the new one. The remote source against a real HTTP server.
 */
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Observable, Subject } from 'rxjs';
import type { ActualLRP } from '../../src/models/actual-lrp.js';
import type { DesiredLRP } from '../../src/models/desired-lrp.js';
import { Events, type AuctorEvent } from '../../src/models/events.js';
import { remoteRouteSource, SwitchableRouteSource } from '../../src/router/active-routes.js';
import { followRoutes, type RouteSource } from '../../src/router/route-feed.js';
import { silentLogger } from '../../src/base/logger.js';
import { buildActualLrp, buildDesiredLrp } from '../models/builders.js';
import { eventually } from '../support/eventually.js';

const routed = (guid: string, host: string) => buildDesiredLrp({ process_guid: guid, ports: [8080], routes: { 'cf-router': [{ hostnames: [host], port: 8080 }] } });
const running = (guid: string, host_port: number) =>
  buildActualLrp({ process_guid: guid, index: 0, state: 'RUNNING', instance_guid: `${guid}-0`, address: '10.0.0.1', ports: [{ container_port: 8080, host_port }] });
const portsOf = (feed: ReturnType<typeof followRoutes>, host: string) => feed.table.lookup(host)?.map((b) => b.host_port);
const log = silentLogger();

/** A source whose state, stream and failures the test sets. */
class FakeSource implements RouteSource {
  stream = new Subject<AuctorEvent>();
  desired: DesiredLRP[] = [];
  actuals: ActualLRP[] = [];
  lists = 0;
  // each subscription gets the stream as it is when it subscribes
  readonly events$ = new Observable<AuctorEvent>((subscriber) => this.stream.subscribe(subscriber));

  async lrps(): Promise<DesiredLRP[]> {
    this.lists++;
    return this.desired;
  }

  async actualLrps(): Promise<ActualLRP[]> {
    return this.actuals;
  }
}

describe('router: routes from a source that goes away or changes', () => {
  const feeds: Array<ReturnType<typeof followRoutes>> = [];
  afterEach(() => feeds.splice(0).forEach((f) => f.dispose()));
  const follow = (source: RouteSource) => {
    const feed = followRoutes(source, log, 20);
    feeds.push(feed);
    return feed;
  };

  it('a broken stream is subscribed to again and listed again; the last routes route meanwhile', async () => {
    const source = new FakeSource();
    source.desired = [routed('web', 'web.example')];
    source.actuals = [running('web', 61000)];
    const feed = follow(source);
    await feed.loaded;
    expect(portsOf(feed, 'web.example')).to.deep.equal([61000]);

    // the gateway goes away; while it is gone the instance moved
    const broken = source.stream;
    source.stream = new Subject<AuctorEvent>();
    source.actuals = [running('web', 62000)];
    broken.error(new Error('socket hang up'));
    expect(feed.ready).to.equal(true);
    expect(portsOf(feed, 'web.example')).to.deep.equal([61000]);

    await eventually(() => expect(portsOf(feed, 'web.example')).to.deep.equal([62000]));
    expect(source.lists).to.equal(2);
    // and the new stream is followed
    source.stream.next(Events.desiredLrpCreated(routed('api', 'api.example')));
    expect(feed.table.lookup('api.example')).to.deep.equal([]);
    // the old stream no longer counts
    broken.next(Events.desiredLrpCreated(routed('old', 'old.example')));
    expect(feed.table.lookup('old.example')).to.equal(undefined);
  });

  it('a stream that ends is followed again too', async () => {
    const source = new FakeSource();
    const feed = follow(source);
    await feed.loaded;
    const ended = source.stream;
    source.stream = new Subject<AuctorEvent>();
    source.desired = [routed('web', 'web.example')];
    ended.complete();
    await eventually(() => expect(feed.table.lookup('web.example')).to.deep.equal([]));
  });

  it('switching the source (the standby won) reloads from the new one and drops the old stream', async () => {
    const remote = new FakeSource();
    remote.desired = [routed('web', 'web.example')];
    remote.actuals = [running('web', 61000)];
    const local = new FakeSource();
    local.desired = [routed('web', 'web.example')];
    local.actuals = [running('web', 61000), { ...running('web', 61001), index: 1, instance_guid: 'web-1' }];
    const switchable = new SwitchableRouteSource(remote);
    const feed = follow(switchable);
    await feed.loaded;
    expect(portsOf(feed, 'web.example')).to.deep.equal([61000]);

    switchable.switchTo(local);
    expect(portsOf(feed, 'web.example')).to.deep.equal([61000]);
    await eventually(() => expect(portsOf(feed, 'web.example')).to.deep.equal([61000, 61001]));
    remote.stream.next(Events.desiredLrpRemoved(routed('web', 'web.example')));
    expect(portsOf(feed, 'web.example')).to.deep.equal([61000, 61001]);
    local.stream.next(Events.desiredLrpRemoved(routed('web', 'web.example')));
    expect(feed.table.lookup('web.example')).to.equal(undefined);
  });

  describe('the remote source (a real HTTP server as the active gateway)', () => {
    let server: Server;
    let api: string;
    const streams = new Set<ServerResponse>();
    const seen: Array<{ url: string; authorization: string | undefined }> = [];
    let desired: DesiredLRP[] = [];

    beforeEach(async () => {
      desired = [routed('web', 'web.example')];
      server = createServer((request: IncomingMessage, response: ServerResponse) => {
        seen.push({ url: request.url!, authorization: request.headers.authorization });
        if (request.url!.startsWith('/v1/events')) {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          response.write(': events\n\n');
          streams.add(response);
          request.on('close', () => streams.delete(response));
          return;
        }
        const body = request.url === '/v1/desired_lrps' ? desired : request.url === '/v1/actual_lrps' ? [running('web', 61000)] : undefined;
        response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { error: 'no' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      streams.forEach((s) => s.destroy());
      streams.clear();
      seen.length = 0;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('lists and follows the gateway with the token, asking only for the event types that move routes', async () => {
      const feed = follow(remoteRouteSource({ api: () => api, token: 's3cret' }));
      await feed.loaded;
      expect(portsOf(feed, 'web.example')).to.deep.equal([61000]);
      await eventually(() => expect(streams.size).to.equal(1));
      expect(seen.every((s) => s.authorization === 'Bearer s3cret')).to.equal(true);
      const events = seen.find((s) => s.url.startsWith('/v1/events'))!.url;
      expect(events).to.contain('types=desired_lrp_created,desired_lrp_changed,desired_lrp_removed,actual_lrp_instance_created');
      expect(events).not.to.contain('task');

      const [stream] = streams;
      const event = Events.desiredLrpCreated(routed('api', 'api.example'));
      stream!.write(`id: 7\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
      await eventually(() => expect(feed.table.lookup('api.example')).to.deep.equal([]));
    });

    it('with no active yet it retries until there is one; a dropped stream is listed again', async () => {
      let active: string | undefined;
      const feed = follow(remoteRouteSource({ api: () => active }));
      expect(feed.ready).to.equal(false);
      active = api;
      await feed.loaded;
      await eventually(() => expect(streams.size).to.equal(1));
      const lists = seen.filter((s) => s.url === '/v1/desired_lrps').length;
      desired = [routed('web', 'www.example')];
      streams.forEach((s) => s.destroy());
      await eventually(() => expect(feed.table.lookup('www.example')).to.deep.equal([{ address: '10.0.0.1', host_port: 61000, process_guid: 'web', index: 0, instance_guid: 'web-0' }]));
      expect(seen.filter((s) => s.url === '/v1/desired_lrps').length).to.equal(lists + 1);
    });
  });
});
