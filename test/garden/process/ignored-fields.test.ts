/**
 * The process backend enforces few of the limits a user may set (issue 12, finding 9e): what it
 * ignores (user, privileged, disk_mb, ...) is named once per container in the log, and
 * `enforces()` says what it does hold containers to on this machine.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ProcessBackend } from '../../../src/garden/process/process-backend.js';
import { captureLogs } from '../../support/log-capture.js';
import { tempDir } from '../../support/temp-dir.js';

describe('process backend: what it enforces, and what it ignores', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  let backend: ProcessBackend | undefined;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    for (const c of (await backend?.containers()) ?? []) await backend!.destroy(c.handle);
    await backend?.close();
    backend = undefined;
    dir.remove();
  });

  const open = async (options: { cgroupRoot?: string } = {}) => {
    const logs = captureLogs();
    backend = await ProcessBackend.open({ dataDir: dir.path, scope: `auctor-test/ignored-${process.pid}`, logger: logs.logger, ...options });
    return logs;
  };
  const run = async (handle: string, user?: string) => {
    const container = await backend!.lookup(handle);
    await (await container.run({ path: 'true', ...(user ? { user } : {}) })).wait();
  };

  it('names the ignored fields of a container once, at its first run, however many runs follow', async () => {
    const logs = await open();
    await backend!.create({ handle: 'asks-much', rootfs: 'preloaded:host', privileged: true, limits: { diskMb: 512, cpuWeight: 10 } });
    await backend!.create({ handle: 'asks-little', rootfs: 'preloaded:host' });
    await run('asks-much', 'vcap');
    await run('asks-much', 'vcap');
    await run('asks-little');
    await run('asks-little', 'vcap');
    await run('asks-little', 'vcap');
    expect(logs.named('garden.fields-ignored').map(({ handle, fields }) => ({ handle, fields }))).to.deep.equal([
      { handle: 'asks-much', fields: ['cpu_weight', 'disk_mb', 'privileged', 'user'] },
      // its first run asked for nothing it ignores; the first with a user is named
      { handle: 'asks-little', fields: ['user'] },
    ]);
  });

  it('without a writable cgroup it enforces only nofile, and a memory limit is named ignored too', async () => {
    const logs = await open({ cgroupRoot: join(dir.path, 'no-cgroup-here') });
    expect(backend!.enforces()).to.deep.equal(['nofile']);
    await backend!.create({ handle: 'limited', rootfs: 'preloaded:host', limits: { memoryMb: 64, maxPids: 100 } });
    await run('limited', 'vcap');
    expect(logs.named('garden.fields-ignored')[0]).to.deep.include({ handle: 'limited', fields: ['max_pids', 'memory_mb', 'user'] });
  });
});
