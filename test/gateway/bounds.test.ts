/**
 * Hostile input through the REST gateway of a real node (issue 12, findings 4, 5, 7 and 9): each
 * body once stored broke the node or an API for good, or came back changed after a restart. Each
 * is now a 400 naming the field, nothing stored changes, and a restart lists and serves what was
 * there before.
 */
import { expect } from 'chai';
import { fetchText } from '../support/http.js';
import { eventually } from '../support/eventually.js';
import { FAST_FLAGS, http, removeAllLrps, runAuctor, startNode, webLrp, type HttpAnswer, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const MAX_INSTANCES = 20;
// a fixed name: the restarted node is the same cell, and adopts the instance it left running
const ARGS = [...FAST_FLAGS, '--name', 'bounds-node', '--max-instances', String(MAX_INSTANCES)];
const task = (guid: string, extra: Record<string, unknown> = {}) => ({
  task_guid: guid, domain: 'jobs', rootfs: 'preloaded:host', action: { run: { path: 'true', user: 'vcap' } }, ...extra,
});
const run = { run: { path: 'sh', user: 'vcap' } };

/** `body` as JSON with `"@DEEP@"` replaced by arrays nested `levels` deep (JSON.stringify would recurse). */
function withDeepJson(body: unknown, levels: number): string {
  return JSON.stringify(body).replace('"@DEEP@"', '['.repeat(levels) + ']'.repeat(levels));
}

describe('gateway bounds: hostile input is refused naming the field and changes nothing (real node)', function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess;
  const call = (method: string, path: string, body?: unknown) => http(node.url, method, path, body);
  const tell = (actor: string, message: unknown) => call('POST', `/v1/actors/${node.name}/control/${actor}/messages?ask=true`, message);

  /** What the node stores, as its API lists it. */
  const stored = async () => ({
    lrps: (await call('GET', '/v1/desired_lrps')).json,
    tasks: ((await call('GET', '/v1/tasks')).json as Array<{ task_guid: string; domain: string; annotation?: string }>).map((t) => [t.task_guid, t.domain, t.annotation]),
    domains: (await call('GET', '/v1/domains')).json,
  });
  let baseline: Awaited<ReturnType<typeof stored>>;

  const refused = (answer: HttpAnswer, field: string): void => {
    expect(answer.status, answer.text).to.equal(400);
    expect(answer.json.error.type, answer.text).to.equal('InvalidRequest');
    expect(answer.json.error.message, answer.text).to.match(new RegExp(`^invalid field: ${field.replace(/[.[\]]/g, '\\$&')}(:|$)`));
  };

  /** An ask the actor answered with its validator's refusal (the message itself was well-formed). */
  const refusedByActor = (answer: HttpAnswer, field: string): void => {
    expect(answer.status, answer.text).to.equal(200);
    expect(answer.json.reply.ok, answer.text).to.equal(false);
    expect(answer.json.reply.error.message, answer.text).to.match(new RegExp(`^invalid field: ${field}(:|$)`));
  };

  before(async () => {
    dir = tempDir();
    node = await startNode(dir.path, ARGS);
    expect((await call('POST', '/v1/desired_lrps', { ...webLrp('keep', 1), routes: { 'cf-router': [{ hostnames: ['keep.example.com'], port: 8080 }] } })).status).to.equal(201);
    // no cell has the tag: the task fails without ever running, so it leaves no container behind
    expect((await call('POST', '/v1/tasks', task('kept', { annotation: 'naïve ☃ 😀', placement_tags: ['nowhere'] }))).status).to.equal(201);
    expect((await call('PUT', '/v1/domains/apps', { ttl: 0 })).status).to.equal(204);
    await eventually(async () => expect((await call('GET', '/v1/actual_lrps/keep/index/0')).json.state).to.equal('RUNNING'), { timeout: 20_000 });
    baseline = await stored();
  });

  afterEach(async () => {
    expect(await stored(), 'nothing stored changed').to.deep.equal(baseline);
  });

  after(async () => {
    await removeAllLrps(node.url).catch(() => undefined);
    await node.stop();
    dir.remove();
  });

  it('finding 4: a number past what the node can honour is refused, instances by the node maximum', async () => {
    const TIMER = 2 ** 31;
    const cases: Array<[string, string, unknown, string]> = [
      ['PATCH', '/v1/desired_lrps/keep', { instances: 4294967296 }, 'instances'],
      ['PATCH', '/v1/desired_lrps/keep', { instances: MAX_INSTANCES + 1 }, 'instances'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), instances: 1e300 }, 'instances'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), memory_mb: 1e300 }, 'memory_mb'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), disk_mb: 2 ** 40 }, 'disk_mb'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), start_timeout_ms: TIMER }, 'start_timeout_ms'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), action: { timeout: { action: run, timeout_ms: TIMER } } }, 'action.timeout.timeout_ms'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), check_definition: { checks: [{ tcp_check: { port: 8080, interval_ms: TIMER } }] } }, 'check_definition.checks[0].tcp_check.interval_ms'],
      ['POST', '/v1/desired_lrps', { ...webLrp('huge'), ports: Array.from({ length: 1000 }, (_, i) => i + 1) }, 'ports'],
      ['POST', '/v1/tasks', task('huge', { max_pids: 1e300 }), 'max_pids'],
      ['POST', '/v1/tasks', task('huge', { action: { run: { ...run.run, resource_limits: { nofile: 2 ** 40 } } } }), 'action.run.resource_limits.nofile'],
      ['PUT', '/v1/domains/apps', { ttl: 1e300 }, 'ttl'],
    ];
    for (const [method, path, body, field] of cases) refused(await call(method, path, body), field);
    expect((await call('PATCH', '/v1/desired_lrps/keep', { instances: MAX_INSTANCES + 1 })).json.error.message).to.contain(`0..${MAX_INSTANCES}`);
    // the document shows this node's maximum
    const schemas = (await call('GET', '/openapi.json')).json.components.schemas;
    expect(schemas.DesiredLRPRequest.properties.instances.maximum).to.equal(MAX_INSTANCES);
    expect(schemas.DesiredLRPUpdate.properties.instances.maximum).to.equal(MAX_INSTANCES);
  });

  it('finding 5: a guid or domain too long for a key is refused, and the lists keep answering', async () => {
    refused(await call('POST', '/v1/tasks', task('t'.repeat(3000))), 'task_guid');
    refused(await call('POST', '/v1/desired_lrps', webLrp('p'.repeat(3000), 0)), 'process_guid');
    refused(await call('POST', '/v1/desired_lrps', { ...webLrp('long-domain', 0), domain: 'd'.repeat(3000) }), 'domain');
    refusedByActor(await tell('tasks', { type: 'tasks/desire', input: task('t'.repeat(3000)) }), 'task_guid');
    refusedByActor(await tell('lrps', { type: 'lrps/desire', input: webLrp('p'.repeat(3000), 0) }), 'process_guid');
    expect((await call('GET', '/v1/tasks')).status).to.equal(200);
    expect((await call('GET', '/v1/desired_lrps')).status).to.equal(200);
  });

  it('finding 7: JSON nested 10,000 deep is refused at the gateway, by REST and by actor message, and the LRP API keeps answering', async () => {
    refused(await call('POST', '/v1/desired_lrps', withDeepJson({ ...webLrp('deep', 0), routes: { r: '@DEEP@' } }, 10_000)), 'routes.r');
    refused(await call('PATCH', '/v1/desired_lrps/keep', withDeepJson({ routes: '@DEEP@' }, 10_000)), 'routes[0]');
    refused(await call('POST', `/v1/actors/${node.name}/control/lrps/messages?ask=true`, withDeepJson({ type: 'lrps/desire', input: { ...webLrp('deep', 0), routes: '@DEEP@' } }, 10_000)), 'input.routes');
    refused(await call('POST', '/v1/desired_lrps', withDeepJson({ ...webLrp('deep', 0), metric_tags: '@DEEP@' }, 40)), 'metric_tags[0]');
    expect((await call('GET', '/v1/desired_lrps')).status).to.equal(200);
    const lrps = (await call('GET', `/v1/actors/${node.name}/control/lrps`)).json;
    expect(lrps.restarts, 'the LRP registry never crashed').to.equal(0);
  });

  it('finding 9: a lone surrogate anywhere in a body is refused', async () => {
    refused(await call('POST', '/v1/desired_lrps', { ...webLrp('lone', 0), routes: { 'cf-router': [{ hostnames: ['a\ud800.example.com'], port: 8080 }] } }), 'routes.cf-router[0].hostnames[0]');
    refused(await call('PATCH', '/v1/desired_lrps/keep', { annotation: 'x\udc00' }), 'annotation');
    refused(await call('POST', '/v1/tasks', task('lone', { env: [{ name: 'A', value: '\ud83d' }] })), 'env[0].value');
    refused(await tell('lrps', { type: 'lrps/update', process_guid: 'keep', input: { routes: { '\ud800': [] } } }), 'input.routes');
  });

  it('a key "__proto__" is refused: the store cannot keep it (found by the property tests)', async () => {
    // before, routes {"r": {"__proto__": 1}} got 201, then read back as {"r": {"__proto_": 1}} after a restart
    const routes = JSON.parse('{"r": {"__proto__": 1}}') as Record<string, unknown>;
    refused(await call('POST', '/v1/desired_lrps', { ...webLrp('proto', 0), routes }), 'routes.r');
    refused(await call('PATCH', '/v1/desired_lrps/keep', { routes }), 'routes.r');
    refused(await tell('lrps', { type: 'lrps/desire', input: { ...webLrp('proto', 0), routes } }), 'input.routes.r');
    expect((await call('GET', '/v1/desired_lrps/proto')).status).to.equal(404);
  });

  it('finding 9: domains with a huge, CR/LF or blank name, or a ttl past 2^32-1, are refused by REST and by actor message', async () => {
    refused(await call('PUT', '/v1/domains/a%0D%0Ab', {}), 'domain');
    refused(await call('PUT', '/v1/domains/%20%20%20', {}), 'domain');
    refused(await call('PUT', `/v1/domains/${'d'.repeat(256)}`, {}), 'domain');
    refused(await call('PUT', '/v1/domains/apps', { ttl: 2 ** 32 }), 'ttl');
    refused(await tell('domains', { type: 'domains/upsert', domain: 'd'.repeat(200_000), body: {} }), 'domain');
    refused(await tell('domains', { type: 'domains/upsert', domain: 'apps\r\n', body: {} }), 'domain');
    refused(await tell('domains', { type: 'domains/upsert', domain: '   ', body: {} }), 'domain');
    refused(await tell('domains', { type: 'domains/upsert', domain: 'apps', body: { ttl: 1e300 } }), 'body.ttl');
  });

  it('after a restart every record is listed and served as it was', async () => {
    expect(await node.stop()).to.equal(0);
    node = await startNode(dir.path, ARGS);
    expect(await stored()).to.deep.equal(baseline);
    const instanceGuid = (await call('GET', '/v1/actual_lrps/keep/index/0')).json.instance_guid;
    // the instance the node left running is adopted and keeps serving
    await eventually(async () => {
      const row = (await call('GET', '/v1/actual_lrps/keep/index/0')).json;
      expect(row).to.include({ state: 'RUNNING', instance_guid: instanceGuid });
      expect(await fetchText(row.ports[0].host_port)).to.equal(`0 ${instanceGuid}`);
    }, { timeout: 20_000, interval: 100 });
  });
});

