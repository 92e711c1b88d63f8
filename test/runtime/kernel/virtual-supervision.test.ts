import { expect } from 'chai';
import { ActorQuarantinedError } from '../../../src/base/errors.js';
import { restartOrQuarantine, stopOnCrash } from '../../../src/runtime/kernel/supervision.js';
import { eventually } from '../../support/eventually.js';
import { POISON, VirtualNode } from './virtual-support.js';

describe('virtual children: supervision', () => {
  let node: VirtualNode;
  afterEach(() => node.close());

  it('restarts an active child that crashes, from its journal, under its policy', async () => {
    node = new VirtualNode();
    await node.counters.add('s');
    await node.add('s', 5);
    node.system.dispatch(node.counters.ref('s'), { type: 'crash' });
    await eventually(() => expect(node.system.registry.get('/holder/s')?.restarts).to.equal(1));
    expect((await node.get('s')).total).to.equal(5);
    expect(node.activations.get('s')).to.equal(2);
    expect(node.counters.isActive('s')).to.equal(true);
    await node.idle();
    expect(node.counters.isActive('s')).to.equal(false);
  });

  it('comes back on the next message after its policy stopped it', async () => {
    node = new VirtualNode(() => stopOnCrash);
    await node.counters.add('s');
    await node.add('s', 4);
    node.system.dispatch(node.counters.ref('s'), { type: 'crash' });
    await eventually(() => expect(node.system.lookup('/holder/s')).to.equal(undefined));
    expect(node.counters.isActive('s')).to.equal(false);
    expect(await node.add('s', 1)).to.equal(5);
    expect(node.activations.get('s')).to.equal(2);
  });

  describe('past its restart intensity', () => {
    beforeEach(async () => {
      node = new VirtualNode(() => restartOrQuarantine(node.clock, { maxRestarts: 2, withinMs: 60_000 }));
      await node.counters.add('q');
      await node.counters.add('ok');
      await node.add('q', 1);
      for (let i = 0; i < 3; i++) node.system.dispatch(node.counters.ref('q'), { type: 'crash' });
      await eventually(() => expect(node.system.registry.quarantined('/holder/q')).to.not.equal(undefined));
    });

    it('is quarantined and messages do not activate it again: they are dead letters', async () => {
      const activations = node.activations.get('q');
      const before = node.system.registry.deadLetters;
      expect(node.system.deliver('/holder/q', { type: 'add', n: 1 })).to.equal('quarantined');
      expect(node.system.dispatch(node.counters.ref('q'), { type: 'add', n: 1 })).to.equal(false);
      const error = await node.get('q').then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(ActorQuarantinedError);
      expect(node.system.registry.deadLetters).to.equal(before + 3);
      expect(node.activations.get('q')).to.equal(activations);
      expect(node.counters.isActive('q')).to.equal(false);
    });

    it('is quarantined when its journal fails on every replay, and stays so after passivation', async () => {
      await node.counters.add('poisoned');
      node.system.dispatch(node.counters.ref('poisoned'), { type: 'add', n: POISON });
      await eventually(() => expect(node.system.registry.quarantined('/holder/poisoned')).to.not.equal(undefined));
      await node.idle();
      expect(node.system.deliver('/holder/poisoned', { type: 'add', n: 1 })).to.equal('quarantined');
      expect(node.counters.isActive('poisoned')).to.equal(false);
    });

    it('leaves its siblings alone and lists it as quarantined', async () => {
      expect(await node.add('ok', 2)).to.equal(2);
      expect(node.counters.list().map((c) => [c.name, c.status])).to.deep.equal([['ok', 'active'], ['q', 'quarantined']]);
      expect(node.system.registry.get('/holder/q')?.status).to.equal('quarantined');
    });
  });
});
