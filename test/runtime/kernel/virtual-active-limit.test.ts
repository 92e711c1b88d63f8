/**
 * VirtualKindSpec.activeLimit: at most that many children of a kind active on the node, across
 * every parent that declares the kind; past it, an activation passivates the least recently used
 * idle ones at once (Akka's active-entity limit), never one with work in progress, and nothing
 * they hold is lost.
 */
import { expect } from 'chai';
import type { AnyRef } from '../../../src/runtime/kernel/protocol.js';
import type { VirtualChildren } from '../../../src/runtime/kernel/system.js';
import { eventually } from '../../support/eventually.js';
import { counterKind, VirtualNode, type CounterEvent, type CounterMsg, type CounterState } from './virtual-support.js';

describe('virtual children: an active limit per kind', () => {
  let node: VirtualNode;
  beforeEach(() => (node = new VirtualNode()));
  afterEach(() => node.close());

  /** a second parent declaring the same kind with a limit of 3 (the first declaration with one sets it) */
  function limitedParent(name: string): VirtualChildren<CounterState, CounterMsg, CounterEvent> {
    const parent: AnyRef = node.system.spawnStateless(node.system.root, { kind: 'holder', name, handle: () => undefined });
    return node.system.spawnVirtualKind(parent, { ...counterKind(node.activations, undefined, name), activeLimit: 3 });
  }

  it('keeps at most the limit active across parents, passivating the least recently used, and loses nothing', async () => {
    const a = limitedParent('pa');
    const b = limitedParent('pb');
    const add = (kids: typeof a, name: string, n: number) => node.system.query<CounterMsg, number>(kids.ref(name), (replyTo) => ({ type: 'add', n, replyTo }), 2_000);
    for (const name of ['x', 'y']) await a.add(name);
    for (const name of ['x', 'y']) await b.add(name);
    await add(a, 'x', 1);
    await add(a, 'y', 2);
    await add(b, 'x', 3);
    await add(a, 'x', 10); // a/x is now more recent than a/y
    expect([a.isActive('x'), a.isActive('y'), b.isActive('x')]).to.deep.equal([true, true, true]);
    await add(b, 'y', 4); // a fourth: a/y, the least recently used, is passivated at once (no idle time passed)
    await eventually(() => expect([a.isActive('x'), a.isActive('y'), b.isActive('x'), b.isActive('y')]).to.deep.equal([true, false, true, true]));
    const { checked, ...budget } = node.system.virtualBudgets()[0]!;
    expect(budget).to.deep.equal({ kind: 'counter', limit: 3, active: 3, shed: 1 });
    expect(checked).to.be.at.least(1);
    // its state is on disk: a message activates it again, and the least recently used goes
    expect(await add(a, 'y', 5)).to.equal(7);
    await eventually(() => expect(a.counts().active + b.counts().active).to.equal(3));
    expect([b.isActive('x'), a.isActive('x')], 'b/x was the least recently used').to.deep.equal([false, true]);
    expect(await add(b, 'x', 0)).to.equal(3);
  });

  it('never passivates a child with work in progress: it is passed over, the limit exceeded, and the idle ones go once they are idle', async () => {
    const a = limitedParent('pa');
    for (const name of ['p', 'q', 'r', 's']) await a.add(name);
    for (const name of ['p', 'q', 'r']) node.system.dispatch(a.ref(name), { type: 'hold', pending: true });
    await eventually(() => expect(a.counts().active).to.equal(3));
    await node.system.query<CounterMsg, CounterState>(a.ref('r'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
    // s is the fourth: every other one is busy, so all four stay
    await node.system.query<CounterMsg, CounterState>(a.ref('s'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
    expect(['p', 'q', 'r', 's'].map((n) => a.isActive(n))).to.deep.equal([true, true, true, true]);
    expect((await node.system.query<CounterMsg, CounterState>(a.ref('p'), (replyTo) => ({ type: 'get', replyTo }), 2_000)).pending).to.equal(true);
    // once p is idle again it is passivated within the retry (50 ms), with no new activation
    node.system.dispatch(a.ref('p'), { type: 'hold', pending: false });
    await node.system.query<CounterMsg, CounterState>(a.ref('p'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
    expect(a.counts().active).to.equal(4);
    await node.clock.advance(50);
    await eventually(() => expect(a.counts().active).to.equal(3));
    expect([a.isActive('p'), a.isActive('s')].filter(Boolean), 'one of the two idle ones went').to.have.length(1);
    expect(['q', 'r'].map((n) => a.isActive(n)), 'the busy ones stay').to.deep.equal([true, true]);
  });

  it('with hundreds of busy children over the limit, an activation looks at a few of them, not all (a burst stays cheap)', async () => {
    const parent: AnyRef = node.system.spawnStateless(node.system.root, { kind: 'holder', name: 'busy', handle: () => undefined });
    const kids = node.system.spawnVirtualKind(parent, { ...counterKind(node.activations, undefined, 'busy'), activeLimit: 10 });
    const checked = () => node.system.virtualBudgets()[0]!.checked;
    const names = Array.from({ length: 400 }, (_, i) => `b${i}`);
    await Promise.all(names.map((n) => kids.add(n)));
    // every child busy (work in progress), so none can go
    for (const n of names) node.system.dispatch(kids.ref(n), { type: 'hold', pending: true });
    await Promise.all(names.map((n) => node.system.query<CounterMsg, CounterState>(kids.ref(n), (replyTo) => ({ type: 'get', replyTo }), 5_000)));
    expect(kids.counts().active).to.equal(400);
    // 390 activations over the limit: 4 looked at each (the timer's trims wait for the clock)
    expect(checked()).to.be.at.most(4 * 390);
    // the timer's trim looks at more, then backs off while none can go
    let before = checked();
    await node.clock.advance(50);
    expect(checked() - before).to.be.within(391, 1_000);
    before = checked();
    await node.clock.advance(50);
    expect(checked() - before, 'backed off: no trim 50 ms after one that passivated none').to.equal(0);
    expect(kids.counts().active).to.equal(400);
  });

  it('a kind without a limit keeps every child active until its idle time', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      await node.counters.add(name);
      await node.add(name, 1);
    }
    expect(node.counters.counts().active).to.equal(5);
    expect(node.system.virtualBudgets()).to.deep.equal([]);
  });
});
