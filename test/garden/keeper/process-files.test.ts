/**
 * A kept process's offsets file (src/garden/keeper/process-files.ts): written and read back; a
 * process directory that is gone (its container destroyed while the backend closed) is no error.
 */
import { expect } from 'chai';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readOffsets, writeOffsets } from '../../../src/garden/keeper/process-files.js';
import { tempDir } from '../../support/temp-dir.js';

describe('kept process files: offsets', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  it('reads back what was written; nothing written reads as the start', () => {
    const process = join(dir.path, 'p1');
    mkdirSync(process);
    expect(readOffsets(process, undefined)).to.deep.equal({ stdout: 0, stderr: 0 });
    writeOffsets(process, 120, 7);
    expect(readOffsets(process, undefined)).to.deep.equal({ stdout: 120, stderr: 7 });
  });

  it('a process directory removed meanwhile (its container destroyed) is written to without an error', () => {
    const process = join(dir.path, 'p2');
    mkdirSync(process);
    rmSync(process, { recursive: true });
    expect(() => writeOffsets(process, 1, 2)).not.to.throw();
  });
});
