import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished, fixturePath } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));

describe('auctor start on a nact the kernel was not written for', function () {
  this.timeout(20_000);

  it('exits 1 before opening anything, with the boot check\'s one message', async () => {
    const dir = tempDir();
    try {
      const child = spawn(process.execPath, ['--import', fixturePath('nact-doctored'), bin, 'start', '--data', dir.path, '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--backend', 'fake'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out = await finished(child);
      expect(out.code).to.equal(1);
      expect(out.stderr).to.equal("auctor: nact 7.7.0 is not the version the kernel's patches were written for (7.6.2): Actor.prototype.handleMessage is missing\n");
      expect(out.stdout).not.to.contain('started');
      expect(existsSync(join(dir.path, 'lmdb'))).to.equal(false);
    } finally {
      dir.remove();
    }
  });
});
