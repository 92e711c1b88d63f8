/** The election against a real etcd (skipped without `etcd` on PATH): who wins, terms, hand-over, the longest log, fencing by the own deadline. */
import { expect } from 'chai';
import { LeaderElection, type LeaderElectionOptions, type LogPosition } from '../../../src/runtime/cluster/leader-election.js';
import { eventually } from '../../support/eventually.js';
import { withEtcd } from '../../support/etcd.js';

describe('LeaderElection (real etcd)', function () {
  this.timeout(30_000);
  const etcd = withEtcd(this);
  const running: LeaderElection[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });

  const node = (name: string, options: Partial<LeaderElectionOptions> = {}) => {
    const election = new LeaderElection({
      endpoints: [etcd.current().endpoint],
      self: { name, api: `http://${name}:8888`, listen: `${name}:7777` },
      ttlMs: 2000,
      ...options,
    });
    running.push(election);
    return election;
  };

  it('elects exactly one; the other sees it with its term', async () => {
    const a = node('a').start();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    const b = node('b').start();
    await eventually(() => expect(b.leader()?.name).to.equal('a'), { timeout: 5000 });
    expect(b.holds()).to.equal(false);
    expect(b.leader()).to.deep.equal({ name: 'a', api: 'http://a:8888', listen: 'a:7777', term: a.currentTerm() });
    expect(a.leader()?.term).to.be.a('number').above(0);
  });

  it('a leader that stops hands over at once, and the next term is higher', async () => {
    const a = node('a').start();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    const first = a.currentTerm()!;
    const b = node('b').start();
    await eventually(() => expect(b.leader()?.name).to.equal('a'), { timeout: 5000 });
    const stoppedAt = Date.now();
    await a.stop();
    await eventually(() => expect(b.holds()).to.equal(true), { timeout: 5000 });
    // a resigning leader revokes its lease: no TTL to wait for
    expect(Date.now() - stoppedAt).to.be.below(1500);
    expect(b.currentTerm()).to.be.above(first);
  });

  it('among standbys only one holding the longest log may win', async () => {
    const a = node('a').start();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    const behind: LogPosition = { term: 1, lsn: 10 };
    const ahead: LogPosition = { term: 1, lsn: 12 };
    const b = node('b', { lastLsn: () => behind }).start();
    const c = node('c', { lastLsn: () => ahead }).start();
    await eventually(() => expect([b.leader()?.name, c.leader()?.name]).to.deep.equal(['a', 'a']), { timeout: 5000 });
    await a.stop();
    await eventually(() => expect(c.holds()).to.equal(true), { timeout: 5000 });
    expect(b.holds()).to.equal(false);
    await eventually(() => expect(b.leader()?.name).to.equal('c'), { timeout: 5000 });
  });

  it('with etcd gone the leader stops holding at its own deadline, and carries on when etcd returns within the TTL', async () => {
    const lost: string[] = [];
    const a = node('a', { ttlMs: 3000 }).start();
    a.on('lost', (reason) => lost.push(reason));
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    const term = a.currentTerm();
    // a brief outage: etcd back well within the TTL, the same leader in the same term
    await etcd.restart();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    expect(a.currentTerm()).to.equal(term);
    expect(lost).to.deep.equal([]);
    // a long one: no keepalive gets through, the node stops holding by its own clock
    const goneAt = Date.now();
    await etcd.current().stop();
    await eventually(() => expect(a.holds()).to.equal(false), { timeout: 5000, interval: 5 });
    expect(Date.now() - goneAt).to.be.below(3000);
    await eventually(() => expect(lost).to.deep.equal(['lease-deadline']), { timeout: 2000 });
  });
});
