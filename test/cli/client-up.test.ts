import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { auctorBin } from '../support/gateway-node.js';
import { finished } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';

describe('auctor up', function () {
  this.timeout(20_000);

  it('starts one node with the flags passed through, says it is one node, and stops it on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const child = spawn(process.execPath, [auctorBin, 'up', '--cells', '2', '--data', dir.path, '--api', '127.0.0.1:0', '--name', 'up-test'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const done = finished(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('auctor.started') && resolve()));
      child.kill('SIGTERM');
      const result = await done;
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.contain('multi-node clusters are not implemented yet; starting one node instead of 2 cells');
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; node: string });
      expect(lines.find((l) => l.msg === 'auctor.started')).to.include({ node: 'up-test' });
      expect(lines.at(-1)!.msg).to.equal('auctor.stopped');
    } finally {
      dir.remove();
    }
  });

  it('a bad --cells exits 2 naming the field', async () => {
    const result = await finished(spawn(process.execPath, [auctorBin, 'up', '--cells', 'many'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(result.code).to.equal(2);
    expect(result.stderr).to.contain('invalid field: cells');
  });
});
