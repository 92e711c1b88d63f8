import { expect } from 'chai';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/garden/atomic-file.js';
import { finished, startFixture } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

describe('writeFileAtomic', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('auctor-atomic-')));
  afterEach(() => dir.remove());

  it('replaces a file whole, with the mode asked for, and leaves no temporary file', () => {
    const file = join(dir.path, 'record.json');
    writeFileSync(file, 'old and longer than the new content');
    writeFileAtomic(file, '{"a":1}', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).to.equal('{"a":1}');
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readdirSync(dir.path)).to.deep.equal(['record.json']);
  });

  it('keeps the old content when the write fails', () => {
    const file = join(dir.path, 'record.json');
    writeFileSync(file, '{"a":1}');
    expect(() => writeFileAtomic(join(dir.path, 'missing-dir', 'record.json'), 'x')).to.throw(/ENOENT/);
    expect(readFileSync(file, 'utf8')).to.equal('{"a":1}');
  });

  it('a reader never sees an empty or half record while another process rewrites it, nor after a kill -9', async () => {
    const file = join(dir.path, 'record.json');
    writeFileAtomic(file, JSON.stringify({ n: -1 }));
    const writer = startFixture('atomic-writer', [file]);
    const exited = finished(writer);
    let writes = 0;
    writer.stdout!.on('data', (d: Buffer) => (writes += d.toString().split('\n').length - 1));
    let reads = 0;
    try {
      // what a cell killed at this moment would leave for the next one to adopt
      while (writes < 100 || reads < 100) {
        const text = readFileSync(file, 'utf8');
        expect(() => JSON.parse(text), `read ${reads} after ${writes} writes: ${text.length} bytes`).to.not.throw();
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      writer.kill('SIGKILL');
    }
    expect((await exited).signal).to.equal('SIGKILL');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { n: number }).n).to.be.at.least(99);
  });
});
