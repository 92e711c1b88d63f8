import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { alive } from '../support/garden.js';
import { eventually } from '../support/eventually.js';
import { auctorBin, http } from '../support/gateway-node.js';
import { finished } from '../support/child-process.js';
import { tempDir } from '../support/temp-dir.js';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';

describe('auctor up', function () {
  this.timeout(30_000);

  it('starts a control node and --cells cell nodes as separate processes, prefixes their lines, and stops them all on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const child = spawn(process.execPath, [
        auctorBin, 'up', '--cells', '2', '--data', dir.path, '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--heartbeat-ms', '200',
      // a terminal's choice of readable logs must not reach the nodes, whose lines `up` reads
      ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUCTOR_LOG_FORMAT: 'pretty' } });
      const done = finished(child, 25_000);
      let out = '';
      const started = await new Promise<{ api: string; nodes: Array<{ node: string; roles: string[] }> }>((resolve) => child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('"auctor.started"'));
        if (line) resolve(JSON.parse(line));
      }));
      expect(started.nodes.map((n) => [n.node, n.roles.join(',')])).to.deep.equal([['control', 'control'], ['cell-1', 'cell'], ['cell-2', 'cell']]);
      // one gateway for the cluster; the cells in zones z1, z2, each in its own data dir
      await eventually(async () => {
        const cells = (await http(started.api, 'GET', '/v1/cells')).json as Array<{ cell_id: string; zone: string }>;
        expect(cells.map((c) => [c.cell_id, c.zone])).to.deep.equal([['cell-1', 'z1'], ['cell-2', 'z2']]);
      }, { timeout: 10_000, interval: 100 });

      child.kill('SIGTERM');
      const result = await done;
      expect(result.code, result.stderr).to.equal(0);
      const lines = result.stdout.trim().split('\n');
      const byNode = (name: string) => lines.filter((l) => l.startsWith(`${name} | `)).map((l) => JSON.parse(l.slice(name.length + 3)) as { msg: string; node: string; pid: number; data?: string });
      for (const name of ['control', 'cell-1', 'cell-2']) {
        const own = byNode(name);
        expect(own.find((l) => l.msg === 'auctor.started')).to.deep.include({ node: name, data: `${dir.path}/${name}`, node_flags: [...NODE_FLAGS] });
        expect(own.at(-1)!.msg).to.equal('auctor.stopped');
        // stopped with SIGINT: no drain
        expect(own.some((l) => l.msg === 'auctor.drained' || l.msg === 'cell.drain-skipped')).to.equal(false);
        expect(alive(own[0]!.pid)).to.equal(false);
      }
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
