import { expect } from 'chai';
import { eligibility, parseSyncSet, type SyncSet } from '../../../src/runtime/cluster/sync-set.js';

/** Candidate records as read from etcd: name -> JSON. */
const records = (...list: Array<{ name: string; term: number; lsn: number; vacantAt?: number }>) =>
  Object.fromEntries(list.map((r) => [`/auctor/control/candidates/${r.name}`, JSON.stringify(r)]));

// the active `a` led term 10 and counted b and c, one of them per write
const SET: SyncSet = { leader: 'a', term: 10, members: ['b', 'c'], quorum: 1 };

describe('the synchronous set: who may win', () => {
  it('without a set, or with quorum 0, the longest live log wins', () => {
    const others = records({ name: 'b', term: 3, lsn: 50 });
    expect(eligibility('c', { term: 3, lsn: 40 }, others, undefined)).to.include({ may: false, reason: 'longer-log' });
    expect(eligibility('c', { term: 3, lsn: 50 }, others, undefined)).to.deep.equal({ may: true });
    expect(eligibility('z', { term: 3, lsn: 50 }, {}, { ...SET, quorum: 0 })).to.deep.equal({ may: true });
  });

  it('a member wins once enough members published after the key went to include one that acknowledged each write', () => {
    // quorum 1 of 2: a write may be on b alone, or on c alone, so c must have seen b's position
    expect(eligibility('c', { term: 10, lsn: 90 }, {}, SET)).to.deep.include({ may: false, reason: 'witnesses-unseen', needed: 2, seen: ['c'] });
    const bFresh = records({ name: 'b', term: 10, lsn: 90, vacantAt: 12 });
    expect(eligibility('c', { term: 10, lsn: 90 }, bFresh, SET)).to.deep.equal({ may: true });
    // b holds more: c yields to it
    expect(eligibility('c', { term: 10, lsn: 80 }, bFresh, SET)).to.include({ may: false, reason: 'longer-log' });
  });

  it('a position published before the leader key went does not count as a witness', () => {
    // vacantAt at or below the set's term: seen absent before that leader was elected, or never
    const stale = records({ name: 'b', term: 10, lsn: 90, vacantAt: 9 }, { name: 'd', term: 10, lsn: 10 });
    expect(eligibility('c', { term: 10, lsn: 90 }, stale, SET)).to.include({ may: false, reason: 'witnesses-unseen' });
  });

  it('the two-failure case: a node outside the set may not win alone, however long its log looks', () => {
    const set: SyncSet = { leader: 'a', term: 10, members: ['b'], quorum: 1 };
    expect(eligibility('c', { term: 10, lsn: 70 }, {}, set)).to.deep.include({ may: false, reason: 'witnesses-unseen', needed: 1, seen: [] });
    // b, the one member, holds every acknowledged write: it wins alone
    expect(eligibility('b', { term: 10, lsn: 95 }, records({ name: 'c', term: 10, lsn: 70, vacantAt: 20 }), set)).to.deep.equal({ may: true });
  });

  it('the last active is a witness by itself: it wrote every acknowledged write', () => {
    expect(eligibility('a', { term: 10, lsn: 99 }, {}, SET)).to.deep.equal({ may: true });
    expect(eligibility('c', { term: 10, lsn: 99 }, records({ name: 'a', term: 10, lsn: 99, vacantAt: 30 }), SET)).to.deep.equal({ may: true });
  });

  it('a set with fewer members than its quorum (a new active before any standby caught up) leaves only the last active', () => {
    const empty: SyncSet = { leader: 'b', term: 20, members: [], quorum: 1 };
    // a's log of term 10 is shorter than c's of term 20, and a is no witness of b's term
    expect(eligibility('c', { term: 20, lsn: 5 }, records({ name: 'a', term: 10, lsn: 99, vacantAt: 21 }), empty)).to.include({ may: false, reason: 'witnesses-unseen' });
    expect(eligibility('a', { term: 10, lsn: 99 }, {}, empty)).to.include({ may: false, reason: 'witnesses-unseen' });
    expect(eligibility('b', { term: 20, lsn: 5 }, {}, empty)).to.deep.equal({ may: true });
  });

  it('reads the key: the term from the value or, as written by the winning transaction, its mod revision', () => {
    expect(parseSyncSet('{"leader":"a","members":[],"quorum":1}', 42)).to.deep.equal({ leader: 'a', term: 42, members: [], quorum: 1 });
    expect(parseSyncSet('{"leader":"a","term":40,"members":["b"],"quorum":1}', 42)).to.deep.equal({ leader: 'a', term: 40, members: ['b'], quorum: 1 });
    for (const bad of ['nope', 'null', '{"leader":"","members":[],"quorum":1}', '{"leader":"a","members":"b","quorum":1}', '{"leader":"a","members":[],"quorum":-1}', `{"leader":"a","members":${JSON.stringify(Array(65).fill('x'))},"quorum":1}`]) {
      expect(parseSyncSet(bad, 1), bad).to.equal(undefined);
    }
  });
});
