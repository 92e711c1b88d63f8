/**
 * kill -9 of the Node process that created runc containers: a new runc backend on the same data
 * directory finds them running and adopts them, with their ports, their output from where it was
 * left and their exit statuses; a container whose runc container has stopped meanwhile is removed.
 */
import { expect } from 'chai';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutputLine } from '../../../src/garden/backend.js';
import { RuncBackend } from '../../../src/garden/runc/runc-backend.js';
import { Runc, findOnPath } from '../../../src/garden/runc/runc-cli.js';
import { finished, startFixture } from '../../support/child-process.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';
import { buildRootfs, containerCgroupsLeft, removeScope, requireRunc, testScope } from './support.js';

describe('runc backend adoption after kill -9', function () {
  this.timeout(30_000);
  const scope = testScope('adoption');
  let rootfs: ReturnType<typeof buildRootfs> | undefined;
  let dir: ReturnType<typeof tempDir>;
  let backend: RuncBackend | undefined;

  before(function () {
    requireRunc(this);
    rootfs = buildRootfs();
  });
  after(() => {
    if (!rootfs) return;
    rootfs.remove();
    expect(removeScope(scope), 'cgroup scope left').to.deep.equal([]);
  });
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    // what a failed test's owner left is adopted here, so that it is destroyed too
    backend ??= await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, scope });
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    backend = undefined;
    expect(await new Runc(findOnPath('runc')!, join(dir.path, 'runc')).list(), 'runc containers left').to.deep.equal([]);
    expect(containerCgroupsLeft(scope), 'container cgroups left').to.deep.equal([]);
    dir.remove();
  });

  it('adopts running containers with their ports, output and exit statuses, and removes stopped ones', async () => {
    const owner = startFixture('runc-owner', [dir.path, rootfs!.path, scope]);
    const exited = finished(owner, 25_000);
    const ready = await new Promise<{ ports: Array<{ hostPort: number }>; tick: string; quit: string }>((resolve, reject) => {
      let out = '';
      owner.stdout!.on('data', (d: Buffer) => {
        out += d;
        const line = out.split('\n').find((l) => l.startsWith('ready '));
        if (line) resolve(JSON.parse(line.slice('ready '.length)));
      });
      owner.once('exit', (code) => reject(new Error(`runc-owner exited with ${code} before it was ready`)));
    });
    owner.kill('SIGKILL');
    expect((await exited).signal).to.equal('SIGKILL');

    // while nobody owns it, `doomed` loses its init: a container a new backend must not adopt
    const runc = new Runc(findOnPath('runc')!, join(dir.path, 'runc'));
    const doomedPath = join(dir.path, 'containers', 'doomed');
    expect(existsSync(doomedPath)).to.equal(true);
    process.kill((await runc.state('doomed'))!.pid, 'SIGKILL');
    await eventually(async () => expect((await runc.state('doomed'))?.status).to.equal('stopped'));

    backend = await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, scope, gracefulStopMs: 1000 });
    expect((await backend.containers()).map((c) => c.handle).sort()).to.deep.equal(['quitter', 'ticker']);
    expect(await runc.state('doomed')).to.equal(undefined);
    expect(existsSync(doomedPath)).to.equal(false);

    const ticker = await backend.lookup('ticker');
    const info = await ticker.info();
    expect(info).to.include({ adopted: true, state: 'active' });
    expect(info.ports.map((p) => p.hostPort)).to.deep.equal(ready.ports.map((p) => p.hostPort));

    const tick = ticker.processes().find((p) => p.id === ready.tick)!;
    const lines: OutputLine[] = [];
    tick.attach({ onOutput: (l) => lines.push(l) });
    await eventually(() => expect(lines.length).to.be.greaterThan(10));
    const numbers = lines.map((l) => Number(l.line.split(' ')[1]));
    // in order, no gaps: nothing written while nobody owned it was lost
    expect(numbers).to.deep.equal(numbers.map((_, i) => numbers[0]! + i));
    expect(lines[0]!.source).to.equal('APP/PROC/WEB/0');

    // the adopted process's exit status arrives when it ends, after the adoption
    const quitter = await backend.lookup('quitter');
    const quit = quitter.processes().find((p) => p.id === ready.quit)!;
    const quitLines: OutputLine[] = [];
    quit.attach({ onOutput: (l) => quitLines.push(l) });
    writeFileSync(quitter.hostPath('/tmp/go'), '');
    expect(await quit.wait()).to.deep.equal({ code: 7, oom: false });
    expect(quitLines.map((l) => l.line)).to.deep.equal(['bye']);

    // the adopted container's host port is not handed out again
    const fresh = await backend.create({ handle: 'fresh', rootfs: 'preloaded:busybox', ports: [8080] });
    expect((await fresh.info()).ports[0]!.hostPort).to.not.equal(info.ports[0]!.hostPort);

    // and an adopted process stops as one of its own would
    await ticker.stop(false);
    expect(await tick.wait()).to.include({ code: 143, signal: 'TERM' });
  });

  it('removes what a create that died half way left behind', async () => {
    backend = await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, scope });
    await backend.create({ handle: 'whole', rootfs: 'preloaded:busybox' });
    await backend.close();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir.path, 'containers', 'half-made'));
    backend = await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, scope });
    expect((await backend.containers()).map((c) => c.handle)).to.deep.equal(['whole']);
    expect(existsSync(join(dir.path, 'containers', 'half-made'))).to.equal(false);
    expect((await (await backend.lookup('whole')).info()).adopted).to.equal(true);
  });
});
