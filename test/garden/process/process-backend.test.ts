import { expect } from 'chai';
import type { ExitStatus, OutputLine } from '../../../src/garden/backend.js';
import { ProcessBackend } from '../../../src/garden/process/process-backend.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';

describe('process backend', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  let backend: ProcessBackend;
  let made: string[];

  beforeEach(async () => {
    dir = tempDir();
    made = [];
    backend = await ProcessBackend.open({ dataDir: dir.path, gracefulStopMs: 400, scope: `auctor-test/${process.pid}` });
  });
  afterEach(async () => {
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    dir.remove();
  });

  const create = (handle: string, extra: Partial<Parameters<ProcessBackend['create']>[0]> = {}) => {
    made.push(handle);
    return backend.create({ handle, rootfs: 'preloaded:host', ...extra });
  };
  const sh = (script: string) => ({ path: 'sh', args: ['-c', script] });
  const collect = () => {
    const lines: OutputLine[] = [];
    return { lines, io: { source: 'APP/PROC/WEB/0', onOutput: (l: OutputLine) => lines.push(l) } };
  };

  it('reports the exit code of a process, and 127 for a command that does not exist', async () => {
    const c = await create('exits');
    expect((await (await c.run(sh('exit 3'))).wait()).code).to.equal(3);
    expect((await (await c.run(sh('exit 0'))).wait())).to.deep.equal({ code: 0, oom: false });
    expect((await (await c.run({ path: 'no-such-command-here' })).wait()).code).to.equal(127);
  });

  it('tags stdout and stderr lines with their stream and the log source', async () => {
    const c = await create('output');
    const { lines, io } = collect();
    await (await c.run(sh('echo one; echo two >&2; printf "no newline"'), io)).wait();
    expect(lines.map((l) => [l.stream, l.source, l.line]).sort()).to.deep.equal([
      ['stderr', 'APP/PROC/WEB/0', 'two'],
      ['stdout', 'APP/PROC/WEB/0', 'no newline'],
      ['stdout', 'APP/PROC/WEB/0', 'one'],
    ]);
  });

  it('sets PORT and CF_INSTANCE_*, then the container env, then the action env', async () => {
    const c = await create('env', {
      ports: [8080, 9090],
      identity: { index: 2, guid: 'instance-guid-1' },
      env: [{ name: 'A', value: 'container' }, { name: 'B', value: 'container' }, { name: 'PORT', value: 'ignored?' }],
    });
    const { lines, io } = collect();
    const run = await c.run({ ...sh('for v in PORT INSTANCE_INDEX INSTANCE_GUID CF_INSTANCE_ADDR CF_INSTANCE_PORTS A B; do eval echo $v=\\$$v; done'), env: [{ name: 'B', value: 'action' }] }, io);
    await run.wait();
    const env = Object.fromEntries(lines.map((l) => l.line.split(/=(.*)/s).slice(0, 2)));
    const [web, admin] = (await c.info()).ports;
    expect(web!.containerPort).to.equal(8080);
    expect(env).to.deep.equal({
      PORT: 'ignored?', // the LRP's own env comes after what the backend sets, as in Diego
      INSTANCE_INDEX: '2',
      INSTANCE_GUID: 'instance-guid-1',
      CF_INSTANCE_ADDR: `127.0.0.1:${web!.hostPort}`,
      CF_INSTANCE_PORTS: JSON.stringify([{ external: web!.hostPort, internal: 8080 }, { external: admin!.hostPort, internal: 9090 }]),
      A: 'container',
      B: 'action',
    });
  });

  it('gives every container port its own free host port and frees them on destroy', async () => {
    const small = await ProcessBackend.open({ dataDir: `${dir.path}/small`, portRange: { from: 61900, to: 61902 }, scope: `auctor-test/${process.pid}-small` });
    const a = await small.create({ handle: 'a', rootfs: 'preloaded:host', ports: [8080, 8081] });
    const b = await small.create({ handle: 'b', rootfs: 'preloaded:host', ports: [8080] });
    const hostPorts = [...(await a.info()).ports, ...(await b.info()).ports].map((p) => p.hostPort);
    expect(new Set(hostPorts).size).to.equal(3);
    const error = await small.create({ handle: 'c', rootfs: 'preloaded:host', ports: [8080] }).catch((e: Error) => e);
    expect((error as Error).message).to.equal('no free host port in 61900-61902');
    await small.destroy('a');
    const c = await small.create({ handle: 'c', rootfs: 'preloaded:host', ports: [8080, 8081] });
    expect((await c.info()).ports).to.have.length(2);
    for (const h of ['b', 'c']) await small.destroy(h);
    await small.close();
  });

  it('a process that exits on TERM stops at once; one that ignores TERM is KILLed after the grace period', async () => {
    const polite = await create('polite');
    const p = await polite.run(sh('sleep 30'));
    let started = Date.now();
    await polite.stop(false);
    expect(await p.wait()).to.include({ code: 143, signal: 'TERM' });
    expect(Date.now() - started).to.be.below(300);

    const stubborn = await create('stubborn');
    const { lines, io } = collect();
    const s = await stubborn.run(sh('trap "echo ignoring TERM" TERM; echo trapped; while :; do sleep 0.05; done'), io);
    // TERM before the trap is set would end it at once
    await eventually(() => expect(lines.map((l) => l.line)).to.include('trapped'));
    started = Date.now();
    await stubborn.stop(false);
    const status: ExitStatus = await s.wait();
    expect(status).to.include({ code: 137, signal: 'KILL' });
    expect(Date.now() - started).to.be.within(400, 2000);
    expect(lines.map((l) => l.line)).to.include('ignoring TERM');
  });

  it('applies resource_limits.nofile', async () => {
    const c = await create('nofile');
    const { lines, io } = collect();
    await (await c.run({ ...sh('ulimit -n'), limits: { nofile: 64 } }, io)).wait();
    expect(lines.map((l) => l.line)).to.deep.equal(['64']);
  });

  it('enforces a memory limit where a cgroup is writable and reports the kill as out of memory', async function () {
    const { mechanism, why } = backend.memoryEnforcement;
    // skipped only where no cgroup is writable (the limit cannot be enforced there); the reason is printed
    if (mechanism === 'none') {
      console.log(`      skipped: no writable cgroup here (${why})`);
      this.skip();
    }
    const c = await create('hog', { limits: { memoryMb: 64 } });
    expect((await c.info()).memory).to.deep.equal({ limitMb: 64, enforced: true, mechanism });
    const hog = await c.run({ path: process.execPath, args: ['-e', 'const a = []; for (;;) a.push(Buffer.alloc(8 << 20, 1));'] });
    expect(await hog.wait()).to.deep.equal({ code: 137, signal: 'KILL', oom: true });
  });

  it('refuses a handle in use and an unknown rootfs, naming the field', async () => {
    await create('taken');
    const dup = await create('taken').catch((e) => e);
    expect(dup).to.include({ code: 'ResourceExists', message: 'container already exists: taken' });
    const rootfs = await backend.create({ handle: 'x', rootfs: 'preloaded:busybox' }).catch((e) => e);
    expect(rootfs).to.include({ code: 'InvalidRequest' });
    expect(rootfs.message).to.match(/^invalid field: rootfs/);
    expect(await backend.containers()).to.have.length(1);
  });

  it('destroy kills what still runs, even a process that left the group, and removes the container', async () => {
    const c = await create('leaky');
    const { lines, io } = collect();
    await c.run(sh('setsid sh -c "echo escaped $$; sleep 30" & sleep 30'), io);
    const escaped = await eventually(() => {
      const line = lines.find((l) => l.line.startsWith('escaped'));
      if (!line) throw new Error('no pid yet');
      return Number(line.line.split(' ')[1]);
    });
    await backend.destroy('leaky');
    const alive = () => { try { process.kill(escaped, 0); return true; } catch { return false; } };
    if (backend.memoryEnforcement.mechanism !== 'none') await eventually(() => expect(alive()).to.equal(false));
    const gone = await backend.lookup('leaky').catch((e) => e);
    expect(gone).to.include({ code: 'ResourceNotFound' });
  });

  it('finds containers by their properties', async () => {
    await create('p1', { properties: { kind: 'lrp', guid: 'web' } });
    const p2 = await create('p2', { properties: { kind: 'task' } });
    await p2.setProperty('guid', 'web');
    expect((await backend.containers({ guid: 'web' })).map((c) => c.handle).sort()).to.deep.equal(['p1', 'p2']);
    expect((await backend.containers({ kind: 'task', guid: 'web' })).map((c) => c.handle)).to.deep.equal(['p2']);
  });
});
