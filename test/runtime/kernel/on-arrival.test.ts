/**
 * An actor's `onArrival` (docs/011-actor-kernel.md "Handled on arrival"): a message it takes
 * never waits in the mailbox, whichever way it arrives; what it declines, or throws on, is queued.
 */
import { expect } from 'chai';
import type { Ref } from '../../../src/runtime/kernel/protocol.js';
import { ActorSystem } from '../../../src/runtime/kernel/system.js';
import { eventually } from '../../support/eventually.js';

type Msg = { type: 'bulk'; i: number } | { type: 'urgent'; i: number } | { type: 'bad' };

describe('kernel: handled on arrival', () => {
  let system: ActorSystem;
  beforeEach(() => (system = ActorSystem.start({ name: `on-arrival-${Math.random().toString(36).slice(2)}` })));
  afterEach(() => system.shutdown());

  function spawnRouter() {
    const urgent: number[] = [];
    const handled: string[] = [];
    // how many bulk messages the router had handled when the sink got each urgent one
    const handledAtSink: number[] = [];
    const sink = system.spawnStateless<number>(system.root, { kind: 'sink', name: 'sink', handle: (i) => {
      urgent.push(i);
      handledAtSink.push(handled.length);
    } });
    const router: Ref<Msg> = system.spawnStateless<Msg>(system.root, {
      kind: 'router',
      name: 'router',
      onArrival: (msg) => {
        if (msg.type === 'bad') throw new Error('boom');
        if (msg.type !== 'urgent') return false;
        system.dispatch(sink, msg.i);
        return true;
      },
      handle: (msg) => void handled.push(msg.type === 'bulk' ? `bulk ${msg.i}` : msg.type),
    });
    return { router, urgent, handled, handledAtSink };
  }

  it('forwards what it takes ahead of a long mailbox, by ref and by path; queues the rest in order', async () => {
    const { router, urgent, handled, handledAtSink } = spawnRouter();
    for (let i = 0; i < 5_000; i++) system.dispatch(router, { type: 'bulk', i });
    system.dispatch(router, { type: 'urgent', i: 1 });
    expect(system.deliver('/router', { type: 'urgent', i: 2 })).to.equal('delivered');
    await eventually(() => expect(urgent).to.deep.equal([1, 2]));
    // read when the sink got them, not when this test polls (a loaded machine drains 5,000 between polls)
    expect(Math.max(...handledAtSink), 'the sink had both before the router got through its mailbox').to.be.below(5_000);
    await eventually(() => expect(handled).to.have.length(5_000));
    expect(handled).to.deep.equal([...Array(5_000).keys()].map((i) => `bulk ${i}`));
  });

  it('queues a message onArrival throws on, as if it had declined it', async () => {
    const { router, handled } = spawnRouter();
    system.dispatch(router, { type: 'bad' });
    await eventually(() => expect(handled).to.deep.equal(['bad']));
  });
});
