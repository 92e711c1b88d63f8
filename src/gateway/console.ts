/**
 * The operator console (docs/035-console.md): `GET /` serves the page, `GET /console/<file>` its
 * ES modules and stylesheet from the package's `console/` folder, and `GET /console/vendor/...`
 * preact and htm from node_modules, all read once at registration. No build step and no CDN:
 * the page's import map points the bare specifiers `preact`, `preact/hooks` and `htm` here.
 *
 * These routes are open without the bearer token (`config.open`, read by `requireToken`): the
 * page and its code hold no data, and the page asks for the token before it calls the API.
 * Caching: the page and its own modules are revalidated on every load (`no-cache` with an ETag,
 * so an upgraded node serves its new code at once); vendor files carry their version in the
 * path and are cached for a year. The page's Content-Security-Policy lets it run only this
 * origin's scripts (and its import map, by hash) and talk only to this origin.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** One file the console serves: its bytes, type, caching and validator. */
interface Asset {
  body: Buffer;
  type: string;
  cacheControl: string;
  etag: string;
  /** more response headers (the page's Content-Security-Policy) */
  headers?: Record<string, string>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};
const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The package's `console/` folder (this file runs from `dist/src/gateway/`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

/** A vendored module: the bare specifier the page imports and the package that holds it. */
interface VendorModule {
  specifier: string;
  pkg: string;
}
const VENDOR: VendorModule[] = [
  { specifier: 'preact', pkg: 'preact' },
  { specifier: 'preact/hooks', pkg: 'preact' },
  { specifier: 'htm', pkg: 'htm' },
];

const asset = (body: Buffer, name: string, cacheControl: string): Asset => ({
  body,
  type: TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
  cacheControl,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/** Every file under `dir`, by its path relative to it with `/` separators. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

/** The version of package `pkg` holding `file`: from the nearest package.json above it with that name. */
function packageVersion(file: string, pkg: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === pkg && version) return version;
  }
  throw new Error(`no package.json of ${pkg} above ${file}`);
}

/**
 * The console's assets by URL path: the page (with its import map filled in), its own files and
 * the vendored modules. `dir` is the console folder (tests may pass another).
 */
export function loadConsoleAssets(dir = CONSOLE_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const imports: Record<string, string> = {};
  for (const { specifier, pkg } of VENDOR) {
    // resolved as Node resolves an `import` (the package's exports), so a new layout is followed
    const file = fileURLToPath(import.meta.resolve(specifier));
    const version = packageVersion(file, pkg);
    const url = `/console/vendor/${pkg}@${version}/${specifier.replace('/', '-')}.mjs`;
    imports[specifier] = url;
    assets.set(url, asset(readFileSync(file), url, IMMUTABLE));
  }
  for (const name of filesUnder(dir)) {
    // the page's own files only: not its tsconfig.json (the JSDoc type check)
    if (name === 'index.html' || !(name.slice(name.lastIndexOf('.')) in TYPES)) continue;
    assets.set(`/console/${name}`, asset(readFileSync(join(dir, name)), name, REVALIDATE));
  }
  // every module announced up front: the browser fetches them at once instead of level by level of imports
  const preloads = [...assets.keys()].filter((url) => url.endsWith('.js') || url.endsWith('.mjs')).map((url) => `<link rel="modulepreload" href="${url}">`);
  const importMap = JSON.stringify({ imports });
  const page = readFileSync(join(dir, 'index.html'), 'utf8').replace('<!-- importmap -->', [`<script type="importmap">${importMap}</script>`, ...preloads].join('\n'));
  const csp = [
    // scripts: this origin's files and the one inline import map, by its hash
    `default-src 'self'`, `script-src 'self' 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`,
    // the virtualised lists position rows with style attributes
    `style-src 'self' 'unsafe-inline'`, `img-src 'self' data:`, `connect-src 'self'`,
    `frame-ancestors 'none'`, `base-uri 'none'`, `form-action 'none'`,
  ].join('; ');
  assets.set('/', { ...asset(Buffer.from(page), 'index.html', REVALIDATE), headers: { 'content-security-policy': csp, 'referrer-policy': 'no-referrer' } });
  return assets;
}

let loaded: Map<string, Asset> | undefined;

/** Registers `GET /` and `GET /console/*`, open without the token; the files are read once per process. */
export function registerConsole(app: FastifyInstance, assets: Map<string, Asset> = (loaded ??= loadConsoleAssets())): void {
  const serve = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    const found = assets.get(path);
    if (!found) return reply.code(404).send({ error: { type: 'ResourceNotFound', message: `no console file: ${path}` } });
    void reply.headers({ ...found.headers, 'content-type': found.type, 'cache-control': found.cacheControl, etag: found.etag, 'x-content-type-options': 'nosniff' });
    if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.send(found.body);
  };
  const schema = { summary: 'The operator console (open without the token: it holds no data)', tags: ['console'], response: { 200: { description: 'text/html', type: 'string' } } };
  app.get('/', { schema, config: { open: true } }, serve);
  app.get('/console/*', { schema: { ...schema, summary: "The console's modules and stylesheet" }, config: { open: true } }, serve);
}
