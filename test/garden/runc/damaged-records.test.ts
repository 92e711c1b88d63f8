/**
 * The runc backend with a record damaged on disk (an empty or cut short `container.json` or
 * `process.json`): that one container is removed (its runc container deleted, everything in it
 * ended) and logged naming the file; its neighbour is adopted. Runs where runc can (CI).
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuncBackend } from '../../../src/garden/runc/runc-backend.js';
import { Runc, findOnPath } from '../../../src/garden/runc/runc-cli.js';
import { captureLogs } from '../../support/log-capture.js';
import { tempDir } from '../../support/temp-dir.js';
import { buildRootfs, containerCgroupsLeft, removeScope, requireRunc, testScope } from './support.js';

describe('runc backend: damaged records on disk', function () {
  this.timeout(30_000);
  const scope = testScope('damaged');
  let rootfs: ReturnType<typeof buildRootfs> | undefined;
  let dir: ReturnType<typeof tempDir>;
  let backend: RuncBackend | undefined;
  const open = (logger?: ReturnType<typeof captureLogs>['logger']) =>
    RuncBackend.open({ dataDir: dir.path, rootfses: { busybox: rootfs!.path }, scope, gracefulStopMs: 1000, ...(logger ? { logger } : {}) });

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
    backend ??= await open();
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    backend = undefined;
    expect(await new Runc(findOnPath('runc')!, join(dir.path, 'runc')).list(), 'runc containers left').to.deep.equal([]);
    expect(containerCgroupsLeft(scope), 'container cgroups left').to.deep.equal([]);
    dir.remove();
  });

  const leaveTwoRunning = async () => {
    const first = await open();
    for (const handle of ['healthy', 'damaged']) {
      const container = await first.create({ handle, rootfs: 'preloaded:busybox' });
      await container.run({ path: 'sleep', args: ['1000'] });
    }
    await first.close();
  };

  for (const record of ['container.json', 'process.json'] as const) {
    it(`an empty ${record} costs its container only, logged naming the container and the file`, async () => {
      await leaveTwoRunning();
      const containerDir = join(dir.path, 'containers', 'damaged');
      const processes = join(containerDir, 'processes');
      const file = record === 'container.json' ? join(containerDir, record) : join(processes, readdirSync(processes)[0]!, record);
      expect(readFileSync(file, 'utf8')).to.not.equal('');
      writeFileSync(file, '');
      const logs = captureLogs();
      backend = await open(logs.logger);
      expect((await backend.containers()).map((c) => c.handle)).to.deep.equal(['healthy']);
      expect(await (await backend.lookup('healthy')).info()).to.include({ adopted: true, state: 'active' });
      expect(logs.named('garden.damaged-container')[0]).to.include({ handle: 'damaged', file });
      expect(await new Runc(findOnPath('runc')!, join(dir.path, 'runc')).state('damaged')).to.equal(undefined);
      expect(existsSync(containerDir)).to.equal(false);
    });
  }
});
