/**
 * A record damaged on disk (empty or cut short, as a write killed half way once left
 * `process.json`) costs its one container when the backend opens, never the backend: the
 * damaged container is logged, its processes stopped and its files removed (the cell then never
 * sees it, so the control side places the instance again), and its neighbours are adopted.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Process } from '../../../src/garden/backend.js';
import { ProcessBackend } from '../../../src/garden/process/process-backend.js';
import { eventually } from '../../support/eventually.js';
import { alive } from '../../support/garden.js';
import { captureLogs } from '../../support/log-capture.js';
import { tempDir } from '../../support/temp-dir.js';

const TICK = { path: 'sh', args: ['-c', 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.05; done'] };

describe('process backend: damaged records on disk', function () {
  this.timeout(30_000);
  let dir: ReturnType<typeof tempDir>;
  let backend: ProcessBackend | undefined;
  let pids: Record<string, number>;
  const scope = `auctor-test/damaged-${process.pid}`;

  /** Two containers each running a ticker, left running by a backend that closes. */
  const leaveTwoRunning = async (options: { cgroupRoot?: string } = {}) => {
    const first = await ProcessBackend.open({ dataDir: dir.path, scope, gracefulStopMs: 300, ...options });
    pids = {};
    for (const handle of ['healthy', 'damaged']) {
      const container = await first.create({ handle, rootfs: 'preloaded:host', ports: [8080] });
      const proc = (await container.run(TICK)) as Process & { pid: number };
      pids[handle] = proc.pid;
    }
    await first.close();
  };
  const processDir = (handle: string) => {
    const root = join(dir.path, 'containers', handle, 'processes');
    return join(root, readdirSync(root)[0]!);
  };
  const reopen = async (options: { cgroupRoot?: string } = {}) => {
    const logs = captureLogs();
    backend = await ProcessBackend.open({ dataDir: dir.path, scope, gracefulStopMs: 300, logger: logs.logger, ...options });
    return logs;
  };
  const expectOnlyHealthyAdopted = async () => {
    expect((await backend!.containers()).map((c) => c.handle)).to.deep.equal(['healthy']);
    const healthy = await backend!.lookup('healthy');
    expect(await healthy.info()).to.include({ adopted: true, state: 'active' });
    expect(alive(pids['healthy']!)).to.equal(true);
    // the damaged one's processes are stopped and its files gone: nothing of it is left running
    await eventually(() => expect(alive(pids['damaged']!)).to.equal(false));
    expect(existsSync(join(dir.path, 'containers', 'damaged'))).to.equal(false);
  };

  beforeEach(() => {
    dir = tempDir();
    backend = undefined;
  });
  afterEach(async () => {
    for (const c of (await backend?.containers()) ?? []) await backend!.destroy(c.handle);
    await backend?.close();
    for (const pid of Object.values(pids ?? {})) if (alive(pid)) process.kill(-pid, 'SIGKILL');
    dir.remove();
  });

  for (const [name, damage] of [
    ['an empty', () => ''],
    ['a cut short', (text: string) => text.slice(0, Math.floor(text.length / 2))],
  ] as const) {
    it(`${name} process.json costs its container only, logged naming the container and the file`, async () => {
      await leaveTwoRunning();
      const file = join(processDir('damaged'), 'process.json');
      writeFileSync(file, damage(readFileSync(file, 'utf8')));
      const logs = await reopen();
      await expectOnlyHealthyAdopted();
      const [line] = logs.named('garden.damaged-container');
      expect(line).to.include({ handle: 'damaged', file });
      expect(line!['error']).to.be.a('string').and.not.equal('');
    });

    it(`${name} container.json costs its container only, logged naming the container and the file`, async () => {
      await leaveTwoRunning();
      const file = join(dir.path, 'containers', 'damaged', 'container.json');
      writeFileSync(file, damage(readFileSync(file, 'utf8')));
      const logs = await reopen();
      await expectOnlyHealthyAdopted();
      expect(logs.named('garden.damaged-container')[0]).to.include({ handle: 'damaged', file });
    });
  }

  it('without a cgroup too, the processes of a damaged container are found and stopped', async () => {
    const noCgroup = { cgroupRoot: join(dir.path, 'no-cgroup-here') };
    await leaveTwoRunning(noCgroup);
    writeFileSync(join(processDir('damaged'), 'process.json'), '');
    const logs = await reopen(noCgroup);
    await expectOnlyHealthyAdopted();
    expect(logs.named('garden.damaged-container')).to.have.length(1);
  });

  it('a record of the wrong shape is damage too (a pid that is no number)', async () => {
    await leaveTwoRunning();
    const file = join(processDir('damaged'), 'process.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), pid: 'x' }));
    const logs = await reopen();
    await expectOnlyHealthyAdopted();
    expect(logs.named('garden.damaged-container')[0]).to.include({ handle: 'damaged', file });
  });

  it('a process started but never recorded (the cell died in between) is stopped; its container is adopted without it', async () => {
    await leaveTwoRunning();
    rmSync(join(processDir('damaged'), 'process.json'));
    const logs = await reopen();
    expect((await backend!.containers()).map((c) => c.handle).sort()).to.deep.equal(['damaged', 'healthy']);
    expect((await backend!.lookup('damaged')).processes()).to.deep.equal([]);
    await eventually(() => expect(alive(pids['damaged']!)).to.equal(false));
    expect(logs.named('garden.unrecorded-process-stopped')[0]).to.include({ handle: 'damaged' });
  });

  it('a damaged offsets.json is logged and the output read again from its start; the container is adopted', async () => {
    await leaveTwoRunning();
    const file = join(processDir('damaged'), 'offsets.json');
    writeFileSync(file, '{"stdout": 12');
    const logs = await reopen();
    expect((await backend!.containers()).map((c) => c.handle).sort()).to.deep.equal(['damaged', 'healthy']);
    expect(logs.named('garden.damaged-file')[0]).to.include({ handle: 'damaged', file });
    const [proc] = (await backend!.lookup('damaged')).processes();
    const lines: string[] = [];
    proc!.attach({ onOutput: (l) => lines.push(l.line) });
    await eventually(() => expect(lines[0]).to.equal('tick 0'));
  });

  it('an empty exit file is not read as status 0', async () => {
    await leaveTwoRunning();
    const exitFile = join(processDir('damaged'), 'exit');
    process.kill(-pids['damaged']!, 'SIGKILL');
    await eventually(() => expect(alive(pids['damaged']!)).to.equal(false));
    writeFileSync(exitFile, '');
    await reopen();
    const [proc] = (await backend!.lookup('damaged')).processes();
    expect(await proc!.wait()).to.deep.equal({ code: 137, signal: 'KILL', oom: false });
  });

  it('a stray entry that is no container name is removed, logged, and the rest adopted', async () => {
    await leaveTwoRunning();
    writeFileSync(join(dir.path, 'containers', '.stray'), 'x');
    const logs = await reopen();
    expect((await backend!.containers()).map((c) => c.handle).sort()).to.deep.equal(['damaged', 'healthy']);
    expect(logs.named('garden.removed-stray-entry')[0]).to.include({ entry: '.stray' });
    expect(existsSync(join(dir.path, 'containers', '.stray'))).to.equal(false);
  });
});
