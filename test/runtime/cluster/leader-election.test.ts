/** The election against a real etcd (skipped without `etcd` on PATH): who wins, terms, hand-over (watched), the longest log, fencing by the own deadline, read-only while etcd is away. */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { LeaderElection, type LeaderElectionOptions, type LogPosition } from '../../../src/runtime/cluster/leader-election.js';
import { consistently, eventually } from '../../support/eventually.js';
import { withEtcd } from '../../support/etcd.js';
import { startTcpProxy } from '../../support/tcp-proxy.js';

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

  it('with a synchronous set, a node outside it does not win alone; a member does, and resets the set', async () => {
    const grouped = { syncQuorum: 1 };
    const a = node('a', grouped).start();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    // a counts b's acknowledgements: b may hold writes no one else does
    expect(await a.publishSyncSet(['b'])).to.equal(true);
    const c = node('c', { ...grouped, lastLsn: () => ({ term: 1, lsn: 50 }) }).start();
    await eventually(() => expect(c.leader()?.name).to.equal('a'), { timeout: 5000 });
    expect(await c.publishSyncSet(['c']), 'a standby cannot write the set').to.equal(false);
    await a.stop();
    // c is live and alone, but b (down) may hold what a acknowledged: no one may lead
    await consistently(() => expect(c.holds()).to.equal(false), { duration: 1500 });
    // b back: it is the witness, and c, whose log is longer (an unacknowledged tail, say), wins
    const b = node('b', { ...grouped, lastLsn: () => ({ term: 1, lsn: 40 }) }).start();
    await eventually(() => expect(c.holds()).to.equal(true), { timeout: 5000 });
    expect(b.holds()).to.equal(false);
    const client = new Etcd3({ hosts: etcd.current().endpoint });
    try {
      // the winning transaction named c and no member yet
      expect(JSON.parse((await client.get('/auctor/control/sync').string())!)).to.deep.equal({ leader: 'c', members: [], quorum: 1 });
    } finally {
      client.close();
    }
  });

  it('a synchronous set that cannot be read lets no one win, until an operator deletes it', async () => {
    const client = new Etcd3({ hosts: etcd.current().endpoint });
    try {
      await client.put('/auctor/control/sync').value('{"leader": 7}');
      const a = node('a', { syncQuorum: 1 }).start();
      await consistently(() => expect(a.holds()).to.equal(false), { duration: 1500 });
      await client.delete().key('/auctor/control/sync');
      await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    } finally {
      client.close();
    }
  });

  it('a standby watches the key: it wins the moment the leader resigns, not at its next poll', async () => {
    // a 15 s TTL: standbys poll every 5 s, so only the watch explains two hand-overs within 1 s each
    const [a, b, c] = ['a', 'b', 'c'].map((name) => node(name, { ttlMs: 15_000 }).start()) as [LeaderElection, LeaderElection, LeaderElection];
    await eventually(() => expect([a, b, c].filter((e) => e.holds())).to.have.length(1), { timeout: 5000 });
    await eventually(() => expect([a, b, c].map((e) => e.leader()?.name).filter(Boolean)).to.have.length(3), { timeout: 10_000 });
    let left = [a, b, c];
    for (let round = 0; round < 2; round++) {
      const leader = left.find((e) => e.holds())!;
      left = left.filter((e) => e !== leader);
      const stoppedAt = Date.now();
      await leader.stop();
      await eventually(() => expect(left.filter((e) => e.holds())).to.have.length(1), { timeout: 5000, interval: 5 });
      expect(Date.now() - stoppedAt, `round ${round + 1}`).to.be.below(1000);
    }
  });

  it('with etcd gone the leader stops holding at its own deadline (read-only), and leads on in the same term when etcd returns', async () => {
    const events: string[] = [];
    const a = node('a', { ttlMs: 3000 }).start();
    for (const event of ['read-only', 'resumed', 'lost', 'elected'] as const) a.on(event, () => events.push(event));
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    events.length = 0;
    const term = a.currentTerm();
    // a brief outage: etcd back well within the TTL, the same leader in the same term
    await etcd.restart();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    expect(a.currentTerm()).to.equal(term);
    expect(events).to.deep.equal([]);
    // a long one: no keepalive gets through, the node stops holding by its own clock
    const goneAt = Date.now();
    await etcd.current().stop();
    // (holds() reads the deadline itself; the event follows from the deadline's timer, a turn later)
    await eventually(() => expect([a.holds(), events]).to.deep.equal([false, ['read-only']]), { timeout: 5000, interval: 5 });
    expect(Date.now() - goneAt).to.be.below(3000);
    expect(a.readOnlyTerm()).to.equal(term);
    // etcd away for a TTL more: still read-only, not lost
    await consistently(() => expect([a.holds(), a.readOnlyTerm()]).to.deep.equal([false, term]), { duration: 3000, interval: 100 });
    // etcd renews every lease when it starts: the lease and the key lived through
    await etcd.restart();
    await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
    expect(events).to.deep.equal(['read-only', 'resumed']);
    expect(a.currentTerm()).to.equal(term);
    expect(a.readOnlyTerm()).to.equal(undefined);
  });

  describe('a leader cut off from etcd past its TTL (etcd up: it expires the lease and the key)', () => {
    const cutOff = async (others: (a: LeaderElection) => Promise<void>) => {
      const proxy = await startTcpProxy(etcd.current().endpoint);
      const watcher = new Etcd3({ hosts: `http://${etcd.current().endpoint}` });
      const events: string[] = [];
      try {
        const a = node('a', { endpoints: [proxy.address], lastLsn: () => ({ term: 1, lsn: 5 }) }).start();
        for (const event of ['read-only', 'resumed', 'lost', 'elected'] as const) a.on(event, () => events.push(event));
        await eventually(() => expect(a.holds()).to.equal(true), { timeout: 5000 });
        const first = a.currentTerm()!;
        events.length = 0;
        proxy.cut();
        await eventually(() => expect(events).to.deep.equal(['read-only']), { timeout: 5000 });
        await eventually(async () => expect(await watcher.get('/auctor/control/leader').string()).to.equal(null), { timeout: 5000 });
        await others(a);
        proxy.restore();
        return { a, first, events };
      } finally {
        watcher.close();
        after(() => proxy.close());
      }
    };

    it('wins a new term when etcd is reachable again and no one else leads', async () => {
      const { a, first, events } = await cutOff(async () => {});
      await eventually(() => expect(a.holds()).to.equal(true), { timeout: 10_000 });
      expect(events).to.deep.equal(['read-only', 'elected']);
      expect(a.currentTerm()).to.be.above(first);
      expect(a.readOnlyTerm()).to.equal(undefined);
    });

    it('loses to a node elected meanwhile', async () => {
      const { a, events } = await cutOff(async () => {
        const b = node('b', { lastLsn: () => ({ term: 1, lsn: 3 }) }).start();
        await eventually(() => expect(b.holds()).to.equal(true), { timeout: 5000 });
      });
      await eventually(() => expect(events).to.deep.equal(['read-only', 'lost']), { timeout: 10_000 });
      expect(a.holds()).to.equal(false);
      expect(a.readOnlyTerm()).to.equal(undefined);
      expect(a.leader()?.name).to.equal('b');
    });
  });
});
