import { expect } from 'chai';
import { ActorSystem } from '../../src/actors/kernel/system.js';
import { THROUGHPUT } from '../../src/actors/kernel/turns.js';
import { eventually } from '../support/eventually.js';

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
});
