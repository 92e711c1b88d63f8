/**
 * `GET /openapi.json`: a gateway built in-process on a control subtree with fake cells (memory
 * engine), driven with `app.inject`. The document lists API.md's routes, every `$ref` resolves,
 * and what the gateway really answers conforms to the schema the document names for it.
 */
import { expect } from 'chai';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildGateway } from '../../src/gateway/server.js';
import { silentLogger } from '../../src/base/logger.js';
import { eventually } from '../support/eventually.js';
import { schemaSet, type SchemaSet } from '../support/json-schema.js';
import { lrpJson, startHarness, type Harness } from '../actors/control-harness.js';
import { FAKE_ROOTFS } from '../support/fake-cells.js';

type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { requestBody?: { required: boolean; content: Record<string, { schema: unknown }> }; responses: Record<string, { content?: Record<string, unknown> }>; parameters?: Array<{ name: string; in: string }> }>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  security: unknown[];
};

// API.md's table, verb and path as fastify writes them (`<path>` is a wildcard)
const API_TABLE: [string, string][] = [
  ['GET', '/v1/ping'], ['GET', '/v1/domains'], ['PUT', '/v1/domains/:domain'],
  ['POST', '/v1/desired_lrps'], ['GET', '/v1/desired_lrps'], ['GET', '/v1/desired_lrps/:process_guid'],
  ['PATCH', '/v1/desired_lrps/:process_guid'], ['DELETE', '/v1/desired_lrps/:process_guid'],
  ['GET', '/v1/actual_lrps'], ['GET', '/v1/actual_lrps/:process_guid'], ['GET', '/v1/actual_lrps/:process_guid/index/:index'],
  ['DELETE', '/v1/actual_lrps/:process_guid/index/:index'],
  ['POST', '/v1/tasks'], ['GET', '/v1/tasks'], ['GET', '/v1/tasks/:task_guid'], ['POST', '/v1/tasks/:task_guid/cancel'], ['DELETE', '/v1/tasks/:task_guid'],
  ['GET', '/v1/quarantine'], ['GET', '/v1/cells'], ['POST', '/v1/cells/:cell_id/evacuate'], ['GET', '/v1/members'], ['GET', '/v1/events'],
  ['GET', '/v1/actual_lrps/:process_guid/logs'], ['GET', '/v1/tasks/:task_guid/logs'],
  ['GET', '/v1/actual_lrps/:process_guid/:index/placement'], ['GET', '/v1/tasks/:task_guid/placement'], ['GET', '/v1/actual_lrps/:process_guid/:index/timeline'],
  ['GET', '/v1/actors'], ['GET', '/v1/actors/*'], ['POST', '/v1/actors/*'],
  ['GET', '/metrics'], ['GET', '/openapi.json'],
];
// the routes this gateway has whatever else is registered: the document must list them
const ALWAYS = API_TABLE.filter(([, url]) => /^\/v1\/(ping|domains|desired_lrps|actual_lrps\/:process_guid(\/index|\/:index|$)|actual_lrps$|tasks(\/:task_guid(\/cancel|\/placement)?)?$|quarantine$|cells$)|^\/openapi\.json$/.test(url));

const toOpenApi = (url: string) => url.replace(/:([a-z_]+)/g, '{$1}').replace(/\*$/, '{path}');

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

