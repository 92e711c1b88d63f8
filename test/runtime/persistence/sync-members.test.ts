import { expect } from 'chai';
import { SyncMembers, type SyncCandidate } from '../../../src/runtime/persistence/sync-members.js';

const silent = { info: () => {}, warn: () => {} };

/** A standby as the set sees it; `silence`: ms it has owed an answer. */
const link = (name: string, acked: number, options: { caughtUp?: boolean; silence?: number } = {}): SyncCandidate => ({
  name, acked, caughtUp: options.caughtUp ?? true, silentFor: () => options.silence ?? 0,
});

/** A publish the test answers by hand, recording what was asked. */
function manualPublish() {
  const asked: string[][] = [];
  let answer: ((done: boolean) => void) | undefined;
  const publish = (members: string[]) => {
    asked.push([...members].sort());
    return new Promise<boolean>((resolve) => (answer = resolve));
  };
  const settle = async (done: boolean) => {
    answer!(done);
    answer = undefined;
    await Promise.resolve();
    await Promise.resolve();
  };
  return { publish, asked, settle, pending: () => answer !== undefined };
}

describe('SyncMembers: the standbys whose acknowledgements count', () => {
  it('a caught-up standby counts only once a set naming it is published', async () => {
    const { publish, asked, settle } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    let changes = 0;
    set.review([link('b', 10), link('c', 3, { caughtUp: false })], 10, 0, () => changes++);
    expect(asked).to.deep.equal([['b']]);
    expect(set.counts('b')).to.equal(false);
    await settle(true);
    expect(set.counts('b')).to.equal(true);
    expect(set.counts('c')).to.equal(false);
    expect(changes).to.equal(1);
  });

  it('a failed publish names no one; the next review tries again', async () => {
    const { publish, asked, settle } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    set.review([link('b', 10)], 10, 0, () => {});
    await settle(false);
    expect(set.counts('b')).to.equal(false);
    set.review([link('b', 10)], 10, 0, () => {});
    await settle(true);
    expect(asked).to.deep.equal([['b'], ['b']]);
    expect(set.counts('b')).to.equal(true);
  });

  it('a member that goes stops counting at once, and is dropped only once the others hold everything acknowledged', async () => {
    const { publish, asked, settle, pending } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    set.review([link('b', 10), link('c', 10)], 10, 0, () => {});
    await settle(true);
    // c silent past the limit while it owes answers; b is behind what was acknowledged (through c)
    set.review([link('b', 8), link('c', 10, { silence: 1500 })], 12, 1, () => {});
    expect(set.counts('c')).to.equal(false);
    expect(set.counts('b')).to.equal(true);
    expect(pending(), 'no publish drops c while b lacks acknowledged writes').to.equal(false);
    set.review([link('b', 12), link('c', 10, { silence: 2000 })], 12, 2, () => {});
    expect(asked.at(-1)).to.deep.equal(['b']);
    await settle(true);
    expect(set.members()).to.deep.equal(['b']);
  });

  it('a member gone from the links (the membership dropped it) leaves too', async () => {
    const { publish, settle } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    set.review([link('b', 5), link('c', 5)], 5, 0, () => {});
    await settle(true);
    set.review([link('b', 5)], 5, 0, () => {});
    expect(set.counts('c')).to.equal(false);
    await settle(true);
    expect(set.members()).to.deep.equal(['b']);
  });

  it('the last member is never dropped with no one to cover it: the set keeps naming it', async () => {
    const { publish, settle, pending } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    set.review([link('b', 5)], 5, 0, () => {});
    await settle(true);
    set.review([], 5, 0, () => {});
    expect(set.counts('b')).to.equal(false);
    expect(pending()).to.equal(false);
    expect(set.members()).to.deep.equal(['b']);
  });

  it('a member back while a publish that drops it is on its way does not count until it is named again', async () => {
    const { publish, asked, settle } = manualPublish();
    const set = new SyncMembers(publish, 1, 1000, silent);
    set.review([link('b', 5), link('c', 5)], 5, 0, () => {});
    await settle(true);
    set.review([link('b', 5), link('c', 5, { silence: 1500 })], 5, 1, () => {});
    expect(asked.at(-1)).to.deep.equal(['b']); // dropping c: b covers everything
    set.review([link('b', 5), link('c', 5)], 5, 2, () => {}); // c answers again meanwhile
    expect(set.counts('c')).to.equal(false);
    await settle(true);
    expect(set.counts('c')).to.equal(false);
    set.review([link('b', 5), link('c', 5)], 5, 3, () => {});
    expect(asked.at(-1)).to.deep.equal(['b', 'c']);
    await settle(true);
    expect(set.counts('c')).to.equal(true);
  });
});
