import { expect } from 'chai';
import { connect } from 'node:net';
import { http, startNode, type NodeProcess } from '../support/gateway-node.js';
import { SseClient, type SseEvent } from '../support/sse.js';
import { eventually } from '../support/eventually.js';
import { tempDir } from '../support/temp-dir.js';

/** A JSON request on a fresh connection; resolves with the status and parsed body. */
async function send(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await http(base, method, path, body);
  return { status: answer.status, body: answer.json };
}

const lrp = (guid: string, instances: number) => ({
  process_guid: guid,
  domain: 'events-test',
  rootfs: 'preloaded:host',
  instances,
  action: { run: { path: 'sh', args: ['-c', 'exec sleep 1000'], user: 'root' } },
});

type Data = Record<string, any>;
const data = (e: SseEvent): Data => JSON.parse(e.data) as Data;
const guidOf = (e: SseEvent): string | undefined => {
  const d = data(e);
  return d.desired_lrp?.process_guid ?? d.actual_lrp?.process_guid ?? d.after?.process_guid;
};
/** `event` plus the instance and the state change, e.g. `actual_lrp_instance_changed 0 UNCLAIMED>CLAIMED`. */
const describeEvent = (e: SseEvent): string => {
  const d = data(e);
  if (e.event === 'actual_lrp_instance_created' || e.event === 'actual_lrp_instance_removed') return `${e.event} ${d.actual_lrp.index} ${d.actual_lrp.state}`;
  if (e.event === 'actual_lrp_instance_changed') return `${e.event} ${d.after.index} ${d.before.state}>${d.after.state}`;
  if (e.event === 'desired_lrp_changed') return `${e.event} ${d.before.instances}>${d.after.instances}`;
  return e.event;
};
const consecutive = (events: SseEvent[]) => {
  const ids = events.map((e) => Number(e.id));
  expect(ids, 'ids').to.deep.equal(ids.map((_, i) => ids[0]! + i));
};

