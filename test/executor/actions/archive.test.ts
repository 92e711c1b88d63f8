import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { extractTar, payloadKind } from '../../../src/executor/actions/archive.js';
import { tempDir } from '../../support/temp-dir.js';

/** A one-file tar written by hand, so a test can put any path in it. */
function tarOf(path: string, body: string, magic = true): Buffer {
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size: body.length, type: 'File', mtime: new Date(0), uid: 0, gid: 0 }).encode(header, 0);
  if (!magic) {
    // an old v7 header: no `ustar` magic, checksum recomputed over what is left
    header.fill(0, 257, 512);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  }
  const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data, Buffer.alloc(1024)]);
}

describe('archives', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('auctor-archive-')));
  afterEach(() => dir.remove());
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir.path, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('tells tar, gzipped tar and other files apart by their bytes', async () => {
    expect(await payloadKind(file('a', tarOf('x', 'hi')))).to.equal('tar');
    expect(await payloadKind(file('b', tarOf('x', 'hi', false)))).to.equal('tar');
    expect(await payloadKind(file('c', gzipSync(tarOf('x', 'hi'))))).to.equal('tgz');
    expect(await payloadKind(file('d', gzipSync(Buffer.from('plain text'))))).to.equal('file');
    expect(await payloadKind(file('e', Buffer.from('plain text')))).to.equal('file');
    expect(await payloadKind(file('f', Buffer.alloc(0)))).to.equal('file');
    expect(await payloadKind(file('g', Buffer.alloc(2048)))).to.equal('file');
  });

  it('extracts a gzipped tar', async () => {
    const out = join(dir.path, 'out');
    await extractTar(file('a.tgz', gzipSync(tarOf('dir/x.txt', 'hello'))), out, new AbortController().signal);
    expect(readFileSync(join(out, 'dir', 'x.txt'), 'utf8')).to.equal('hello');
  });

  it('refuses an entry that would climb out of the target, and writes nothing outside it', async () => {
    const out = join(dir.path, 'deep', 'out');
    const error = await extractTar(file('evil.tar', tarOf('../../evil.txt', 'pwned')), out, new AbortController().signal).catch((e: Error) => e);
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.contain("'..'");
    expect(existsSync(join(dir.path, 'evil.txt'))).to.equal(false);
  });
});
