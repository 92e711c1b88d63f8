import { expect } from 'chai';
import { request } from 'node:http';
import { eventually } from '../support/eventually.js';
import { startNode, type NodeProcess } from '../support/gateway-node.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';
import { tempDir } from '../support/temp-dir.js';

/** One request on a fresh connection (nothing lingers after the test). */
function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('gateway: GET /metrics (real auctor start)', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  let api: string;

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, ['--name', 'metrics-node', '--backend', 'fake', '--router', 'off']);
    api = node.url;
  });
  after(async () => {
    const code = await node?.stop();
    dir.remove();
    if (node) expect(code, node.output()).to.equal(0);
  });

  it('after 2 instances run: desired 2, running 2, one cell, the auctions and the route latency, as valid exposition', async () => {
    const lrp = { process_guid: 'web', domain: 'apps', rootfs: 'preloaded:busybox', instances: 2, action: { run: { path: 'sleep', args: ['100'], user: 'vcap' } } };
    expect((await call(api, 'POST', '/v1/desired_lrps', lrp)).status).to.equal(201);
    await eventually(async () => {
      const rows = JSON.parse((await call(api, 'GET', '/v1/actual_lrps?process_guid=web')).text) as Array<{ state: string }>;
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
    }, { timeout: 15_000, interval: 100 });
    await call(api, 'GET', '/v1/desired_lrps/web');

    const res = await call(api, 'GET', '/metrics');
    expect(res.status).to.equal(200);
    expect(res.type).to.match(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(res.text);
    expect(sampleValue(samples, 'auctor_lrps_desired')).to.equal(2);
    expect(sampleValue(samples, 'auctor_lrps_running')).to.equal(2);
    expect(sampleValue(samples, 'auctor_lrps_unclaimed')).to.equal(0);
    expect(sampleValue(samples, 'auctor_present_cells')).to.equal(1);
    // every reason a stream can be refused for, from the first scrape (test/runtime/remoting/rejected-flood.test.ts counts them)
    expect(samples.filter((x) => x.name === 'auctor_remoting_rejected_connections_total').map((x) => [x.labels.reason, x.value])).to.deep.equal([['bad-proof', 0], ['protocol-mismatch', 0], ['malformed', 0], ['timeout', 0], ['abandoned', 0]]);
    expect(sampleValue(samples, 'auctor_auctioneer_lrp_auctions_started_total')).to.be.at.least(2);
    expect(sampleValue(samples, 'auctor_auctioneer_lrp_auctions_failed_total')).to.equal(0);
    // the route pattern, never the raw path
    expect(sampleValue(samples, 'auctor_http_request_duration_seconds_count', { method: 'GET', route: '/v1/desired_lrps/:process_guid', status: '200' })).to.equal(1);
    expect(sampleValue(samples, 'auctor_http_request_duration_seconds_count', { method: 'POST', route: '/v1/desired_lrps', status: '201' })).to.equal(1);
    expect(samples.some((s) => s.labels.route?.includes('web'))).to.equal(false);
    expect(sampleValue(samples, 'auctor_actors', { kind: 'actual-lrp' })).to.equal(2);
    expect(sampleValue(samples, 'auctor_event_loop_lag_max_seconds')).to.be.at.least(0);
    expect(sampleValue(samples, 'nodejs_eventloop_lag_seconds'), 'process figures on the node\'s registry').to.be.a('number');
  });

  it('unknown paths share one series', async () => {
    await call(api, 'GET', '/v1/no-such-thing/1');
    await call(api, 'GET', '/v1/no-such-thing/2');
    const samples = parseExposition((await call(api, 'GET', '/metrics')).text);
    expect(sampleValue(samples, 'auctor_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).to.equal(2);
  });
});
