/** `auctor up --controls N`: a local control group on a local etcd, or exit 2 saying how to install etcd. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { ETCD_INSTALL_HINT, etcdInstalled } from '../../src/cli/local-etcd.js';
import { finished } from '../support/child-process.js';
import { eventually } from '../support/eventually.js';
import { alive } from '../support/garden.js';
import { auctorBin, http, runAuctor } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const upArgs = (data: string) => ['up', '--controls', '2', '--cells', '1', '--data', data, '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--backend', 'fake', '--heartbeat-ms', '200'];

describe('auctor up --controls', function () {
  this.timeout(40_000);

  it('without etcd on PATH exits 2 naming the field and saying how to install it', async () => {
    const dir = tempDir();
    try {
      const result = await finished(spawn(process.execPath, [auctorBin, ...upArgs(dir.path)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: dir.path } }));
      expect(result.code).to.equal(2);
      expect(result.stderr).to.contain('invalid field: controls').and.contain(ETCD_INSTALL_HINT);
    } finally {
      dir.remove();
    }
  });

  it('runs two control nodes on a local etcd: one leads, the CLI given both finds it, the cell reports to it; the survivor of a kill -9 acknowledges (--sync-standbys 0 chosen); SIGTERM stops all and etcd', async function () {
    if (!etcdInstalled()) this.skip();
    const dir = tempDir();
    const child = spawn(process.execPath, [auctorBin, ...upArgs(dir.path)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = finished(child, 35_000);
    try {
      let out = '';
      const lineOf = (msg: string) => out.split('\n').find((l) => l.startsWith('{') && l.includes(`"${msg}"`));
      const started = await new Promise<{ api: string; nodes: Array<{ node: string; roles: string[] }> }>((resolve) => child.stdout!.on('data', (d: Buffer) => {
        out += d;
        const line = lineOf('auctor.started');
        if (line) resolve(JSON.parse(line));
      }));
      const etcd = JSON.parse(lineOf('up.etcd-started')!) as { pid: number };
      expect(JSON.parse(lineOf('up.sync-standbys')!)).to.include({ sync_standbys: 0, chosen: true });
      expect(started.nodes.map((n) => n.node)).to.deep.equal(['control-1', 'control-2', 'cell-1']);
      const apis = started.api.split(',');
      expect(apis).to.have.length(2);
      const leaders = await eventually(async () => {
        const answers = await Promise.all(apis.map((api) => http(api, 'GET', '/v1/leader')));
        expect(answers.map((a) => a.status)).to.deep.equal([200, 200]);
        const [one, two] = answers.map((a) => a.json as { name: string; term: number });
        expect(one).to.deep.equal(two);
        return one!;
      }, { timeout: 10_000, interval: 100 });
      expect(leaders.name).to.equal('control-1');
      await eventually(async () => {
        const cells = await runAuctor(['cells', '--json', '--api', [...apis].reverse().join(',')]);
        expect(cells.code, cells.stderr).to.equal(0);
        expect((JSON.parse(cells.stdout) as Array<{ cell_id: string }>).map((c) => c.cell_id)).to.deep.equal(['cell-1']);
      }, { timeout: 10_000, interval: 200 });

      // with --sync-standbys 1 the lone survivor would have no standby to acknowledge with
      const active = out.split('\n').find((l) => l.startsWith('control-1 | ') && l.includes('"auctor.started"'))!;
      process.kill((JSON.parse(active.slice('control-1 | '.length)) as { pid: number }).pid, 'SIGKILL');
      await eventually(async () => expect((await http(apis[1]!, 'PUT', '/v1/domains/after-failover', { ttl: 0 })).status).to.equal(204), { timeout: 10_000, interval: 100 });

      child.kill('SIGTERM');
      const result = await done;
      expect(result.code, result.stderr).to.equal(0);
      expect(alive(etcd.pid)).to.equal(false);
    } finally {
      // a failed assertion: `up` stops its nodes and its etcd rather than leave them behind
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await done.catch(() => {});
      dir.remove();
    }
  });
});
