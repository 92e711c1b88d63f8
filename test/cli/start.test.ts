import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { findOnPath } from '../../src/garden/runc/runc-cli.js';
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

  it('a bad number or backend exits 2 naming the field', async () => {
    const memory = await finished(auctor(['start', '--memory-mb', 'lots']));
    expect(memory.code).to.equal(2);
    expect(memory.stderr).to.contain('invalid field: memory-mb: "lots" is not a whole number');
    const backend = await finished(auctor(['start', '--backend', 'docker']));
    expect(backend.code).to.equal(2);
    expect(backend.stderr).to.contain('invalid field: backend: "docker" is not one of process, runc, fake');
  });

  it('control group flags: --etcd needs the control role alone, --leader-ttl-ms at least 1000, --replication-retain-entries at least 1; each exits 2 naming the field', async () => {
    const both = await finished(auctor(['start', '--etcd', '127.0.0.1:2379', '--roles', 'control,cell']));
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('invalid field: etcd: a member of a control group runs the control role only');
    const ttl = await finished(auctor(['start', '--roles', 'control', '--etcd', '127.0.0.1:2379', '--leader-ttl-ms', '10']));
    expect(ttl.code).to.equal(2);
    expect(ttl.stderr).to.contain('invalid field: leader-ttl-ms');
    const retain = await finished(auctor(['start', '--roles', 'control', '--etcd', '127.0.0.1:2379', '--replication-retain-entries', '0']));
    expect(retain.code).to.equal(2);
    expect(retain.stderr).to.contain('invalid field: replication-retain-entries: must be in 1..100000000');
    const etcd = await finished(spawn(process.execPath, [bin, 'start', '--roles', 'control'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AUCTOR_ETCD: 'nohost' } }));
    expect(etcd.code).to.equal(2);
    expect(etcd.stderr).to.contain('invalid field: etcd');
  });

  it('a cell reports its backend and the capacity the flags set', async () => {
    const dir = tempDir();
    try {
      const child = auctor(['start', '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--data', dir.path, '--backend', 'fake', '--memory-mb', '2048', '--disk-mb', '999', '--containers', '7']);
      const out = finished(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('auctor.started') && resolve()));
      child.kill('SIGTERM');
      const ready = (await out).stdout.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.msg === 'cell.garden-ready');
      expect(ready).to.deep.include({ backend: 'fake', capacity: { memoryMb: 2048, diskMb: 999, containers: 7 }, adopted: 0 });
    } finally {
      dir.remove();
    }
  });

  /** `auctor start --backend runc` with no --rootfs, its PATH as given; what it ends with. */
  async function startRuncCell(path: string | undefined) {
    const dir = tempDir();
    try {
      const env = { ...process.env, PATH: path };
      const child = spawn(process.execPath, [bin, 'start', '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--data', dir.path, '--backend', 'runc'], { stdio: ['ignore', 'pipe', 'pipe'], env });
      return await finished(child);
    } finally {
      dir.remove();
    }
  }

  it('a runc cell on a machine without runc exits 1 saying runc is not found', async () => {
    // an empty PATH: no runc, whatever this machine has
    const empty = tempDir();
    try {
      const result = await startRuncCell(empty.path);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^auctor: runc backend unavailable: runc not found on PATH/m);
    } finally {
      empty.remove();
    }
  });

  it('a runc cell with runc but no --rootfs exits 1 saying which flag gives one', async function () {
    // skipped only where runc is not installed (CI installs it); the case without runc is the test above
    if (!findOnPath('runc')) {
      console.log('      skipping: runc not found on PATH (apt-get install runc)');
      this.skip();
    }
    const result = await startRuncCell(process.env.PATH);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^auctor: runc backend unavailable: no root filesystem configured: pass --rootfs/m);
  });

  it('run as a command (through its shebang, as npx runs it), a node has NODE_FLAGS and says so in auctor.started', async () => {
    const dir = tempDir();
    try {
      const child = spawn(bin, ['start', '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--data', dir.path, '--backend', 'fake'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out = finished(child);
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('auctor.started') && resolve()));
      child.kill('SIGTERM');
      const started = (await out).stdout.trim().split('\n').map((l) => JSON.parse(l)).find((l) => l.msg === 'auctor.started');
      expect(started.node_flags).to.deep.equal([...NODE_FLAGS]);
    } finally {
      dir.remove();
    }
  });

  it('npm run bench runs node with NODE_FLAGS, so benchmarks measure nodes as they run', () => {
    const scripts = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.bench).to.contain(`node ${NODE_FLAGS.join(' ')} dist/bench/run.js`);
  });

  it('a node whose --api port is busy exits 1 naming it, after leaving the cluster and closing remoting', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    try {
      const result = await finished(auctor(['start', '--roles', 'control', '--api', `127.0.0.1:${port}`, '--listen', '127.0.0.1:0', '--data', dir.path, '--name', 'busy-api']));
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.contain(`auctor: the gateway cannot listen on 127.0.0.1:${port}`);
      const messages = result.stdout.trim().split('\n').map((l) => JSON.parse(l).msg);
      expect(messages.slice(messages.indexOf('gateway.failed-to-listen'))).to.deep.equal(['gateway.failed-to-listen', 'cluster.stopped', 'remoting.stopping', 'remoting.stopped']);
    } finally {
      dir.remove();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('start prints auctor.started, keeps its LMDB in --data, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const child = auctor(['start', '--api', '127.0.0.1:0', '--router', '127.0.0.1:0', '--listen', '127.0.0.1:0', '--data', dir.path, '--name', 'cli-test']);
      const out = finished(child);
      await new Promise<void>((resolve) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('auctor.started') && resolve());
      });
      child.kill('SIGTERM');
      const result = await out;
      expect(result.code, result.stderr).to.equal(0);
      const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.msg !== 'cell.appeared');
      // alone on its node the cell is not drained (nowhere to move its instances): they are left for adoption.
      // Whether the control logs its cell's first heartbeat before SIGTERM depends on the machine's load: not compared.
      expect(lines.map((l) => l.msg)).to.deep.equal(['cell.garden-ready', 'remoting.started', 'cluster.started', 'router.listening', 'auctor.started', 'auctor.stopping', 'cell.drain-skipped', 'cluster.stopped', 'remoting.stopping', 'remoting.stopped', 'auctor.stopped']);
      expect(lines[4]).to.include({ node: 'cli-test' });
      expect(lines[4].api).to.match(/^http:\/\/127.0.0.1:\d+$/);
      expect(lines[4].router).to.equal(lines[3].url).and.match(/^http:\/\/127.0.0.1:\d+$/);
      expect(lines[6]).to.include({ reason: 'no-other-live-cell' });
      expect(existsSync(join(dir.path, 'lmdb', 'data.mdb'))).to.equal(true);
    } finally {
      dir.remove();
    }
  });
});
