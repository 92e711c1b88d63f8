import { expect } from 'chai';
import { ActorSystem, type CrashPolicy, type Failure } from '../../../src/runtime/kernel/system.js';
import type { AnyRef, Ref } from '../../../src/runtime/kernel/protocol.js';
import {
  backoffDelay, oneForAll, oneForOne, restartWithBackoff, RestartWindow,
} from '../../../src/runtime/kernel/supervision.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock, flushMicrotasks } from '../../support/fake-clock.js';

type CounterMsg = { type: 'add'; n: number } | { type: 'fail' } | { type: 'get'; replyTo: Ref<number> };

describe('supervision policies (pure)', () => {
  it('a restart window admits N restarts within T and refuses the N+1th', () => {
    const window = new RestartWindow({ maxRestarts: 3, withinMs: 1000 });
    expect([0, 10, 20].map((t) => window.admit(t))).to.deep.equal([true, true, true]);
    expect(window.admit(999), 'the 4th inside 1000 ms').to.equal(false);
    expect(window.admit(1000), 'once the first has aged out').to.equal(true);
  });

  it('backoff doubles from the minimum and stops at the maximum', () => {
    const options = { minMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, options))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(2, { ...options, factor: 3 })).to.equal(900);
  });

  it('restartWithBackoff waits on the clock before restarting, longer each time, shorter after a quiet spell', async () => {
    const clock = new FakeClock();
    const policy = restartWithBackoff(clock, { minMs: 100, maxMs: 1000, resetAfterMs: 5000 });
    const failure: Failure = { path: '/a', error: new Error('x'), message: undefined };
    const decided = async (ms: number) => {
      let decision: string | undefined;
      void Promise.resolve(policy(failure)).then((d) => (decision = d));
      await clock.advance(ms - 1);
      const early = decision;
      await clock.advance(1);
      return { early, decision };
    };
    expect(await decided(100)).to.deep.equal({ early: undefined, decision: 'restart' });
    expect(await decided(200)).to.deep.equal({ early: undefined, decision: 'restart' });
    expect(await decided(400)).to.deep.equal({ early: undefined, decision: 'restart' });
    await clock.advance(5000);
    expect(await decided(100), 'after 5 s without failures').to.deep.equal({ early: undefined, decision: 'restart' });
  });
});

