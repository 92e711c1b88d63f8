import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { Membership, type MemberEvent } from '../../../src/runtime/cluster/membership.js';
import { TcpRemoting } from '../../fixtures/cluster-tcp-remoting.js';
import { finished, startFixture } from '../../support/child-process.js';
import { consistently, eventually } from '../../support/eventually.js';

/** Membership between this process and a real child process, over the TCP fixture transport. */
describe('membership across processes (100 ms heartbeats)', function () {
  this.timeout(20_000);
  let remoting: TcpRemoting;
  let membership: Membership;
  let child: ChildProcess | undefined;
  const events: Array<MemberEvent & { at: number }> = [];

  beforeEach(async () => {
    events.length = 0;
    remoting = await TcpRemoting.listen('observer', Date.now());
    membership = new Membership({ remoting, roles: ['control'], heartbeatMs: 100, memberTtlMs: 1000 });
    membership.onEvent((e) => events.push({ ...e, at: Date.now() }));
    membership.start();
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    membership.stop();
    await remoting.close();
  });

  async function startChild(): Promise<{ child: ChildProcess; output: () => string }> {
    const proc = startFixture('cluster-node', ['--name', 'cell-1', '--join', remoting.self.address, '--heartbeat-ms', '100', '--cell-ttl-ms', '1000']);
    child = proc;
    let output = '';
    proc.stdout!.on('data', (d) => (output += d));
    await eventually(() => expect(membership.member('cell-1')?.status).to.equal('up'), { timeout: 10_000 });
    await eventually(() => expect(output).to.contain('"event":"member-up","member":"observer"'));
    return { child: proc, output: () => output };
  }

  it('a child joins; killed with SIGKILL it is down within a second, reported once', async () => {
    const { child } = await startChild();
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await eventually(() => expect(membership.member('cell-1')?.status).to.equal('down'), { timeout: 5_000 });
    const down = events.filter((e) => e.type === 'member-down');
    expect(down).to.have.length(1);
    expect(down[0]!.at - killedAt).to.be.below(1_000);
  });

  it('a child stopped with SIGTERM leaves: left, never down', async () => {
    const { child } = await startChild();
    const exit = finished(child);
    child.kill('SIGTERM');
    expect((await exit).code).to.equal(0);
    await eventually(() => expect(membership.member('cell-1')?.status).to.equal('left'));
    // the bound is under a second: past it, a missed leave would have shown as down
    await consistently(() => expect(membership.member('cell-1')?.status).to.equal('left'), { duration: 1_500 });
    expect(events.map((e) => e.type).filter((t) => t !== 'member-suspect' && t !== 'member-reachable')).to.deep.equal(['member-up', 'member-left']);
  });
});