describe('GET /v1/events (a real node)', function () {
  this.timeout(60_000);

  it('ids count from 0: the first change on a fresh node is event 0', async () => {
    const dir = tempDir();
    const node = await startNode(dir.path, ['--roles', 'control']);
    try {
      const client = await SseClient.open(`${node.url}/v1/events`);
      expect((await send(node.url, 'POST', '/v1/desired_lrps', lrp('first', 1))).status).to.equal(201);
      const events = await client.waitFor((e) => e.length >= 2);
      expect(events.slice(0, 2).map((e) => [e.id, e.event])).to.deep.equal([['0', 'desired_lrp_created'], ['1', 'actual_lrp_instance_created']]);
      expect(data(events[1]!).actual_lrp).to.include({ process_guid: 'first', index: 0, state: 'UNCLAIMED' });
      await client.close();
    } finally {
      await node.stop();
      dir.remove();
    }
  });

  describe('on a control and cell node', () => {
    let node: NodeProcess;
    const dir = tempDir();
    before(async () => {
      node = await startNode(
        dir.path,
        ['--name', 'events-node', '--backend', 'process', '--heartbeat-ms', '200', '--convergence-interval-ms', '1000', '--graceful-stop-ms', '1000'],
        { env: { AUCTOR_EVENTS_BUFFER_BYTES: String(64 * 1024), AUCTOR_EVENTS_HEARTBEAT_MS: '200' } },
      );
    });
    after(async () => {
      await node?.stop();
      dir.remove();
    });

    it("streams an LRP's life in order, every subscriber seeing the same ids", async () => {
      const all = await SseClient.open(`${node.url}/v1/events`);
      const desiredOnly = await SseClient.open(`${node.url}/v1/events?types=desired_lrp_created,desired_lrp_changed,desired_lrp_removed`);
      expect(all.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      const life = () => all.events.filter((e) => guidOf(e) === 'life').map(describeEvent);
      const running = (n: number) => life().filter((d) => d.endsWith('CLAIMED>RUNNING')).length === n;

      expect((await send(node.url, 'POST', '/v1/desired_lrps', lrp('life', 1))).status).to.equal(201);
      await all.waitFor(() => running(1), 20_000);
      expect((await send(node.url, 'PATCH', '/v1/desired_lrps/life', { instances: 2 })).status).to.equal(200);
      await all.waitFor(() => running(2), 20_000);
      expect((await send(node.url, 'DELETE', '/v1/desired_lrps/life')).status).to.equal(204);
      await all.waitFor(() => life().filter((d) => d.startsWith('actual_lrp_instance_removed')).length === 2, 20_000);

      expect(life().slice(0, 6)).to.deep.equal([
        'desired_lrp_created',
        'actual_lrp_instance_created 0 UNCLAIMED',
        'actual_lrp_instance_changed 0 UNCLAIMED>CLAIMED',
        'actual_lrp_instance_changed 0 CLAIMED>RUNNING',
        'desired_lrp_changed 1>2',
        'actual_lrp_instance_created 1 UNCLAIMED',
      ]);
      expect(life().slice(6, 8)).to.deep.equal(['actual_lrp_instance_changed 1 UNCLAIMED>CLAIMED', 'actual_lrp_instance_changed 1 CLAIMED>RUNNING']);
      expect(life()[8]).to.equal('desired_lrp_removed');
      expect(life().slice(-2).sort()).to.deep.equal(['actual_lrp_instance_removed 0 RUNNING', 'actual_lrp_instance_removed 1 RUNNING']);
      consecutive(all.events);

      const desired = await desiredOnly.waitFor((e) => e.some((x) => x.event === 'desired_lrp_removed'));
      const idsIn = (events: SseEvent[]) => events.filter((e) => e.event.startsWith('desired_lrp_') && guidOf(e) === 'life').map((e) => `${e.id} ${e.event}`);
      expect(idsIn(desired)).to.deep.equal(idsIn(all.events)).and.to.have.length(3);
      // the heartbeat comes every 200 ms; the life above may be quicker than that
      await eventually(() => expect(all.comments).to.include('heartbeat'), { timeout: 2000 });
      await Promise.all([all.close(), desiredOnly.close()]);
    });

    it('drops a subscriber that stops reading; the node keeps serving and a reading subscriber gets everything', async () => {
      const slow = connect(node.port, '127.0.0.1');
      slow.write('GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => slow.once('data', resolve));
      slow.pause();
      const reader = await SseClient.open(`${node.url}/v1/events?types=desired_lrp_changed`);
      expect((await send(node.url, 'POST', '/v1/desired_lrps', lrp('bulky', 0))).status).to.equal(201);

      // each change carries the annotation twice (before, after): ~18 KiB per event; the
      // kernel's socket buffers take a few MiB before the node has to queue for the client
      const dropped = () => node.logs.some((l) => l.msg === 'gateway.events-subscriber-dropped');
      let patches = 0;
      while (!dropped() && patches < 2000) {
        const annotation = `${patches}`.padEnd(9000, 'x');
        expect((await send(node.url, 'PATCH', '/v1/desired_lrps/bulky', { annotation })).status).to.equal(200);
        patches++;
      }
      const line = await node.waitForLog('gateway.events-subscriber-dropped', 1000);
      expect(line).to.include({ limit_bytes: 64 * 1024 });
      // one more change after the drop still reaches the reader
      expect((await send(node.url, 'PATCH', '/v1/desired_lrps/bulky', { annotation: 'last' })).status).to.equal(200);
      patches++;

      const events = await reader.waitFor((e) => e.length === patches, 20_000);
      const readerIds = events.map((e) => Number(e.id));
      expect(readerIds, 'increasing ids').to.deep.equal([...readerIds].sort((a, b) => a - b));
      expect(events.map((e) => data(e).after.annotation.slice(0, 4).replace(/x+$/, ''))).to.deep.equal([...[...Array(patches - 1).keys()].map(String), 'last']);
      expect((await send(node.url, 'GET', '/v1/ping')).body).to.deep.equal({ available: true });

      // what the slow client did get is whole events with consecutive ids, then the end
      let text = '';
      slow.setEncoding('utf8');
      slow.on('data', (d: string) => (text += d));
      slow.resume();
      await new Promise((resolve) => (slow.closed ? resolve(undefined) : slow.once('close', resolve)));
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids.length, `${patches} patches`).to.be.greaterThan(0);
      expect(ids).to.deep.equal(ids.map((_, i) => ids[0]! + i));
      expect(ids.at(-1)).to.be.lessThan(readerIds.at(-2)!);

      await reader.close();
      expect((await send(node.url, 'DELETE', '/v1/desired_lrps/bulky')).status).to.equal(204);
    });
  });
});
