/**
 * The runc backend against real runc and a busybox rootfs built by
 * scripts/build-busybox-rootfs.sh. Skipped, with the reason printed, where runc cannot run.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Container, ContainerSpec, OutputLine, ProcessIO } from '../../../src/garden/backend.js';
import { RuncBackend } from '../../../src/garden/runc/runc-backend.js';
import { runAction } from '../../../src/executor/actions/index.js';
import { Actions } from '../../../src/models/actions.js';
import { Runc, findOnPath } from '../../../src/garden/runc/runc-cli.js';
import { eventually } from '../../support/eventually.js';
import { tempDir } from '../../support/temp-dir.js';
import { buildRootfs, containerCgroupsLeft, removeScope, requireRunc, testScope } from './support.js';

const GRACE_MS = 1000;
const sh = (script: string) => ({ path: 'sh', args: ['-c', script] });
const collect = () => {
  const lines: OutputLine[] = [];
  const io: ProcessIO = { source: 'APP/PROC/WEB/0', onOutput: (l) => lines.push(l) };
  return { lines, io, text: () => lines.filter((l) => l.stream === 'stdout').map((l) => l.line) };
};

describe('runc backend', function () {
  this.timeout(30_000);
  const scope = testScope('backend');
  let rootfs: ReturnType<typeof buildRootfs> | undefined;
  let dir: ReturnType<typeof tempDir>;
  let backend: RuncBackend;

  before(function () {
    requireRunc(this);
    rootfs = buildRootfs();
  });
  after(() => {
    if (!rootfs) return;
    rootfs.remove();
    expect(removeScope(scope), 'cgroup scope left').to.deep.equal([]);
  });
  beforeEach(async () => {
    dir = tempDir();
    backend = await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, gracefulStopMs: GRACE_MS, scope });
  });
  afterEach(async () => {
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    expect(await new Runc(findOnPath('runc')!, join(dir.path, 'runc')).list(), 'runc containers left').to.deep.equal([]);
    expect(containerCgroupsLeft(scope), 'container cgroups left').to.deep.equal([]);
    dir.remove();
  });

  const create = (handle: string, extra: Partial<ContainerSpec> = {}) => backend.create({ handle, rootfs: 'preloaded:busybox', ...extra });
  const output = async (c: Container, script: string) => {
    const { io, text } = collect();
    const status = await (await c.run(sh(script), io)).wait();
    return { status, lines: text() };
  };

  it('offers its rootfses as preloaded:<name>, and pings', async () => {
    expect(backend.rootfses()).to.deep.equal(['preloaded:busybox']);
    await backend.ping();
  });

  it('delivers stdout and stderr lines with their stream and source tag, and the exit code', async () => {
    const c = await create('output');
    const { lines, io } = collect();
    const status = await (await c.run(sh('echo one; echo two >&2; printf "no newline"; exit 3'), io)).wait();
    expect(status).to.deep.equal({ code: 3, oom: false });
    expect(lines.map((l) => [l.stream, l.source, l.line]).sort()).to.deep.equal([
      ['stderr', 'APP/PROC/WEB/0', 'two'],
      ['stdout', 'APP/PROC/WEB/0', 'no newline'],
      ['stdout', 'APP/PROC/WEB/0', 'one'],
    ]);
  });

  it('rejects running a command the rootfs does not have, with runc reason and no output', async () => {
    const c = await create('missing');
    const { lines, io } = collect();
    let error: Error | undefined;
    await c.run({ path: 'no-such-command' }, io).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/failed to start no-such-command in container missing: .*executable file not found/);
    expect(lines).to.deep.equal([]);
    expect(c.processes()).to.deep.equal([]);
  });

  it('isolates processes, hostname and the rootfs: the container sees only its own', async () => {
    const c = await create('isolated');
    const { status, lines } = await output(c, 'ps -o pid,comm; echo host=$(hostname); touch /bin/x 2>/dev/null || echo read-only');
    expect(status.code).to.equal(0);
    const pids = lines.filter((l) => /^\s*\d+\s/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
    // the init, its sleep, this sh and ps: never the host's processes
    expect(pids).to.include(1);
    expect(pids.length).to.be.within(3, 5);
    expect(pids).to.not.include(process.pid);
    expect(lines).to.include('host=isolated');
    expect(lines).to.include('read-only');
  });

  it('sets PORT and CF_INSTANCE_*, then the container env, then the action env; home is the cwd', async () => {
    const c = await create('env', {
      ports: [8080, 9090],
      identity: { index: 2, guid: 'instance-guid-1' },
      env: [{ name: 'A', value: 'container' }, { name: 'B', value: 'container' }],
    });
    const [web, admin] = (await c.info()).ports;
    const { io, text } = collect();
    const vars = 'PORT INSTANCE_INDEX INSTANCE_GUID CF_INSTANCE_IP CF_INSTANCE_ADDR CF_INSTANCE_PORTS A B HOME';
    await (await c.run({ ...sh(`for v in ${vars}; do eval echo $v=\\$$v; done; pwd`), env: [{ name: 'B', value: 'action' }] }, io)).wait();
    expect(text()).to.deep.equal([
      `PORT=${web!.hostPort}`,
      'INSTANCE_INDEX=2',
      'INSTANCE_GUID=instance-guid-1',
      'CF_INSTANCE_IP=127.0.0.1',
      `CF_INSTANCE_ADDR=127.0.0.1:${web!.hostPort}`,
      `CF_INSTANCE_PORTS=[{"external":${web!.hostPort},"internal":8080},{"external":${admin!.hostPort},"internal":9090}]`,
      'A=container',
      'B=action',
      'HOME=/home/vcap',
      '/home/vcap',
    ]);
  });

  it('lets a process listening on $PORT answer on the host port', async () => {
    const c = await create('web', { ports: [8080], identity: { guid: 'web-guid' } });
    const port = (await c.info()).ports[0]!.hostPort;
    const web = await c.run(sh('mkdir -p /tmp/www && echo hello from $INSTANCE_GUID > /tmp/www/index.html && exec httpd -f -p $PORT -h /tmp/www'), undefined);
    const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), { timeout: 5000, interval: 50 });
    expect(body).to.equal('hello from web-guid\n');
    await c.stop(false);
    expect((await web.wait()).signal).to.equal('TERM');
  });

  it('ends a process that exceeds the memory limit with oom: true', async () => {
    const c = await create('hungry', { limits: { memoryMb: 32 } });
    expect((await c.info()).memory).to.deep.equal({ limitMb: 32, enforced: true, mechanism: 'runc' });
    const status = await (await c.run(sh('x=a; while :; do x=$x$x; done'))).wait();
    expect(status).to.deep.equal({ code: 137, signal: 'KILL', oom: true });
    // through Diego's run action, as the cell runs it, the crash reason says so
    const run = await runAction(Actions.run({ path: 'sh', args: ['-c', 'x=a; while :; do x=$x$x; done'], user: 'root' }), { container: c });
    expect(run).to.include({ ok: false, error: 'Exited with status 137 (out of memory)' });
    // the container survives its process: the next one runs, and a KILL of ours is no OOM
    const next = await c.run(sh('sleep 100'));
    await c.stop(true);
    expect(await next.wait()).to.deep.equal({ code: 137, signal: 'KILL', oom: false });
  });

  it('signals the process group inside the container: a TERM trap runs', async () => {
    const c = await create('trapper');
    const { io, text } = collect();
    const p = await c.run(sh('trap "echo got TERM; exit 5" TERM; echo ready; while :; do sleep 1; done'), io);
    await eventually(() => expect(text()).to.include('ready'));
    await p.signal('TERM');
    expect(await p.wait()).to.deep.equal({ code: 5, oom: false });
    expect(text()).to.include('got TERM');
  });

  it('stops a process that exits on TERM at once', async () => {
    const c = await create('polite');
    const p = await c.run({ path: 'sleep', args: ['1000'] });
    const started = Date.now();
    await c.stop(false);
    expect(Date.now() - started).to.be.lessThan(GRACE_MS / 2);
    expect(await p.wait()).to.deep.equal({ code: 143, signal: 'TERM', oom: false });
  });

  it('KILLs a process that ignores TERM once the grace period is over', async () => {
    const c = await create('stubborn');
    const { io, text } = collect();
    const p = await c.run(sh('trap "" TERM; echo ready; while :; do sleep 1; done'), io);
    await eventually(() => expect(text()).to.include('ready'));
    const started = Date.now();
    await c.stop(false);
    expect(Date.now() - started).to.be.within(GRACE_MS - 50, GRACE_MS + 1500);
    expect(await p.wait()).to.deep.equal({ code: 137, signal: 'KILL', oom: false });
  });

  it('stop ends every process but the init, orphaned ones too, and the container runs again', async () => {
    const c = await create('again');
    const { io, text } = collect();
    // a background child that ignores TERM, and one that left the tree (orphaned to the init)
    const p = await c.run(sh('(trap "" TERM; sleep 1001) & (setsid sleep 1002 &); echo ready; sleep 1003'), io);
    await eventually(() => expect(text()).to.include('ready'));
    await c.stop(false);
    expect((await p.wait()).signal).to.be.oneOf(['TERM', 'KILL']);
    expect(c.processes()).to.deep.equal([]);
    const { status, lines } = await output(c, 'ps -o comm');
    expect(status.code).to.equal(0);
    expect(lines.filter((l) => l.startsWith('sleep'))).to.deep.equal(['sleep']);
    expect((await output(c, 'echo alive')).lines).to.deep.equal(['alive']);
  });

  it('maps /home/vcap and /tmp to the container own directories and refuses other paths', async () => {
    const c = await create('files');
    writeFileSync(c.hostPath('/home/vcap/app.txt'), 'from the host\n');
    mkdirSync(c.hostPath('lib'), { recursive: true });
    writeFileSync(c.hostPath('lib/x'), 'relative\n');
    writeFileSync(c.hostPath('/tmp/t'), 'tmp\n');
    expect((await output(c, 'cat /home/vcap/app.txt lib/x /tmp/t; echo inside > made')).lines).to.deep.equal(['from the host', 'relative', 'tmp']);
    expect(readFileSync(c.hostPath('made'), 'utf8')).to.equal('inside\n');
    for (const outside of ['/etc/passwd', '/', '../../etc', '/home/other', '/tmpx']) {
      expect(() => c.hostPath(outside), outside).to.throw(/invalid path: .*only \/home\/vcap and \/tmp are writable/);
    }
    // a symlink the container made must not lead a host-side write out of the container
    symlinkSync('/etc', c.hostPath('escape'));
    expect(() => c.hostPath('escape/passwd')).to.throw(/a symlink leads out of \/home\/vcap/);
    symlinkSync('/etc/no-such-file-here', c.hostPath('/tmp/dangling'));
    expect(() => c.hostPath('/tmp/dangling')).to.throw(/a symlink leads out of \/tmp/);
  });

  it('reports info and metrics while a process runs', async () => {
    const c = await create('info', { properties: { owner: 'test' }, limits: { memoryMb: 64, maxPids: 50 } });
    const p = await c.run(sh('sleep 100'));
    const info = await c.info();
    expect(info).to.deep.include({ handle: 'info', state: 'active', adopted: false, externalIp: '127.0.0.1', processes: [p.id] });
    expect(info.limits).to.deep.equal({ memoryMb: 64, maxPids: 50 });
    expect((await c.metrics()).memoryBytes).to.be.greaterThan(0);
    expect((await backend.containers({ owner: 'test' })).map((x) => x.handle)).to.deep.equal(['info']);
    expect(await backend.containers({ owner: 'other' })).to.deep.equal([]);
  });

  it('refuses an unknown rootfs, a handle in use and a handle that is no name', async () => {
    await create('taken');
    await create('other', { rootfs: 'preloaded:ubuntu' }).then(
      () => expect.fail('created'),
      (e) => expect(e).to.include({ code: 'InvalidRequest', message: 'invalid field: rootfs: preloaded:ubuntu is not offered here (offered: preloaded:busybox)' }),
    );
    await create('taken').then(() => expect.fail('created'), (e) => expect(e).to.include({ code: 'ResourceExists' }));
    await create('../escape').then(() => expect.fail('created'), (e) => expect(e).to.include({ code: 'InvalidRequest' }));
  });

  it('leaves nothing behind when runc cannot start the container', async () => {
    const empty = tempDir('auctor-empty-rootfs-');
    const other = tempDir();
    const broken = await RuncBackend.open({ dataDir: other.path, rootfses: { empty: empty.path }, scope });
    try {
      const error = await broken.create({ handle: 'broken', rootfs: 'preloaded:empty', ports: [8080] }).catch((e: Error) => e);
      expect((error as Error).message).to.match(/^runc could not start container broken: .*\/bin\/sh/);
      expect(await broken.containers()).to.deep.equal([]);
      expect(existsSync(join(other.path, 'containers', 'broken'))).to.equal(false);
      expect(await new Runc(findOnPath('runc')!, join(other.path, 'runc')).list()).to.deep.equal([]);
      expect(containerCgroupsLeft(scope)).to.deep.equal([]);
    } finally {
      await broken.close();
      other.remove();
      empty.remove();
    }
  });

  it('destroy ends the processes and removes the runc container, its cgroup and its bundle', async () => {
    const c = await create('doomed', { ports: [8080], limits: { memoryMb: 64 } });
    const p = await c.run(sh('sleep 100'));
    const { path } = await c.info();
    const runc = new Runc(findOnPath('runc')!, join(dir.path, 'runc'));
    expect((await runc.state('doomed'))?.status).to.equal('running');
    await backend.destroy('doomed');
    expect((await p.wait()).signal).to.equal('KILL');
    expect(await runc.state('doomed')).to.equal(undefined);
    expect(existsSync(path)).to.equal(false);
    expect(containerCgroupsLeft(scope)).to.deep.equal([]);
    await backend.lookup('doomed').then(() => expect.fail('found'), (e) => expect(e).to.include({ code: 'ResourceNotFound' }));
    await backend.destroy('doomed').then(() => expect.fail('destroyed'), (e) => expect(e).to.include({ code: 'ResourceNotFound' }));
  });
});

describe('runc backend ping', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  it('says runc is missing when it is not on PATH', async () => {
    const backend = await RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: dir.path }, runc: 'no-such-runc-here' });
    await backend.ping().then(
      () => expect.fail('pinged'),
      (e) => expect(e).to.include({ code: 'Unavailable', message: "runc backend unavailable: runc not found on PATH; install Debian's runc package" }),
    );
  });

  it('says no rootfs is configured when none is', async () => {
    // any executable passes for runc here: ping checks the rootfses next
    const backend = await RuncBackend.open({ dataDir: dir.path, rootfses: {}, runc: '/bin/true' });
    expect(backend.rootfses()).to.deep.equal([]);
    await backend.ping().then(() => expect.fail('pinged'), (e) => expect((e as Error).message).to.match(/^runc backend unavailable: no root filesystem configured/));
  });
});