describe('gateway: /openapi.json', () => {
  let h: Harness;
  let app: FastifyInstance;
  let doc: Doc;
  let schemas: SchemaSet;

  before(async () => {
    h = startHarness();
    h.cells.add('cell-1');
    h.cells.heartbeatAll();
    app = buildGateway({ node: 'control-1', control: h.control, system: h.system, log: silentLogger(), events: h.control.events });
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).to.equal(200);
    expect(response.headers['content-type']).to.match(/^application\/json/);
    doc = response.json();
    schemas = schemaSet(doc);
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  it('is an OpenAPI 3.1 document with info, paths, the models as components and bearer auth', () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.info.title).to.equal('Auctor');
    expect(doc.info.version).to.match(/^\d+\.\d+\.\d+/);
    expect(Object.keys(doc.paths).length).to.be.greaterThan(10);
    expect(doc.components.schemas).to.include.keys('DesiredLRPRequest', 'DesiredLRP', 'DesiredLRPUpdate', 'ActualLRP', 'TaskRequest', 'Task', 'DomainRequest', 'Cell', 'Error', 'Action', 'CheckDefinition', 'EnvVar', 'PortMapping', 'ModificationTag', 'Event');
    expect(doc.components.securitySchemes['bearer']).to.deep.include({ type: 'http', scheme: 'bearer' });
    expect(doc.security).to.deep.equal([{ bearer: [] }]);
  });

  it("lists every route of API.md's table the gateway serves, under OpenAPI's {param} paths", () => {
    for (const [method, url] of ALWAYS) expect(app.hasRoute({ method, url }), `${method} ${url} is served`).to.equal(true);
    const served = API_TABLE.filter(([method, url]) => app.hasRoute({ method, url }));
    expect(served.length).to.be.at.least(ALWAYS.length);
    for (const [method, url] of served) expect(doc.paths[toOpenApi(url)]?.[method.toLowerCase()], `${method} ${url}`).to.be.an('object');
    expect(Object.keys(doc.paths).some((path) => path.includes(':'))).to.equal(false);
    const index = doc.paths['/v1/actual_lrps/{process_guid}/index/{index}']!['get']!;
    expect(index.parameters).to.deep.equal([
      { name: 'process_guid', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'index', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
    ]);
    expect(doc.paths['/v1/actual_lrps']!['get']!.parameters!.map((p) => `${p.in}:${p.name}`)).to.deep.equal(['query:domain', 'query:cell_id', 'query:process_guid']);
  });

  it('every $ref resolves to a component, and every schema compiles strictly', () => {
    const refs = refsIn(doc);
    expect(refs.length).to.be.greaterThan(20);
    for (const ref of refs) {
      expect(ref).to.match(/^#\/components\/schemas\//);
      expect(doc.components.schemas, ref).to.have.property(ref.slice('#/components/schemas/'.length));
    }
    for (const name of Object.keys(doc.components.schemas)) expect(() => schemas.component(name), name).not.to.throw();
  });

  it('bodies refer to the request models; an empty domain body is allowed', () => {
    const body = (path: string, verb: string) => doc.paths[path]![verb]!.requestBody!;
    expect(body('/v1/desired_lrps', 'post')).to.deep.equal({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/DesiredLRPRequest' } } } });
    expect(body('/v1/desired_lrps/{process_guid}', 'patch').content['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/DesiredLRPUpdate' });
    expect(body('/v1/tasks', 'post').content['application/json']!.schema).to.deep.equal({ $ref: '#/components/schemas/TaskRequest' });
    expect(body('/v1/domains/{domain}', 'put').required).to.equal(false);
  });

  describe('what the gateway answers conforms to the document', () => {
    /** Sends the request and validates the answer against the schema the document gives for its status. */
    async function conforms(path: string, options: InjectOptions & { method: string }, status: number): Promise<unknown> {
      const response = await app.inject(options);
      expect(response.statusCode, `${options.method} ${options.url}: ${response.body}`).to.equal(status);
      const verb = options.method.toLowerCase();
      const declared = doc.paths[path]?.[verb]?.responses[String(status)];
      expect(declared, `${options.method} ${path} declares ${status}`).to.be.an('object');
      if (!declared!.content) {
        expect(response.body, 'no body').to.equal('');
        return undefined;
      }
      const validate = schemas.at('paths', path, verb, 'responses', String(status), 'content', 'application/json', 'schema');
      const body = response.json();
      expect(validate(body), `${options.method} ${options.url} ${status}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      return body;
    }

    it('domains, DesiredLRPs, ActualLRPs, tasks, cells and errors', async () => {
      await conforms('/v1/ping', { method: 'GET', url: '/v1/ping' }, 200);
      await conforms('/v1/domains/{domain}', { method: 'PUT', url: '/v1/domains/apps', payload: { ttl: 0 } }, 204);
      await conforms('/v1/domains/{domain}', { method: 'PUT', url: '/v1/domains/apps', payload: { ttl: -1 } }, 400);
      expect(await conforms('/v1/domains', { method: 'GET', url: '/v1/domains' }, 200)).to.deep.equal(['apps']);

      const lrp = lrpJson('web', { instances: 2, annotation: 'a', routes: { 'cf-router': [{ hostnames: ['web.example.com'], port: 8080 }] } });
      await conforms('/v1/desired_lrps', { method: 'POST', url: '/v1/desired_lrps', payload: lrp }, 201);
      await conforms('/v1/desired_lrps', { method: 'POST', url: '/v1/desired_lrps', payload: lrp }, 409);
      await conforms('/v1/desired_lrps', { method: 'POST', url: '/v1/desired_lrps', payload: { ...lrp, process_guid: 'a b' } }, 400);
      await conforms('/v1/desired_lrps', { method: 'POST', url: '/v1/desired_lrps', payload: '{"process_guid":' }, 400);
      await conforms('/v1/desired_lrps', { method: 'GET', url: '/v1/desired_lrps' }, 200);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'GET', url: '/v1/desired_lrps/web' }, 200);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'GET', url: '/v1/desired_lrps/nope' }, 404);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'PATCH', url: '/v1/desired_lrps/web', payload: { instances: 3 } }, 200);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'PATCH', url: '/v1/desired_lrps/web', payload: { rootfs: FAKE_ROOTFS } }, 400);

      await eventually(() => expect(h.cells.allInstances()).to.have.length(3));
      h.cells.get('cell-1').startAll();
      const rows = await eventually(async () => {
        const list = (await conforms('/v1/actual_lrps', { method: 'GET', url: '/v1/actual_lrps?process_guid=web' }, 200)) as Array<{ state: string }>;
        expect(list.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']);
        return list;
      });
      expect(rows).to.have.length(3);
      await conforms('/v1/actual_lrps/{process_guid}', { method: 'GET', url: '/v1/actual_lrps/web' }, 200);
      await conforms('/v1/actual_lrps/{process_guid}/index/{index}', { method: 'GET', url: '/v1/actual_lrps/web/index/0' }, 200);
      await conforms('/v1/actual_lrps/{process_guid}/index/{index}', { method: 'GET', url: '/v1/actual_lrps/web/index/x' }, 400);
      await conforms('/v1/actual_lrps/{process_guid}/index/{index}', { method: 'GET', url: '/v1/actual_lrps/web/index/9' }, 404);

      const task = { task_guid: 'job-1', domain: 'jobs', rootfs: FAKE_ROOTFS, action: { run: { path: '/bin/true', user: 'vcap' } } };
      await conforms('/v1/tasks', { method: 'POST', url: '/v1/tasks', payload: task }, 201);
      await conforms('/v1/tasks', { method: 'POST', url: '/v1/tasks', payload: task }, 409);
      await conforms('/v1/tasks', { method: 'GET', url: '/v1/tasks' }, 200);
      await conforms('/v1/tasks/{task_guid}', { method: 'GET', url: '/v1/tasks/job-1' }, 200);
      await conforms('/v1/tasks/{task_guid}', { method: 'DELETE', url: '/v1/tasks/job-1' }, 409);
      await conforms('/v1/tasks/{task_guid}/cancel', { method: 'POST', url: '/v1/tasks/job-1/cancel' }, 204);
      await conforms('/v1/tasks/{task_guid}', { method: 'GET', url: '/v1/tasks/job-1' }, 200);
      await conforms('/v1/tasks/{task_guid}/cancel', { method: 'POST', url: '/v1/tasks/nope/cancel' }, 404);

      expect(await conforms('/v1/quarantine', { method: 'GET', url: '/v1/quarantine' }, 200)).to.deep.equal([]);
      const cells = (await conforms('/v1/cells', { method: 'GET', url: '/v1/cells' }, 200)) as unknown[];
      expect(cells).to.have.length(1);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'DELETE', url: '/v1/desired_lrps/web' }, 204);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'DELETE', url: '/v1/desired_lrps/web' }, 404);
    });

    it("placement explanations and instance timelines", async () => {
      const placement = '/v1/actual_lrps/{process_guid}/{index}/placement';
      const timeline = '/v1/actual_lrps/{process_guid}/{index}/timeline';
      expect((await h.control.desireLrp(lrpJson('huge', { instances: 1, memory_mb: 100_000 }))).ok).to.equal(true);
      await eventually(() => conforms(placement, { method: 'GET', url: '/v1/actual_lrps/huge/0/placement' }, 200));
      await conforms(placement, { method: 'GET', url: '/v1/actual_lrps/nope/0/placement' }, 404);
      await conforms(placement, { method: 'GET', url: '/v1/actual_lrps/huge/x/placement' }, 400);
      const task = { task_guid: 'huge-job', domain: 'jobs', rootfs: FAKE_ROOTFS, memory_mb: 100_000, action: { run: { path: '/bin/true', user: 'vcap' } } };
      await conforms('/v1/tasks', { method: 'POST', url: '/v1/tasks', payload: task }, 201);
      await eventually(() => conforms('/v1/tasks/{task_guid}/placement', { method: 'GET', url: '/v1/tasks/huge-job/placement' }, 200));
      await conforms('/v1/tasks/{task_guid}/placement', { method: 'GET', url: '/v1/tasks/nope/placement' }, 404);
      const answer = (await conforms(timeline, { method: 'GET', url: '/v1/actual_lrps/huge/0/timeline?limit=5' }, 200)) as { entries: unknown[] };
      expect(answer.entries.length).to.be.within(1, 5);
      await conforms(timeline, { method: 'GET', url: '/v1/actual_lrps/huge/0/timeline?limit=0' }, 400);
      await conforms(timeline, { method: 'GET', url: '/v1/actual_lrps/huge/1/timeline' }, 404);
      await conforms('/v1/desired_lrps/{process_guid}', { method: 'DELETE', url: '/v1/desired_lrps/huge' }, 204);
    });

    it('401 without the token, when one is set (the document too needs it)', async () => {
      const guarded = buildGateway({ node: 'control-1', control: h.control, system: h.system, log: silentLogger(), events: h.control.events }, { token: 's3cret' });
      try {
        const denied = await guarded.inject({ method: 'GET', url: '/v1/desired_lrps' });
        expect(denied.statusCode).to.equal(401);
        expect(schemas.component('Error')(denied.json())).to.equal(true);
        expect((await guarded.inject({ method: 'GET', url: '/openapi.json' })).statusCode).to.equal(401);
        const allowed = await guarded.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: 'Bearer s3cret' } });
        expect(allowed.json().paths).to.deep.equal(doc.paths);
      } finally {
        await guarded.close();
      }
    });
  });
});
