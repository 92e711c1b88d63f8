import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { IDLE_MS, VirtualNode } from './virtual-support.js';

const scheduleTick = (node: VirtualNode, name: string, delayMs: number) =>
  node.system.query<import('./virtual-support.js').CounterMsg, true>(node.counters.ref(name), (replyTo) => ({ type: 'schedule', delayMs, replyTo }), 2_000);

describe('virtual children: durable timers', () => {
  let node: VirtualNode;
  beforeEach(() => {
    node = new VirtualNode();
  });
  afterEach(() => node.close());

  it('activates a passive child when its timer is due, and delivers the timer message once', async () => {
    await node.counters.add('t');
    await scheduleTick(node, 't', 10 * IDLE_MS);
    await node.idle();
    expect(node.counters.isActive('t')).to.equal(false);
    expect(node.system.timers.of('/holder/t')).to.have.length(1);
    await node.clock.advance(8 * IDLE_MS);
    expect(node.counters.isActive('t')).to.equal(true);
    await eventually(async () => expect((await node.get('t')).ticks).to.equal(1));
    await eventually(() => expect(node.system.timers.of('/holder/t')).to.deep.equal([]));
    await node.clock.advance(100 * IDLE_MS);
    expect((await node.get('t')).ticks).to.equal(1);
  });

  it('fires a timer already due when it is stored, without waiting for the clock to move (a write durable only after its due time)', async () => {
    await node.counters.add('d');
    await scheduleTick(node, 'd', 0);
    await eventually(async () => expect((await node.get('d')).ticks).to.equal(1));
  });

  it('does not fire a cancelled timer', async () => {
    await node.counters.add('c');
    await scheduleTick(node, 'c', 5 * IDLE_MS);
    expect(await node.system.timers.cancel('/holder/c', 'tick')).to.equal(true);
    expect(await node.system.timers.cancel('/holder/c', 'tick')).to.equal(false);
    await node.idle();
    await node.clock.advance(10 * IDLE_MS);
    expect(node.counters.isActive('c')).to.equal(false);
    expect((await node.get('c')).ticks).to.equal(0);
  });

  it('fires after a node restart, whether due while the node was down or later', async () => {
    await node.counters.add('early');
    await node.counters.add('late');
    await scheduleTick(node, 'early', 5 * IDLE_MS);
    await scheduleTick(node, 'late', 50 * IDLE_MS);
    await node.restart({ downForMs: 10 * IDLE_MS });
    await node.clock.advance(0);
    await eventually(async () => expect((await node.get('early')).ticks).to.equal(1));
    expect((await node.get('late')).ticks).to.equal(0);
    await node.clock.advance(40 * IDLE_MS);
    await eventually(async () => expect((await node.get('late')).ticks).to.equal(1));
  });

  it('started with deferTimers (a control group\'s standby), fires no stored timer until startTimers', async () => {
    await node.counters.add('s');
    await scheduleTick(node, 's', 5 * IDLE_MS);
    await node.restart({ downForMs: 10 * IDLE_MS, deferTimers: true });
    await node.clock.advance(10 * IDLE_MS);
    await node.idle();
    expect((await node.get('s')).ticks).to.equal(0);
    expect(node.system.timers.of('/holder/s')).to.have.length(1);
    node.system.startTimers();
    await eventually(async () => expect((await node.get('s')).ticks).to.equal(1));
  });

  it('keeps a timer due before its parent declared the children, and fires it when it does', async () => {
    await node.counters.add('k');
    await scheduleTick(node, 'k', 5 * IDLE_MS);
    await node.restart({ downForMs: 10 * IDLE_MS, declare: false });
    await node.clock.advance(0);
    await eventually(() => expect(node.system.timers.of('/holder/k')).to.deep.equal([{ id: 'tick', at: node.clock.now(), parked: true }]));
    node.declare();
    await eventually(async () => expect((await node.get('k')).ticks).to.equal(1));
    await eventually(() => expect(node.system.timers.of('/holder/k')).to.deep.equal([]));
  });

  it('arms one clock timer for any number of stored timers', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
    for (const name of names) await node.counters.add(name);
    await Promise.all(names.map((name, i) => node.system.timers.schedule(`/holder/${name}`, 'tick', (i + 1) * 10, { type: 'tick' })));
    expect(node.clock.waiting).to.equal(1);
    expect(node.counters.counts().active).to.equal(0);
    await node.clock.advance(500);
    await eventually(async () => {
      // each firing re-arms once its records are removed (real LMDB writes): the fake clock must be moved on again
      await node.clock.advance(0);
      const states = await Promise.all(names.map((name) => node.get(name)));
      expect(states.map((s) => s.ticks)).to.deep.equal(names.map(() => 1));
    });
  });
});
