/** scripts/build-busybox-rootfs.sh: what the runc backend's busybox rootfs holds. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/temp-dir.js';
import { BUILD_ROOTFS } from './support.js';

const build = (dir: string, env: NodeJS.ProcessEnv = {}) => spawnSync('/bin/sh', [BUILD_ROOTFS, dir], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('build-busybox-rootfs.sh', function () {
  this.timeout(20_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('auctor-rootfs-')));
  afterEach(() => dir.remove());

  it('says to install busybox-static when there is no busybox', () => {
    const run = build(join(dir.path, 'rootfs'), { BUSYBOX: '/no/such/busybox' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.include('apt-get install busybox-static');
    expect(existsSync(join(dir.path, 'rootfs'))).to.equal(false);
  });

  it('builds a busybox rootfs, and building again changes nothing', function () {
    // skipped only without Debian's busybox-static (CI installs it); the reason is printed
    if (!existsSync('/bin/busybox')) {
      console.log('      skipping: /bin/busybox not found (apt-get install busybox-static)');
      return this.skip();
    }
    const first = build(dir.path);
    expect(first.status, first.stderr).to.equal(0);
    const snapshot = () => readdirSync(dir.path, { recursive: true }).map(String).sort();
    const before = snapshot();
    const second = build(dir.path);
    expect(second.status, second.stderr).to.equal(0);
    expect(snapshot()).to.deep.equal(before);

    expect(statSync(join(dir.path, 'bin', 'busybox')).mode & 0o111).to.not.equal(0);
    expect(readlinkSync(join(dir.path, 'bin', 'sh'))).to.equal('busybox');
    expect(readlinkSync(join(dir.path, 'bin', 'httpd'))).to.equal('busybox');
    expect(readlinkSync(join(dir.path, 'usr', 'bin'))).to.equal('../bin');
    expect(readFileSync(join(dir.path, 'etc', 'passwd'), 'utf8')).to.match(/^root:x:0:0:/m).and.match(/^vcap:x:1000:1000:.*:\/home\/vcap:/m);
    expect(readFileSync(join(dir.path, 'etc', 'group'), 'utf8')).to.match(/^root:x:0:/m).and.match(/^vcap:x:1000:/m);
    for (const d of ['home/vcap', 'tmp', 'proc', 'dev', 'sys']) expect(statSync(join(dir.path, d)).isDirectory(), d).to.equal(true);
    expect(statSync(join(dir.path, 'tmp')).mode & 0o1777).to.equal(0o1777);
  });
});
