import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

const bin = fileURLToPath(new URL('../../../bin/auctor.js', import.meta.url));
const auctor = (args: string[]) => spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

describe('auctor command', function () {
  this.timeout(20_000);

  it('--help lists the start command and exits 0', async () => {
    const out = await finished(auctor(['--help']));
    expect(out.code).to.equal(0);
    expect(out.stdout).to.match(/start \[options\]/);
  });

  it('exits 2 on an unknown command or a bad flag value, naming the field', async () => {
    expect((await finished(auctor(['bogus']))).code).to.equal(2);
    const bad = await finished(auctor(['start', '--roles', 'bogus']));
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('invalid field: roles');
  });

  it('start prints auctor.started, keeps its LMDB in --data, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const child = auctor(['start', '--data', dir.path, '--name', 'cli-test']);
      const out = finished(child);
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('auctor.started') && resolve());
      });
      child.kill('SIGTERM');
      const result = await out;
      expect(result.code, result.stderr).to.equal(0);
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.msg)).to.deep.equal(['auctor.started', 'auctor.stopping', 'auctor.stopped']);
      expect(lines[0]).to.include({ node: 'cli-test' });
      expect(existsSync(join(dir.path, 'lmdb', 'data.mdb'))).to.equal(true);
    } finally {
      dir.remove();
    }
  });
});