describe('supervision in a running system', () => {
  let clock: FakeClock;
  let system: ActorSystem;

  beforeEach(() => {
    clock = new FakeClock();
    system = ActorSystem.start({ name: `supervision-${Math.random().toString(36).slice(2)}`, clock });
  });
  afterEach(() => system.shutdown());

  const spawnCounter = (parent: AnyRef, name: string, onCrash: CrashPolicy) =>
    system.spawn<number, CounterMsg>(parent, {
      kind: 'counter',
      name,
      onCrash,
      initialState: () => 0,
      summary: (n) => ({ count: n }),
      handle: (n, msg) => {
        switch (msg.type) {
          case 'add': return n + msg.n;
          case 'fail': throw new Error(`${name} failed`);
          case 'get': system.dispatch(msg.replyTo, n); return n;
        }
      },
    });
  const get = (ref: Ref<CounterMsg>) => system.query<CounterMsg, number>(ref, (replyTo) => ({ type: 'get', replyTo }), 1000);
  const spawnParent = (onCrash: CrashPolicy) =>
    system.spawn<null, never>(system.root, { kind: 'supervisor', name: 'parent', onCrash, initialState: () => null, handle: (s) => s });

  it('one-for-one restarts only the failed child, and the registry records it', async () => {
    const parent = spawnParent(() => 'stop');
    const policy = oneForOne(clock);
    const a = spawnCounter(parent, 'a', policy);
    const b = spawnCounter(parent, 'b', policy);
    system.dispatch(a, { type: 'add', n: 5 });
    system.dispatch(b, { type: 'add', n: 7 });
    system.dispatch(a, { type: 'fail' });
    expect(await get(a), 'a starts over').to.equal(0);
    expect(await get(b), 'b keeps its state').to.equal(7);
    const info = system.registry.get('/parent/a')!;
    expect(info.restarts).to.equal(1);
    expect(info.lastFailure?.message).to.equal('a failed');
    expect(system.registry.get('/parent/b')!.restarts).to.equal(0);
  });

  it('one-for-all restarts the failed child and its siblings', async () => {
    const parent = spawnParent(() => 'stop');
    const policy = oneForAll(clock);
    const a = spawnCounter(parent, 'a', policy);
    const b = spawnCounter(parent, 'b', policy);
    system.dispatch(a, { type: 'add', n: 5 });
    system.dispatch(b, { type: 'add', n: 7 });
    await get(b);
    system.dispatch(a, { type: 'fail' });
    expect(await get(a)).to.equal(0);
    expect(await get(b)).to.equal(0);
    expect(system.registry.get('/parent/b')!.restarts).to.equal(1);
  });

  it('the N+1th crash inside T escalates to the parent; after T restarts are allowed again', async () => {
    const escalated: Failure[] = [];
    const parent = spawnParent((failure) => { escalated.push(failure); return 'resume'; });
    const child = spawnCounter(parent, 'worker', oneForOne(clock, { maxRestarts: 3, withinMs: 1000 }));
    for (let i = 1; i <= 3; i++) {
      system.dispatch(child, { type: 'add', n: 1 });
      system.dispatch(child, { type: 'fail' });
      expect(await get(child), `crash ${i} restarts`).to.equal(0);
      await clock.advance(100);
    }
    expect(escalated).to.have.length(0);
    system.dispatch(child, { type: 'add', n: 1 });
    system.dispatch(child, { type: 'fail' });
    await eventually(() => expect(escalated).to.have.length(1));
    expect(escalated[0]!.child).to.equal('/parent/worker');
    expect(escalated[0]!.path).to.equal('/parent');
    // the parent resumed the child: it goes on with its state
    expect(await get(child)).to.equal(1);
    expect(system.registry.get('/parent/worker')!.restarts).to.equal(3);

    await clock.advance(1000);
    system.dispatch(child, { type: 'fail' });
    expect(await get(child), 'a fresh window restarts again').to.equal(0);
    expect(escalated).to.have.length(1);
  });

  it('an escalation the parent answers with restart restarts the parent and its subtree', async () => {
    const parent = system.spawn<null, never>(system.root, {
      kind: 'supervisor', name: 'parent', onCrash: () => 'restart', handle: (s) => s,
      initialState: (ctx) => { spawnCounter(ctx.self, 'worker', () => 'escalate'); return null; },
    });
    const worker = () => system.lookup('/parent/worker') as Ref<CounterMsg>;
    system.dispatch(worker(), { type: 'add', n: 3 });
    expect(await get(worker())).to.equal(3);
    system.dispatch(worker(), { type: 'fail' });
    await eventually(() => expect(system.registry.get('/parent')!.restarts).to.equal(1));
    expect(await eventually(() => get(worker()))).to.equal(0);
    expect(parent).to.exist;
  });

  it('restart with backoff holds the mailbox until the delay has passed', async () => {
    const parent = spawnParent(() => 'stop');
    const child = spawnCounter(parent, 'worker', restartWithBackoff(clock, { minMs: 200, maxMs: 1000 }));
    system.dispatch(child, { type: 'add', n: 1 });
    system.dispatch(child, { type: 'fail' });
    system.dispatch(child, { type: 'add', n: 10 });
    await clock.advance(199);
    await flushMicrotasks();
    expect(system.registry.get('/parent/worker')!.mailbox, 'waiting out the backoff').to.equal(1);
    await clock.advance(1);
    expect(await get(child)).to.equal(10);
  });
});
