import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { byteSize, runAction } from '../../../src/executor/actions/index.js';
import { FakeBackend, type FakeContainer } from '../../../src/garden/fake/fake-backend.js';
import { Actions, type DownloadAction } from '../../../src/models/actions.js';
import { eventually } from '../../support/eventually.js';
import { outputSink } from '../../support/garden.js';
import { tempDir } from '../../support/temp-dir.js';

describe('download step', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  let container: FakeContainer;
  let server: Server;
  let base: string;
  let files: Record<string, Buffer>;
  let slowResponses: ServerResponse[];
  let tgz: Buffer;

  before(async () => {
    // an app directory packed as tar and as tgz
    const src = tempDir('auctor-tar-src-');
    mkdirSync(join(src.path, 'app', 'bin'), { recursive: true });
    writeFileSync(join(src.path, 'app', 'bin', 'start'), '#!/bin/sh\necho started\n', { mode: 0o755 });
    writeFileSync(join(src.path, 'app', 'README'), 'read me');
    const tarFile = join(src.path, 'app.tar');
    await createTar({ cwd: src.path, file: tarFile }, ['app']);
    const tar = readFileSync(tarFile);
    tgz = gzipSync(tar);
    src.remove();
    files = {
      '/app.tgz': tgz,
      '/app.tar': tar,
      '/named-like-a-tarball.tgz': Buffer.from('0123456789'),
      '/blob.bin': tgz,
      '/notes.gz': gzipSync(Buffer.from('just some text, not a tar')),
      '/big': randomBytes(1.2 * 1024 * 1024),
    };
  });

  beforeEach(async () => {
    dir = tempDir('auctor-download-test-');
    const backend = new FakeBackend({ dataDir: dir.path });
    container = (await backend.create({ handle: 'c', rootfs: 'preloaded:host' })) as FakeContainer;
    slowResponses = [];
    server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      if (req.url === '/slow') {
        res.writeHead(200, { 'content-length': '1000000' });
        res.write('a start, and then nothing');
        slowResponses.push(res);
        return;
      }
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    dir.remove();
  });

  const download = (extra: Partial<DownloadAction> & { from: string }) => Actions.download({ to: '/home/vcap/app', user: 'vcap', ...extra });
  const inContainer = (path: string) => container.hostPath(path);
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it('extracts a tgz fetched over http into `to`, logging `Downloading <artifact>...` and `Downloaded <artifact> (<size>)`', async () => {
    const out = outputSink();
    const result = await runAction(download({ from: `${base}/app.tgz`, to: '/home/vcap', artifact: 'droplet' }), { container, onOutput: out.onOutput, logSource: 'CELL' });
    expect(result).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/home/vcap/app/bin/start'), 'utf8')).to.equal('#!/bin/sh\necho started\n');
    expect(readFileSync(inContainer('/home/vcap/app/README'), 'utf8')).to.equal('read me');
    expect(out.text('stdout')).to.deep.equal(['CELL: Downloading droplet...', `CELL: Downloaded droplet (${byteSize(tgz.length)})`]);
  });

  it('prints the size the way Diego does: `(1.2M)`, `(10B)`', async () => {
    const out = outputSink();
    await runAction(download({ from: `${base}/big`, to: '/tmp/big', artifact: 'big' }), { container, onOutput: out.onOutput });
    await runAction(download({ from: `${base}/named-like-a-tarball.tgz`, to: '/tmp/small', artifact: 'small' }), { container, onOutput: out.onOutput });
    expect(out.text()).to.deep.equal(['APP: Downloading big...', 'APP: Downloaded big (1.2M)', 'APP: Downloading small...', 'APP: Downloaded small (10B)']);
  });

  it('extracts a plain tar from a file:// URL', async () => {
    const local = join(dir.path, 'local.tar');
    writeFileSync(local, files['/app.tar']!);
    expect(await runAction(download({ from: pathToFileURL(local).href, to: 'deps' }), { container })).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/home/vcap/deps/app/README'), 'utf8')).to.equal('read me');
  });

  it('tells archives by their bytes, not their names', async () => {
    expect(await runAction(download({ from: `${base}/blob.bin`, to: '/opt/blob' }), { container })).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/opt/blob/app/README'), 'utf8')).to.equal('read me');
    expect(await runAction(download({ from: `${base}/named-like-a-tarball.tgz`, to: '/opt/file.tgz' }), { container })).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/opt/file.tgz'), 'utf8')).to.equal('0123456789');
    expect(await runAction(download({ from: `${base}/notes.gz`, to: '/opt/notes.gz' }), { container })).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/opt/notes.gz'))).to.deep.equal(files['/notes.gz']);
  });

  it('writes a plain file into `to` under its URL name when `to` is a directory', async () => {
    mkdirSync(inContainer('/tmp/in'), { recursive: true });
    expect(await runAction(download({ from: `${base}/named-like-a-tarball.tgz`, to: '/tmp/in' }), { container })).to.deep.equal({ ok: true });
    expect(readFileSync(inContainer('/tmp/in/named-like-a-tarball.tgz'), 'utf8')).to.equal('0123456789');
  });

  it('accepts a matching md5, sha1 or sha256 checksum', async () => {
    for (const algorithm of ['md5', 'sha1', 'sha256'] as const) {
      const value = createHash(algorithm).update(tgz).digest('hex').toUpperCase();
      const result = await runAction(download({ from: `${base}/app.tgz`, to: `/${algorithm}`, checksum_algorithm: algorithm, checksum_value: value }), { container });
      expect(result, algorithm).to.deep.equal({ ok: true });
    }
  });

  it('fails a checksum mismatch naming expected and actual, and writes nothing into the container', async () => {
    const out = outputSink();
    const wrong = 'f'.repeat(64);
    const result = await runAction(
      download({ from: `${base}/app.tgz`, artifact: 'droplet', checksum_algorithm: 'sha256', checksum_value: wrong }),
      { container, onOutput: out.onOutput },
    );
    expect(result).to.deep.equal({ ok: false, error: `Downloading droplet failed: checksum mismatch: sha256 expected ${wrong}, got ${sha256(tgz)}` });
    expect(existsSync(inContainer('/home/vcap/app'))).to.equal(false);
    expect(out.text('stdout')).to.deep.equal(['APP: Downloading droplet...']);
    expect(out.text('stderr')).to.deep.equal(['APP: Downloading droplet failed']);
  });

  it('fails an unsupported checksum algorithm before fetching anything', async () => {
    const result = await runAction(download({ from: `${base}/app.tgz`, checksum_algorithm: 'crc32' as 'md5', checksum_value: 'abc' }), { container });
    expect(result).to.deep.equal({ ok: false, error: 'Downloading failed: unsupported checksum algorithm: crc32' });
  });

  it('fails on an HTTP error status, a refused connection, a missing file or an unknown scheme', async () => {
    const cases: Array<[string, string]> = [
      [`${base}/missing`, 'Downloading failed: HTTP status 404 Not Found'],
      [pathToFileURL(join(dir.path, 'nope.tgz')).href, `Downloading failed: ENOENT: no such file or directory, open '${join(dir.path, 'nope.tgz')}'`],
      ['ftp://example.com/app.tgz', 'Downloading failed: unsupported URL scheme: ftp'],
      ['not a url', 'Downloading failed: invalid URL: not a url'],
    ];
    for (const [from, error] of cases) expect(await runAction(download({ from }), { container }), from).to.deep.equal({ ok: false, error });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runAction(download({ from: `http://127.0.0.1:${port}/app.tgz` }), { container });
    expect(refused).to.deep.equal({ ok: false, error: `Downloading failed: connect ECONNREFUSED 127.0.0.1:${port}` });
  });

  it('stops a download in flight when cancelled, and resolves `cancelled`', async () => {
    const controller = new AbortController();
    const running = runAction(download({ from: `${base}/slow`, artifact: 'slow' }), { container }, controller.signal);
    await eventually(() => expect(slowResponses).to.have.length(1));
    const closed = new Promise((resolve) => slowResponses[0]!.once('close', resolve));
    controller.abort();
    expect(await running).to.deep.equal({ ok: false, error: 'cancelled' });
    await closed; // the connection was dropped, not left open
    expect(existsSync(inContainer('/home/vcap/app'))).to.equal(false);
  });

  it('logs nothing without an artifact name', async () => {
    const out = outputSink();
    expect(await runAction(download({ from: `${base}/app.tgz` }), { container, onOutput: out.onOutput })).to.deep.equal({ ok: true });
    expect(out.lines).to.deep.equal([]);
  });
});
