import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { VirtualNode } from './virtual-support.js';

describe('virtual children: activation', () => {
  let node: VirtualNode;
  beforeEach(() => {
    node = new VirtualNode();
  });
  afterEach(() => node.close());

  it('is listed without being alive, and a message to its ref activates it with its journal', async () => {
    await node.counters.add('a');
    expect(node.counters.isActive('a')).to.equal(false);
    expect(node.system.lookup('/holder/a')).to.equal(undefined);

    expect(node.system.dispatch(node.counters.ref('a'), { type: 'add', n: 2 })).to.equal(true);
    expect(node.counters.isActive('a')).to.equal(true);
    expect(await node.add('a', 3)).to.equal(5);

    await node.idle();
    expect(node.counters.isActive('a')).to.equal(false);
    // activated again: recovered from LMDB
    expect((await node.get('a')).seen).to.deep.equal([2, 3]);
    expect(node.activations.get('a')).to.equal(2);
  });

  it('knows an active child without reading the index: a parent that checks each child on every message reads nothing for live ones', async () => {
    await node.counters.add('d');
    await node.counters.add('e');
    expect(await node.add('d', 1)).to.equal(1);
    const store = node.engine.runtimeStore!();
    const read = store.get.bind(store);
    const keys: string[] = [];
    store.get = <V>(key: string) => (keys.push(key), read<V>(key));
    try {
      expect(node.counters.has('d')).to.equal(true);
      expect(keys).to.deep.equal([]);
      // a passive one is read from the index, as before
      expect(node.counters.has('e')).to.equal(true);
      expect(keys).to.deep.equal(['virtual//holder|e']);
    } finally {
      store.get = read;
    }
  });

  it('answers an ask sent to a passive child', async () => {
    await node.counters.add('b');
    expect(await node.add('b', 7)).to.equal(7);
    await node.idle();
    expect(node.counters.isActive('b')).to.equal(false);
    expect((await node.get('b')).total).to.equal(7);
  });

  it('activates on delivery by path, as remoting delivers', async () => {
    await node.counters.add('c');
    expect(node.system.deliver('/holder/c', { type: 'add', n: 4 }, 'other-node')).to.equal('delivered');
    await eventually(async () => expect((await node.get('c')).total).to.equal(4));
  });

  it('keeps a name that is not one of the children a dead letter', async () => {
    const before = node.system.registry.deadLetters;
    expect(node.system.deliver('/holder/nobody', { type: 'add', n: 1 })).to.equal('no-such-actor');
    expect(node.system.dispatch(node.counters.ref('nobody'), { type: 'add', n: 1 })).to.equal(false);
    await node.get('nobody').then(() => expect.fail('answered'), (error: Error) => expect(error.message).to.match(/nobody/));
    expect(node.system.registry.deadLetters).to.equal(before + 3);
    expect(node.counters.isActive('nobody')).to.equal(false);
  });

  it('delivers messages sent while it replays in the order they were sent', async () => {
    await node.counters.add('d');
    for (let i = 1; i <= 20; i++) node.system.dispatch(node.counters.ref('d'), { type: 'add', n: i });
    await node.idle();
    for (let i = 21; i <= 40; i++) node.system.dispatch(node.counters.ref('d'), { type: 'add', n: i });
    await eventually(async () => expect((await node.get('d')).seen).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1)));
  });

  it('survives a node restart: the index and the journal are on disk', async () => {
    await node.counters.add('e');
    await node.add('e', 9);
    await node.restart();
    expect(node.counters.counts()).to.deep.equal({ kind: 'counter', total: 1, active: 0, passive: 1 });
    expect((await node.get('e')).total).to.equal(9);
  });
});
