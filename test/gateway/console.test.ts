/**
 * The console's files (`src/gateway/console.ts`): the page with its import map, its own modules
 * and the vendored preact and htm, each with its content type and caching; open without the
 * token while every API route stays closed.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Control } from '../../src/actors/control.js';
import { EventHub } from '../../src/actors/event-hub.js';
import { silentLogger } from '../../src/base/logger.js';
import { CONSOLE_DIR } from '../../src/gateway/console.js';
import { buildGateway } from '../../src/gateway/server.js';
import type { ActorSystem } from '../../src/runtime/kernel/system.js';

const deps = () => ({ node: 'n1', control: {} as Control, system: {} as ActorSystem, log: silentLogger(), events: new EventHub() });

/** Every module of the console folder, relative to it. */
const modules = (dir = CONSOLE_DIR, prefix = ''): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(join(dir, e.name), `${prefix}${e.name}/`) : e.name.endsWith('.js') ? [`${prefix}${e.name}`] : []));

describe('the console files (GET /, /console/*)', () => {
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  it('serves the page with an import map whose modules are served as JavaScript, cached for a year', async () => {
    app = buildGateway(deps());
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).to.equal(200);
    expect(page.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(page.headers['cache-control']).to.equal('no-cache');
    const map = /<script type="importmap">(.*?)<\/script>/.exec(page.body);
    expect(map, 'import map').to.not.equal(null);
    const imports = (JSON.parse(map![1]!) as { imports: Record<string, string> }).imports;
    expect(Object.keys(imports).sort()).to.deep.equal(['htm', 'preact', 'preact/hooks']);
    // only this origin's scripts run, and the import map by its hash
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.include(`script-src 'self' 'sha256-${createHash('sha256').update(map![1]!).digest('base64')}'`);
    expect(csp).to.include("connect-src 'self'");
    for (const url of Object.values(imports)) {
      expect(url).to.match(/^\/console\/vendor\/(preact|htm)@\d+\.\d+\.\d+\//);
      const file = await app.inject({ method: 'GET', url });
      expect(file.statusCode, url).to.equal(200);
      expect(file.headers['content-type'], url).to.equal('text/javascript; charset=utf-8');
      expect(file.headers['cache-control'], url).to.equal('public, max-age=31536000, immutable');
      expect(file.body, url).to.match(/export/);
    }
  });

  it("serves every module the page imports, revalidated by ETag (304 when unchanged)", async () => {
    app = buildGateway(deps());
    for (const name of modules()) {
      const source = readFileSync(join(CONSOLE_DIR, name), 'utf8');
      // each relative import names a file that is served
      for (const [, target] of source.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const url = new URL(target!, `http://x/console/${name}`).pathname;
        expect((await app.inject({ method: 'GET', url })).statusCode, `${name} imports ${url}`).to.equal(200);
      }
      const answer = await app.inject({ method: 'GET', url: `/console/${name}` });
      expect(answer.headers['content-type'], name).to.equal('text/javascript; charset=utf-8');
      expect(answer.headers['cache-control'], name).to.equal('no-cache');
      const again = await app.inject({ method: 'GET', url: `/console/${name}`, headers: { 'if-none-match': String(answer.headers.etag) } });
      expect(again.statusCode, name).to.equal(304);
      expect(again.body).to.equal('');
    }
    const css = await app.inject({ method: 'GET', url: '/console/style.css' });
    expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
  });

  it('a file it does not serve is a 404 naming it', async () => {
    app = buildGateway(deps());
    const answer = await app.inject({ method: 'GET', url: '/console/nope.js' });
    expect(answer.statusCode).to.equal(404);
    expect(answer.json()).to.deep.equal({ error: { type: 'ResourceNotFound', message: 'no console file: /console/nope.js' } });
    // the folder's type-check settings are not the page's
    expect((await app.inject({ method: 'GET', url: '/console/tsconfig.json' })).statusCode).to.equal(404);
  });

  it('with a token, the page and its code open without it and every API route still needs it', async () => {
    app = buildGateway(deps(), { token: 's3cret' });
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).to.equal(200);
    expect((await app.inject({ method: 'GET', url: '/console/app.js' })).statusCode).to.equal(200);
    for (const url of ['/v1/ping', '/v1/desired_lrps', '/v1/events', '/v1/actors', '/openapi.json', '/metrics', '/v1/nope']) {
      const answer = await app.inject({ method: 'GET', url });
      expect(answer.statusCode, url).to.equal(401);
    }
    expect((await app.inject({ method: 'GET', url: '/v1/ping', headers: { authorization: 'Bearer s3cret' } })).statusCode).to.equal(200);
    // a route that is open for GET is not for another verb
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).to.equal(401);
  });
});
