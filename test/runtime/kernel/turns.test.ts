import { expect } from 'chai';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { THROUGHPUT } from '../../../src/runtime/kernel/turns.js';
import { eventually } from '../../support/eventually.js';

describe('actor kernel: several messages per turn', () => {
  let system: ActorSystem;
  beforeEach(() => (system = ActorSystem.start({ name: `turns-${Math.random().toString(36).slice(2)}` })));
  afterEach(() => system.shutdown());

  it('handles a long mailbox in order, a failing message resumed without losing its neighbours', async () => {
    const handled: number[] = [];
    const ref = system.spawn<number, number>(system.root, {
      kind: 'counter',
      name: 'counter',
      onCrash: () => 'resume',
      initialState: () => 0,
      handle: (count, n) => {
        if (n === 50) throw new Error('fifty');
        handled.push(n);
        return count + 1;
      },
    });
    for (let n = 0; n < 300; n++) system.dispatch(ref, n);
    await eventually(() => expect(handled).to.have.length(299));
    expect(handled).to.deep.equal([...Array(300).keys()].filter((n) => n !== 50));
  });

  it('lets other work run while one actor has a long mailbox', async () => {
    let handled = 0;
    const ref = system.spawn<undefined, number>(system.root, { kind: 'sink', name: 'sink', initialState: () => undefined, handle: () => void handled++ });
    for (let n = 0; n < 10 * THROUGHPUT; n++) system.dispatch(ref, n);
    const seenByOthers = await new Promise<number>((resolve) => setImmediate(() => resolve(handled)));
    expect(seenByOthers).to.be.greaterThan(0).and.lessThan(10 * THROUGHPUT);
    await eventually(() => expect(handled).to.equal(10 * THROUGHPUT));
  });

  it('takes nothing more once the actor stops itself mid-mailbox', async () => {
    const handled: number[] = [];
    const ref = system.spawn<undefined, number>(system.root, {
      kind: 'quitter',
      name: 'quitter',
      initialState: () => undefined,
      handle: (_state, n, ctx) => {
        handled.push(n);
        if (n === 9) system.stop(ctx.self);
      },
    });
    for (let n = 0; n < 100; n++) system.dispatch(ref, n);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handled).to.deep.equal([...Array(10).keys()]);
  });

  it('awaits a handler that returns a promise before the next message, and takes a plain state at once, in order', async () => {
    const seen: string[] = [];
    const ref = system.spawn<number, number>(system.root, {
      kind: 'mixed',
      name: 'mixed',
      initialState: () => 0,
      handle: (total, n) => {
        seen.push(`start ${n} at ${total}`);
        if (n % 3 !== 0) return total + n;
        return new Promise<number>((resolve) => setTimeout(() => resolve(total + n), 1));
      },
    });
    for (let n = 1; n <= 9; n++) system.dispatch(ref, n);
    await eventually(() => expect(seen).to.have.length(9));
    // message n starts with the sum of 1..n-1: each state, sync or async, reached the next message
    expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `start ${n} at ${(n * (n - 1)) / 2}`));
  });

  it('shows each message the children as of its start, while contexts are reused between messages', async () => {
    const views: string[][] = [];
    const ref = system.spawn<undefined, 'spawn' | 'stop' | 'look'>(system.root, {
      kind: 'parent',
      name: 'parent',
      initialState: () => undefined,
      handle: (_state, msg, ctx) => {
        views.push([...ctx.children.keys()]);
        if (msg === 'spawn') {
          system.spawn(ctx.self, { kind: 'child', name: `c${views.length}`, initialState: () => 0, handle: (s: number) => s });
          views.push([...ctx.children.keys()]); // still as of the message's start
        }
        if (msg === 'stop') for (const child of ctx.children.values()) system.stop(child);
      },
    });
    for (const msg of ['look', 'look', 'spawn', 'look', 'look', 'stop', 'look'] as const) system.dispatch(ref, msg);
    await eventually(() => expect(views).to.have.length(8));
    await new Promise((resolve) => setTimeout(resolve, 10));
    system.dispatch(ref, 'look');
    await eventually(() => expect(views).to.have.length(9));
    expect(views).to.deep.equal([[], [], [], [], ['c3'], ['c3'], ['c3'], [], []]);
  });

  it('actors that start without children each get their own when they spawn one (they share empty ones until then)', async () => {
    const seen = new Map<string, string[]>();
    const parents = ['p1', 'p2'].map((name) => system.spawn<undefined, 'spawn' | 'look'>(system.root, {
      kind: 'parent',
      name,
      initialState: () => undefined,
      handle: (_state, msg, ctx) => {
        if (msg === 'spawn') system.spawn(ctx.self, { kind: 'child', name: `${name}-child`, initialState: () => 0, handle: (s: number) => s });
        else seen.set(name, [...ctx.children.keys()]);
      },
    }));
    parents.forEach((ref) => system.dispatch(ref, 'look'));
    await eventually(() => expect(seen.size).to.equal(2));
    expect([...seen.values()]).to.deep.equal([[], []]);
    system.dispatch(parents[0]!, 'spawn');
    parents.forEach((ref) => system.dispatch(ref, 'look'));
    await eventually(() => expect(seen.get('p2')).to.deep.equal([]) && expect(seen.get('p1')).to.deep.equal(['p1-child']));
    system.dispatch(parents[1]!, 'spawn');
    parents.forEach((ref) => system.dispatch(ref, 'look'));
    await eventually(() => expect(seen.get('p2')).to.deep.equal(['p2-child']));
    expect(seen.get('p1')).to.deep.equal(['p1-child']);
    expect(system.registry.tree().filter((n) => n.kind === 'parent').map((n) => [n.path, n.children.map((c) => c.path)])).to.deep.equal([
      ['/p1', ['/p1/p1-child']], ['/p2', ['/p2/p2-child']],
    ]);
  });
});
