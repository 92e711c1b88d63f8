/**
 * kill -9 of the process that owns containers: a new backend on the same data directory adopts
 * them, with their ports, their output from where it was left and their exit statuses.
 */
import { expect } from 'chai';
import type { OutputLine } from '../../../src/garden/backend.js';
import { ProcessBackend } from '../../../src/garden/process/process-backend.js';
import { finished, startFixture } from '../../support/child-process.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';

describe('process backend adoption after kill -9', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let backend: ProcessBackend | undefined;
  const scope = `auctor-test/adopt-${process.pid}`;

  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    for (const c of (await backend?.containers()) ?? []) await backend!.destroy(c.handle);
    await backend?.close();
    dir.remove();
  });

  it('adopts running containers and keeps their output, ports and exit statuses', async () => {
    const owner = startFixture('garden-owner', [dir.path, scope]);
    const exited = finished(owner);
    const ready = await new Promise<{ ports: Array<{ hostPort: number }>; tick: string; quit: string }>((resolve) => {
      let out = '';
      owner.stdout!.on('data', (d: Buffer) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('ready '));
        if (line) resolve(JSON.parse(line.slice('ready '.length)));
      });
    });
    owner.kill('SIGKILL');
    expect((await exited).signal).to.equal('SIGKILL');

    backend = await ProcessBackend.open({ dataDir: dir.path, scope, gracefulStopMs: 500 });
    const ticker = await backend.lookup('ticker');
    const info = await ticker.info();
    expect(info).to.include({ adopted: true, state: 'active' });
    expect(info.ports.map((p) => p.hostPort)).to.deep.equal(ready.ports.map((p) => p.hostPort));

    const tick = ticker.processes().find((p) => p.id === ready.tick)!;
    const lines: OutputLine[] = [];
    tick.attach({ onOutput: (l) => lines.push(l) });
    await eventually(() => expect(lines.length).to.be.greaterThan(5));
    const numbers = lines.map((l) => Number(l.line.split(' ')[1]));
    // in order, no gaps: nothing written while nobody owned it was lost
    expect(numbers).to.deep.equal(numbers.map((_, i) => numbers[0]! + i));
    expect(lines[0]!.source).to.equal('APP/PROC/WEB/0');

    const quit = (await backend.lookup('quitter')).processes().find((p) => p.id === ready.quit)!;
    expect(await quit.wait()).to.deep.equal({ code: 7, oom: false });

    // the adopted container's host port is not handed out again
    const fresh = await backend.create({ handle: 'fresh', rootfs: 'preloaded:host', ports: [8080] });
    expect((await fresh.info()).ports[0]!.hostPort).to.not.equal(info.ports[0]!.hostPort);

    await ticker.stop(false);
    expect(await tick.wait()).to.include({ code: 143, signal: 'TERM' });
  });

  it('removes what a create that died half way left behind', async () => {
    backend = await ProcessBackend.open({ dataDir: dir.path, scope });
    await backend.create({ handle: 'whole', rootfs: 'preloaded:host' });
    await backend.close();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(`${dir.path}/containers/half-made`);
    backend = await ProcessBackend.open({ dataDir: dir.path, scope });
    expect((await backend.containers()).map((c) => c.handle)).to.deep.equal(['whole']);
  });
});
