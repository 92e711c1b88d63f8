import { expect } from 'chai';
import type { VirtualChildren } from '../../../src/runtime/kernel/system.js';
import { eventually } from '../../support/eventually.js';
import { counterKind, VirtualNode, type CounterEvent, type CounterMsg, type CounterState } from './virtual-support.js';

describe('virtual children: nested, and fresh', () => {
  let node: VirtualNode;
  afterEach(() => node.close());

  it('activates a passive parent, then its passive child, for a message to the child', async () => {
    node = new VirtualNode();
    const inner = new Map<string, VirtualChildren<CounterState, CounterMsg, CounterEvent>>();
    const innerActivations = new Map<string, number>();
    // the counters under /holder are groups; each group declares its own counters when activated
    node.declare = () => {
      node.counters = node.system.spawnVirtualKind(node.parent, {
        ...counterKind(node.activations),
        onActivate: (ref, name) => inner.set(name, node.system.spawnVirtualKind(ref, counterKind(innerActivations, undefined, `counter/${name}`))),
      });
    };
    await node.restart();
    await node.counters.add('g');
    await node.add('g', 1);
    await inner.get('g')!.add('x');
    expect(node.system.deliver('/holder/g/x', { type: 'add', n: 5 })).to.equal('delivered');
    const getX = () => node.system.query<CounterMsg, CounterState>(inner.get('g')!.ref('x'), (replyTo) => ({ type: 'get', replyTo }), 2_000);
    await eventually(async () => expect((await getX()).seen).to.deep.equal([5]));

    // the group waits for its child: a parent with live children is not idle
    await node.clock.advance(1_000);
    await node.clock.advance(1_000);
    expect(node.system.lookup('/holder/g/x')).to.equal(undefined);
    await node.clock.advance(1_000);
    await node.clock.advance(1_000);
    expect(node.system.lookup('/holder/g')).to.equal(undefined);
    expect(node.counters.counts()).to.include({ active: 0, passive: 1 });

    expect(node.system.deliver('/holder/g/x', { type: 'add', n: 6 })).to.equal('delivered');
    await eventually(() => expect(innerActivations.get('x')).to.equal(2));
    expect(node.activations.get('g')).to.equal(2);
    await eventually(async () => expect((await getX()).seen).to.deep.equal([5, 6]));
    expect((await node.get('g')).seen).to.deep.equal([1]);
  });

  it('reads no journal on the first activation of a child added fresh, and replays it on the next', async () => {
    node = new VirtualNode();
    // a stale event under the key: a fresh child must not see it (its key names a new epoch in real use)
    await node.counters.add('f');
    await node.add('f', 100);
    await node.counters.remove('f');
    await node.idle();
    await node.counters.add('f', { fresh: true });
    const state = await node.get('f');
    expect(state.total).to.equal(0);
    await node.idle();
    expect((await node.get('f')).total).to.equal(100);
  });
});
