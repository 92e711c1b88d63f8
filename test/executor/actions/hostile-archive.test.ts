/**
 * Hostile archives (issue 12, finding 6): a tar with two absolute names, two hard links out of
 * the target, or a symlink followed by a file written through it made node-tar emit a second
 * `error` event nobody listened to, and the node died. Each runs here in a process of its own
 * (test/fixtures/hostile-download.ts), which must end by itself with the step failed, naming
 * the entry, and nothing written outside the target.
 */
import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runFixture } from '../../support/child-process.js';
import { eventually } from '../../support/eventually.js';
import { FAST_FLAGS, http, startNode } from '../../support/gateway-node.js';
import { tarOf, type TarEntry } from '../../support/hostile-tar.js';
import { tempDir } from '../../support/temp-dir.js';

describe('download step: hostile archives', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let outside: string;
  let server: Server;
  let archive: Buffer;

  beforeEach(async () => {
    dir = tempDir('auctor-hostile-');
    // where an escaping entry would land: must hold only the victim, unchanged, afterwards
    outside = join(dir.path, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim.txt'), 'untouched');
    server = createServer((_req, res) => void res.writeHead(200, { 'content-length': archive.length }).end(archive));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  const download = async (entries: TarEntry[]) => {
    archive = tarOf(entries);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.tar`;
    const run = await runFixture('hostile-download', [url, join(dir.path, 'garden')]);
    expect(run, run.stderr).to.include({ code: 0, signal: null });
    const line = run.stdout.split('\n').find((l) => l.startsWith('result '));
    expect(line, run.stdout).to.be.a('string');
    expect(readdirSync(outside)).to.deep.equal(['victim.txt']);
    expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).to.equal('untouched');
    return JSON.parse(line!.slice('result '.length)) as { ok: boolean; error?: string };
  };

  it('two absolute names: the step fails naming the first, the process lives on', async () => {
    const result = await download([
      { path: join(outside, 'abs-1.txt'), body: 'one' },
      { path: join(outside, 'abs-2.txt'), body: 'two' },
    ]);
    expect(result).to.deep.equal({ ok: false, error: `Copying into the container failed: archive entry "${join(outside, 'abs-1.txt')}": absolute path` });
  });

  it('two hard links out of the target: the step fails naming the first, the process lives on', async () => {
    const result = await download([
      { path: 'link-1', type: 'Link', linkpath: join(outside, 'victim.txt') },
      { path: 'link-2', type: 'Link', linkpath: '../../../outside/victim.txt' },
      { path: 'link-1', body: 'pwned' },
    ]);
    expect(result.ok).to.equal(false);
    expect(result.error).to.match(/^Copying into the container failed: archive entry "link-1": /);
  });

  for (const [how, linkpath] of [
    ['an absolute', (out: string) => out],
    ['a relative', () => '../../../../../../../outside'],
  ] as const) {
    it(`${how} symlink out of the target, then files written through it: the step fails naming the link, the process lives on`, async () => {
      const result = await download([
        { path: 'sym', type: 'SymbolicLink', linkpath: linkpath(outside) },
        { path: 'sym/evil.txt', body: 'pwned' },
        { path: 'sym/victim.txt', body: 'pwned' },
      ]);
      expect(result.ok).to.equal(false);
      expect(result.error).to.match(/^Copying into the container failed: archive entry "sym": (absolute linkpath|linkpath escapes extraction directory)$/);
    });
  }
});

describe('a task downloading a hostile archive (real node)', function () {
  this.timeout(60_000);

  it('fails with the entry named in failure_reason, and the node keeps serving', async () => {
    const dir = tempDir('auctor-hostile-node-');
    const archive = tarOf([{ path: '/etc/auctor-abs-1', body: 'one' }, { path: '/etc/auctor-abs-2', body: 'two' }]);
    const server = createServer((_req, res) => void res.writeHead(200, { 'content-length': archive.length }).end(archive));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const node = await startNode(dir.path, FAST_FLAGS);
    try {
      const from = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.tar`;
      const task = { task_guid: 'hostile', domain: 'jobs', rootfs: 'preloaded:host', action: { download: { from, to: '/home/vcap/app', user: 'vcap' } } };
      expect((await http(node.url, 'POST', '/v1/tasks', task)).status).to.equal(201);
      const done = await eventually(async () => {
        const got = (await http(node.url, 'GET', '/v1/tasks/hostile')).json as { state: string; failed: boolean; failure_reason: string };
        expect(got.state).to.equal('COMPLETED');
        return got;
      }, { timeout: 20_000, interval: 100 });
      expect(done).to.include({ failed: true, failure_reason: 'Copying into the container failed: archive entry "/etc/auctor-abs-1": absolute path' });
      expect((await http(node.url, 'GET', '/v1/ping')).json).to.deep.equal({ available: true });
      expect(node.child.exitCode).to.equal(null);
    } finally {
      await node.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      dir.remove();
    }
  });
});
