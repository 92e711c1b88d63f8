import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { IDLE_MS, VirtualNode } from './virtual-support.js';

describe('virtual children: passivation', () => {
  let node: VirtualNode;
  beforeEach(() => {
    node = new VirtualNode();
  });
  afterEach(() => node.close());

  it('passivates a child idle for idleAfterMs, not before', async () => {
    await node.counters.add('a');
    await node.add('a', 1);
    await node.clock.advance(IDLE_MS - 100);
    await node.add('a', 2);
    await node.clock.advance(100);
    expect(node.counters.isActive('a'), 'a message 100 ms ago').to.equal(true);
    await node.clock.advance(IDLE_MS);
    expect(node.counters.isActive('a')).to.equal(false);
    expect(node.system.lookup('/holder/a')).to.equal(undefined);
    expect(node.counters.counts()).to.include({ total: 1, active: 0, passive: 1 });
  });

  it('keeps a child the predicate says is busy, however long it is idle', async () => {
    await node.counters.add('p');
    node.system.dispatch(node.counters.ref('p'), { type: 'hold', pending: true });
    await node.get('p');
    for (let i = 0; i < 5; i++) await node.clock.advance(IDLE_MS * 10);
    expect(node.counters.isActive('p')).to.equal(true);
    node.system.dispatch(node.counters.ref('p'), { type: 'hold', pending: false });
    await eventually(async () => expect((await node.get('p')).pending).to.equal(false));
    await node.idle();
    expect(node.counters.isActive('p')).to.equal(false);
    expect(node.activations.get('p')).to.equal(1);
  });

  it('loses no message sent in the same instant as the passivation, before or after it', async () => {
    await node.counters.add('r');
    // due at the same instant as the idle sweep: this one was armed before the child's activation, so it runs first
    node.clock.setTimeout(() => node.system.dispatch(node.counters.ref('r'), { type: 'add', n: 2 }), IDLE_MS);
    await node.add('r', 1);
    // and this one after the sweep (armed after it), right after the child was stopped
    node.clock.setTimeout(() => node.system.dispatch(node.counters.ref('r'), { type: 'add', n: 3 }), IDLE_MS);
    await node.clock.advance(IDLE_MS);
    await eventually(async () => expect((await node.get('r')).seen).to.deep.equal([1, 2, 3]));
    // the first message kept it alive past the sweep: no second activation
    expect(node.activations.get('r')).to.equal(1);

    await node.idle();
    expect(node.counters.isActive('r')).to.equal(false);
    node.clock.setTimeout(() => node.system.dispatch(node.counters.ref('r'), { type: 'add', n: 4 }), IDLE_MS);
    node.system.dispatch(node.counters.ref('r'), { type: 'add', n: 5 });
    node.clock.setTimeout(() => node.system.dispatch(node.counters.ref('r'), { type: 'add', n: 6 }), IDLE_MS);
    await eventually(async () => expect((await node.get('r')).seen).to.deep.equal([1, 2, 3, 5]));
    await node.clock.advance(IDLE_MS);
    await eventually(async () => expect((await node.get('r')).seen).to.deep.equal([1, 2, 3, 5, 4, 6]));
  });

  it('stops the sweep once no child is active: passive children cost no clock timer', async () => {
    for (const name of ['x', 'y', 'z']) {
      await node.counters.add(name);
      await node.add(name, 1);
    }
    expect(node.clock.waiting).to.equal(1);
    await node.idle();
    expect(node.counters.counts()).to.include({ active: 0, passive: 3 });
    expect(node.clock.waiting).to.equal(0);
  });
});
