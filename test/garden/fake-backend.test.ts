import { expect } from 'chai';
import type { OutputLine } from '../../src/garden/backend.js';
import { FakeBackend, type FakeContainer } from '../../src/garden/fake/fake-backend.js';
import { AuctorError } from '../../src/base/errors.js';
import { FakeClock } from '../support/fake-clock.js';

describe('fake backend', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = new FakeBackend();
  });

  const create = async (handle: string, extra: Partial<Parameters<FakeBackend['create']>[0]> = {}) =>
    (await backend.create({ handle, rootfs: 'preloaded:host', ...extra })) as FakeContainer;

  it('is named fake and reports the capacity it was given', async () => {
    const sized = new FakeBackend({ capacity: { memoryMb: 1024, diskMb: 2048, containers: 3 } });
    expect(sized.name).to.equal('fake');
    expect(await sized.capacity()).to.deep.equal({ memoryMb: 1024, diskMb: 2048, containers: 3 });
  });

  it('refuses a handle in use (ResourceExists) and a rootfs it does not offer (InvalidRequest)', async () => {
    await create('a');
    const dup = await create('a').catch((e: unknown) => e);
    expect(dup).to.be.instanceOf(AuctorError).with.property('code', 'ResourceExists');
    const bad = await create('b', { rootfs: 'docker:///nginx' }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(AuctorError).with.property('code', 'InvalidRequest');
    expect((bad as Error).message).to.equal('invalid field: rootfs: docker:///nginx is not offered here (offered: preloaded:host, preloaded:busybox)');
  });

  it('fails the next create only, with the injected error', async () => {
    backend.failNextCreate(new Error('garden is down'));
    const error = await create('a').catch((e: unknown) => e);
    expect((error as Error).message).to.equal('garden is down');
    expect(backend.size).to.equal(0);
    await create('a');
    expect(backend.size).to.equal(1);
  });

  it('fails the next run only, with the injected error', async () => {
    const c = await create('a');
    backend.failNextRun(new Error('no such file'));
    const error = await c.run({ path: 'app' }).catch((e: unknown) => e);
    expect((error as Error).message).to.equal('no such file');
    await c.run({ path: 'app' });
    expect(c.runs.map((p) => p.spec.path)).to.deep.equal(['app']);
  });

  it('hands out a distinct host port per container port and frees them on destroy', async () => {
    const small = new FakeBackend({ firstPort: 65533 });
    const a = (await small.create({ handle: 'a', rootfs: 'preloaded:host', ports: [8080, 8081] })) as FakeContainer;
    const b = (await small.create({ handle: 'b', rootfs: 'preloaded:host', ports: [8080] })) as FakeContainer;
    const held = [...a.ports, ...b.ports].map((p) => p.hostPort);
    expect(new Set(held).size).to.equal(3);
    expect(held.every((p) => p >= 65533 && p <= 65535)).to.equal(true);
    const full = await small.create({ handle: 'c', rootfs: 'preloaded:host', ports: [8080] }).catch((e: unknown) => e);
    expect(small.container('c')).to.equal(undefined);
    expect(full).to.be.instanceOf(Error);
    expect(small.portsHeld).to.equal(3);
    await small.destroy('a');
    expect(small.portsHeld).to.equal(1);
    const c = (await small.create({ handle: 'c', rootfs: 'preloaded:host', ports: [1, 2] })) as FakeContainer;
    expect(c.ports.map((p) => p.hostPort).sort()).to.deep.equal(a.ports.map((p) => p.hostPort).sort());
  });

  it('records each process with its spec and the env it would see, action env last', async () => {
    const c = await create('a', { ports: [8080], identity: { index: 1, guid: 'g' }, env: [{ name: 'X', value: 'lrp' }, { name: 'Y', value: 'lrp' }] });
    const p = await c.run({ path: 'app', args: ['-v'], env: [{ name: 'Y', value: 'action' }] });
    expect(c.runs).to.have.length(1);
    expect(c.lastRun!.spec).to.deep.equal({ path: 'app', args: ['-v'], env: [{ name: 'Y', value: 'action' }] });
    const port = String(c.ports[0]!.hostPort);
    expect(c.lastRun!.env).to.include({ PORT: port, INSTANCE_INDEX: '1', CF_INSTANCE_GUID: 'g', X: 'lrp', Y: 'action' });
    expect((await c.info()).processes).to.deep.equal([p.id]);
  });

  it('lets a test write output, tagged with the io source, and end the process', async () => {
    const c = await create('a');
    const lines: OutputLine[] = [];
    const p = await c.run({ path: 'app' }, { source: 'APP/PROC/WEB/0', onOutput: (l) => lines.push(l) });
    c.lastRun!.write('stdout', 'hello');
    c.lastRun!.write('stderr', 'oops');
    c.lastRun!.exit(2, { oom: true });
    expect(await p.wait()).to.deep.equal({ code: 2, oom: true });
    expect(lines.map((l) => [l.stream, l.source, l.line])).to.deep.equal([
      ['stdout', 'APP/PROC/WEB/0', 'hello'],
      ['stderr', 'APP/PROC/WEB/0', 'oops'],
    ]);
    expect((await c.info()).processes).to.deep.equal([]);
  });

  it('answers runs through onRun: output, then an exit at once or after a delay on its clock', async () => {
    const clock = new FakeClock();
    const timed = new FakeBackend({ clock });
    timed.onRun((spec) => (spec.path === 'quick' ? { output: ['hi'], exitCode: 0 } : { exitCode: 3, exitAfterMs: 1000 }));
    const c = (await timed.create({ handle: 'a', rootfs: 'preloaded:host' })) as FakeContainer;
    const lines: string[] = [];
    const quick = await c.run({ path: 'quick' }, { onOutput: (l) => lines.push(`${l.source}:${l.line}`) });
    expect(await quick.wait()).to.deep.equal({ code: 0, oom: false });
    expect(lines).to.deep.equal(['APP:hi']);
    const slow = await c.run({ path: 'slow' });
    await clock.advance(999);
    expect(c.lastRun!.exited).to.equal(undefined);
    await clock.advance(1);
    expect(await slow.wait()).to.deep.equal({ code: 3, oom: false });
  });

  it('ends a process with 143 on TERM and 137 on KILL, unless it ignores TERM', async () => {
    backend.onRun((spec) => (spec.path === 'stubborn' ? { ignoreTerm: true } : undefined));
    const c = await create('a');
    const polite = await c.run({ path: 'polite' });
    await polite.signal('TERM');
    expect(await polite.wait()).to.deep.equal({ code: 143, signal: 'TERM', oom: false });
    const stubborn = await c.run({ path: 'stubborn' });
    await stubborn.signal('TERM');
    expect(c.lastRun!.exited).to.equal(undefined);
    await stubborn.signal('KILL');
    expect(await stubborn.wait()).to.deep.equal({ code: 137, signal: 'KILL', oom: false });
    expect(c.lastRun!.signals).to.deep.equal(['TERM', 'KILL']);
  });

  it('stop(false) TERMs every process and stop(true) KILLs them, and records which', async () => {
    const c = await create('a');
    const one = await c.run({ path: 'one' });
    await c.stop(false);
    expect((await one.wait()).code).to.equal(143);
    const two = await c.run({ path: 'two' });
    await c.stop(true);
    expect((await two.wait()).code).to.equal(137);
    expect(c.stops).to.deep.equal([{ kill: false }, { kill: true }]);
  });

  it('destroy kills what runs, forgets the container, and says ResourceNotFound after', async () => {
    const c = await create('a');
    const p = await c.run({ path: 'app' });
    await backend.destroy('a');
    expect((await p.wait()).code).to.equal(137);
    expect(backend.destroyed).to.deep.equal(['a']);
    expect(await backend.lookup('a').catch((e: AuctorError) => e.code)).to.equal('ResourceNotFound');
    expect(await backend.destroy('a').catch((e: AuctorError) => e.code)).to.equal('ResourceNotFound');
    expect(await c.run({ path: 'app' }).catch((e: AuctorError) => e.code)).to.equal('ResourceNotFound');
  });

  it('filters containers by properties, set at create or later', async () => {
    await create('a', { properties: { kind: 'lrp' } });
    const b = await create('b', { properties: { kind: 'task' } });
    await b.setProperty('owner', 'cell-1');
    expect((await backend.containers({ kind: 'task', owner: 'cell-1' })).map((c) => c.handle)).to.deep.equal(['b']);
    expect((await backend.containers()).map((c) => c.handle)).to.deep.equal(['a', 'b']);
  });

  it('maps container paths under its own directory, relative ones from /home/vcap, never above it', async () => {
    const c = await create('a');
    expect(c.hostPath('/tmp/x')).to.equal('/fake-garden/containers/a/rootfs/tmp/x');
    expect(c.hostPath('app')).to.equal('/fake-garden/containers/a/rootfs/home/vcap/app');
    expect(c.hostPath('../../../../etc/passwd')).to.equal('/fake-garden/containers/a/rootfs/etc/passwd');
  });

  it('pings until a fault is injected, and again once it is cleared', async () => {
    await backend.ping();
    backend.failPing(new Error('stalled'));
    expect(await backend.ping().catch((e: Error) => e.message)).to.equal('stalled');
    backend.failPing(undefined);
    await backend.ping();
  });

  it('remembers every running process but only the last 100 exited ones (a health check runs one every few seconds)', async () => {
    backend.onRun((spec) => (spec.path === 'check' ? { exitCode: 0 } : undefined));
    const c = await create('a');
    await c.run({ path: 'app' });
    for (let i = 0; i < 150; i++) await c.run({ path: 'check' });
    expect(c.runs[0]!.spec.path).to.equal('app');
    expect(c.runs.filter((p) => p.exited)).to.have.length.within(100, 101);
    expect(c.processes()).to.have.length(c.runs.length);
  });

  it('holds a thousand cells of 100 containers each without timers', async () => {
    const started = Date.now();
    const cells = Array.from({ length: 1000 }, () => new FakeBackend());
    for (const cell of cells) {
      for (let i = 0; i < 100; i++) {
        const c = await cell.create({ handle: `c${i}`, rootfs: 'preloaded:host', ports: [8080] });
        await c.run({ path: 'app' });
      }
    }
    expect(cells.reduce((n, cell) => n + cell.size, 0)).to.equal(100_000);
    expect(Date.now() - started).to.be.below(10_000);
  });
});