describe('auctor start --max-instances', function () {
  this.timeout(30_000);

  it('a maximum outside 1..1000000 exits 2 naming the field, as flag or env', async () => {
    const flag = await runAuctor(['start', '--max-instances', '0']);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.contain('invalid field: max-instances: must be in 1..1000000, got 0');
    const env = await runAuctor(['start'], { env: { AUCTOR_MAX_INSTANCES: '4294967296' } });
    expect(env.code).to.equal(2);
    expect(env.stderr).to.contain('invalid field: max-instances: must be in 1..1000000, got 4294967296');
  });
});

describe('auctor start: flags bounded by what the node can honour', function () {
  this.timeout(30_000);

  it('a duration over 2^31-1 ms (which Node would fire at once) exits 2 naming the flag', async () => {
    const flag = await runAuctor(['start', '--crash-backoff-ms', '2147483648']);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.contain('invalid field: crash-backoff-ms: must be in 0..2147483647, got 2147483648');
    const env = await runAuctor(['start'], { env: { AUCTOR_CELL_TTL_MS: '1e300' } });
    expect(env.code).to.equal(2);
    expect(env.stderr).to.contain('invalid field: cell-ttl-ms');
  });

  it('a node name that cannot be a cell id or an actor path segment exits 2 naming the field', async () => {
    for (const name of ['a/b', 'x'.repeat(129), 'bad name', '']) {
      const result = await runAuctor(['start', '--name', name]);
      expect(result.code, name).to.equal(2);
      expect(result.stderr, name).to.contain('invalid field: name');
    }
  });
});

