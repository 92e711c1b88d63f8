import { expect } from 'chai';
import { cgroupsPath, cpuShares, ociConfig, ociProcess, type ContainerConfigInput } from '../../../src/garden/runc/oci-config.js';

const input = (extra: Partial<ContainerConfigInput> = {}): ContainerConfigInput => ({
  handle: 'app-guid-0',
  rootfsDir: '/var/lib/rootfs/busybox',
  homeDir: '/data/containers/app-guid-0/home',
  tmpDir: '/data/containers/app-guid-0/tmp',
  scope: 'auctor/cell-1',
  ...extra,
});

describe('ociConfig', () => {
  it('isolates pid, mount, ipc and uts, and shares the host network', () => {
    const types = ociConfig(input()).linux.namespaces.map((n) => n.type);
    expect(types).to.include.members(['pid', 'mount', 'ipc', 'uts']);
    expect(types).to.not.include('network');
    expect(types).to.not.include('user');
  });

  it('mounts the shared rootfs read-only', () => {
    expect(ociConfig(input()).root).to.deep.equal({ path: '/var/lib/rootfs/busybox', readonly: true });
  });

  it('binds the container own directories writable at /home/vcap and /tmp', () => {
    const mounts = ociConfig(input()).mounts;
    const bind = (dest: string) => mounts.find((m) => m.destination === dest);
    expect(bind('/home/vcap')).to.deep.include({ type: 'bind', source: '/data/containers/app-guid-0/home' });
    expect(bind('/tmp')).to.deep.include({ type: 'bind', source: '/data/containers/app-guid-0/tmp' });
    for (const dest of ['/home/vcap', '/tmp']) expect(bind(dest)!.options).to.include.members(['rbind', 'rw', 'nosuid', 'nodev']);
  });

  it('has proc, a tmpfs /dev, devpts, shm, mqueue and a read-only sysfs, and no cgroup mount', () => {
    const mounts = ociConfig(input()).mounts;
    const byDest = Object.fromEntries(mounts.map((m) => [m.destination, m]));
    expect(byDest['/proc']!.type).to.equal('proc');
    expect(byDest['/dev']!.type).to.equal('tmpfs');
    expect(byDest['/dev/pts']!.type).to.equal('devpts');
    expect(byDest['/dev/shm']!.type).to.equal('tmpfs');
    expect(byDest['/dev/mqueue']!.type).to.equal('mqueue');
    expect(byDest['/sys']).to.deep.include({ type: 'sysfs' });
    expect(byDest['/sys']!.options).to.include('ro');
    expect(byDest['/sys/fs/cgroup']).to.equal(undefined);
    // /dev comes before what is mounted inside it
    expect(mounts.findIndex((m) => m.destination === '/dev')).to.be.lessThan(mounts.findIndex((m) => m.destination === '/dev/pts'));
  });

  it('limits memory (swap included) in bytes and pids, only when asked', () => {
    const limited = ociConfig(input({ memoryMb: 32, maxPids: 64 })).linux.resources;
    expect(limited.memory).to.deep.equal({ limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 });
    expect(limited.pids).to.deep.equal({ limit: 64 });
    const free = ociConfig(input()).linux.resources;
    expect(free.memory).to.equal(undefined);
    expect(free.pids).to.equal(undefined);
    expect(free.cpu).to.equal(undefined);
    // devices: deny all; runc adds its default allow list (null, zero, random, tty, ...)
    expect(free.devices).to.deep.equal([{ allow: false, access: 'rwm' }]);
  });

  it('puts the container in the cgroup /<scope>/<handle>', () => {
    expect(ociConfig(input()).linux.cgroupsPath).to.equal('/auctor/cell-1/app-guid-0');
    expect(cgroupsPath('/auctor/', 'h')).to.equal('/auctor/h');
    expect(cgroupsPath('', 'h')).to.equal('/h');
  });

  it('names the host after the handle, cut to the 63 characters a hostname may have', () => {
    expect(ociConfig(input()).hostname).to.equal('app-guid-0');
    expect(ociConfig(input({ handle: 'x'.repeat(100) })).hostname).to.have.length(63);
  });

  it('runs the init as root without a terminal, new privileges or the right to bind low host ports', () => {
    const { process } = ociConfig(input());
    expect(process.terminal).to.equal(false);
    expect(process.user).to.deep.equal({ uid: 0, gid: 0 });
    expect(process.noNewPrivileges).to.equal(true);
    expect(process.args[0]).to.equal('/bin/sh');
    for (const set of Object.values(process.capabilities)) {
      expect(set).to.include('CAP_KILL');
      expect(set).to.not.include.members(['CAP_NET_BIND_SERVICE']);
      expect(set).to.not.include('CAP_SYS_ADMIN');
      expect(set).to.not.include('CAP_NET_RAW');
    }
  });

  it('maps Diego cpu weights to shares within the kernel bounds', () => {
    expect(cpuShares(100)).to.equal(1024);
    expect(cpuShares(50)).to.equal(512);
    expect(cpuShares(1)).to.equal(10);
    expect(cpuShares(0.1)).to.equal(2);
    expect(cpuShares(500)).to.equal(1024);
    expect(ociConfig(input({ cpuWeight: 50 })).linux.resources.cpu).to.deep.equal({ shares: 512 });
  });
});

describe('ociProcess', () => {
  it('carries argv, env and cwd as given and the open-files limit asked for', () => {
    const p = ociProcess({ args: ['sh', '-c', 'echo hi'], env: ['A=1', 'B=2'], cwd: '/home/vcap', nofile: 4096 });
    expect(p.args).to.deep.equal(['sh', '-c', 'echo hi']);
    expect(p.env).to.deep.equal(['A=1', 'B=2']);
    expect(p.cwd).to.equal('/home/vcap');
    expect(p.rlimits).to.deep.equal([{ type: 'RLIMIT_NOFILE', hard: 4096, soft: 4096 }]);
  });

  it('defaults the open-files limit to runc own 1024', () => {
    expect(ociProcess({ args: ['true'], env: [], cwd: '/' }).rlimits[0]).to.include({ soft: 1024, hard: 1024 });
  });
});
