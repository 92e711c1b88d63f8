import { expect } from 'chai';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogTail } from '../../../src/garden/keeper/log-tail.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';

describe('log tail', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  it('hands out whole lines as they are appended, a character split across writes intact', async () => {
    const file = join(dir.path, 'out.log');
    writeFileSync(file, 'first\nsec');
    const lines: string[] = [];
    const tail = new LogTail(file, (l) => lines.push(l));
    await eventually(() => expect(lines).to.deep.equal(['first']));
    const euro = Buffer.from('€');
    appendFileSync(file, Buffer.concat([Buffer.from('ond '), euro.subarray(0, 1)]));
    appendFileSync(file, Buffer.concat([euro.subarray(1), Buffer.from('\r\nthird\n')]));
    await eventually(() => expect(lines).to.deep.equal(['first', 'second €', 'third']));
    await tail.close();
  });

  it('resumes from an offset, and leaves an unfinished line for the next reader when released', async () => {
    const file = join(dir.path, 'out.log');
    writeFileSync(file, 'old\nnew\npart');
    const lines: string[] = [];
    const tail = new LogTail(file, (l) => lines.push(l), 4);
    await eventually(() => expect(lines).to.deep.equal(['new']));
    await tail.close(false);
    expect(tail.position).to.equal(8);
    const next: string[] = [];
    const again = new LogTail(file, (l) => next.push(l), tail.position);
    appendFileSync(file, 'ial\n');
    await eventually(() => expect(next).to.deep.equal(['partial']));
    await again.close();
  });
});
