/**
 * The kernel's quarantine (docs/011-actor-kernel.md "Quarantine"): a child whose restart
 * intensity is spent is stopped and kept in the tree with its error instead of taking its
 * parent down; asks that can no longer be answered fail at once.
 */
import { expect } from 'chai';
import { ActorSystem, type CrashPolicy, type Failure } from '../../../src/runtime/kernel/system.js';
import type { AnyRef, Ref } from '../../../src/runtime/kernel/protocol.js';
import { restartOrQuarantine } from '../../../src/runtime/kernel/supervision.js';
import type { AuctorError } from '../../../src/base/errors.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { appendEvent, lastSequence } from '../../support/journal.js';
import { eventually } from '../../support/eventually.js';
import { FakeClock } from '../../support/fake-clock.js';

type Msg = { type: 'add'; n: number } | { type: 'fail' } | { type: 'get'; replyTo: Ref<number> };
type Event = { type: 'added'; n: number };

async function rejection(promise: Promise<unknown>): Promise<AuctorError> {
  try {
    await promise;
  } catch (error) {
    return error as AuctorError;
  }
  throw new Error('expected a rejection');
}

describe('restartOrQuarantine (pure)', () => {
  it('restarts each actor within its own intensity and quarantines the one that spends it', () => {
    const clock = new FakeClock();
    const policy = restartOrQuarantine(clock, { maxRestarts: 3, withinMs: 1000 });
    const fail = (path: string) => policy({ path, error: new Error('x'), message: undefined } satisfies Failure);
    expect([1, 2, 3].map(() => fail('/p/a'))).to.deep.equal(['restart', 'restart', 'restart']);
    expect(fail('/p/b'), 'a sibling is counted apart').to.equal('restart');
    expect(fail('/p/a'), 'the 4th inside 1000 ms').to.equal('quarantine');
    expect(fail('/p/a'), 'released and failing again: a new window').to.equal('restart');
  });

  it('a quiet spell longer than the window starts the count over', async () => {
    const clock = new FakeClock();
    const policy = restartOrQuarantine(clock, { maxRestarts: 2, withinMs: 1000 });
    const fail = () => policy({ path: '/p/a', error: new Error('x'), message: undefined });
    expect([fail(), fail()]).to.deep.equal(['restart', 'restart']);
    await clock.advance(1000);
    expect([fail(), fail(), fail()]).to.deep.equal(['restart', 'restart', 'quarantine']);
  });
});

describe('quarantine in a running system', () => {
  let clock: FakeClock;
  let engine: MemoryPersistenceEngine;
  let system: ActorSystem;

  beforeEach(() => {
    clock = new FakeClock();
    engine = new MemoryPersistenceEngine();
    system = ActorSystem.start({ name: `quarantine-${Math.random().toString(36).slice(2)}`, clock, engine });
  });
  afterEach(() => system.shutdown());

  const spawnParent = (onCrash: CrashPolicy = () => 'stop') =>
    system.spawn<number, { type: 'get'; replyTo: Ref<number> }>(system.root, {
      kind: 'registry', name: 'parent', onCrash, initialState: () => 0,
      handle: (n, msg) => (system.dispatch(msg.replyTo, n), n),
    });
  const spawnCounter = (parent: AnyRef, name: string, onCrash: CrashPolicy) =>
    system.spawnPersistent<number, Msg, Event>(parent, {
      kind: 'counter', name, key: `counter/${name}`, onCrash,
      initialState: () => 0,
      applyEvent: (n, e) => n + e.n,
      handle: async (n, msg, ctx) => {
        switch (msg.type) {
          case 'add': return ctx.persist({ type: 'added', n: msg.n });
          case 'fail': throw new Error(`${name} failed`);
          case 'get': system.dispatch(msg.replyTo, n); return n;
        }
      },
    });
  const get = (ref: Ref<Msg>, timeoutMs = 10_000) => system.query<Msg, number>(ref, (replyTo) => ({ type: 'get', replyTo }), timeoutMs);

  it('a child whose journal fails on replay is quarantined: stopped, shown with its error, its parent and siblings untouched, its waiting asks failed at once', async () => {
    await engine.persist({ key: 'counter/good', sequenceNumber: 1, data: { type: 'added', n: 2 }, tags: [], createdAt: 0, isDeleted: false });
    await appendEvent(engine, 'counter/bad');
    const escalated: Failure[] = [];
    const parent = spawnParent((failure) => (escalated.push(failure), 'stop'));
    const policy = restartOrQuarantine(clock, { maxRestarts: 3, withinMs: 10_000 });
    const bad = spawnCounter(parent, 'bad', policy);
    const good = spawnCounter(parent, 'good', policy);

    const started = Date.now();
    const error = await rejection(get(bad));
    expect(Date.now() - started, 'failed at once, not at its 10 s timeout').to.be.below(2_000);
    expect(error.code).to.equal('ResourceQuarantined');
    expect(error.message).to.match(/^actor quarantined: \/parent\/bad: .*null/);

    const info = system.registry.get('/parent/bad')!;
    expect(info).to.include({ status: 'quarantined', kind: 'counter', restarts: 3, persistenceKey: 'counter/bad' });
    expect(info.lastFailure!.message).to.match(/null/);
    expect([...system.registry.quarantinedChildren('/parent').keys()]).to.deep.equal(['bad']);
    const [tree] = system.registry.tree('/parent');
    expect(tree!.children.map((c) => [c.name, c.status])).to.deep.equal([['bad', 'quarantined'], ['good', 'running']]);
    expect(system.lookup('/parent/bad'), 'stopped').to.equal(undefined);
    expect(escalated, 'nothing escalated').to.deep.equal([]);
    expect(await get(good)).to.equal(2);
    expect(await get(parent as unknown as Ref<Msg>)).to.equal(0);
  });

  it('the default oneForOne escalates the same child to its parent (what quarantine replaces)', async () => {
    await appendEvent(engine, 'counter/bad');
    const escalated: Failure[] = [];
    const parent = spawnParent((failure) => (escalated.push(failure), 'resume'));
    const { oneForOne } = await import('../../../src/runtime/kernel/supervision.js');
    spawnCounter(parent, 'bad', oneForOne(clock, { maxRestarts: 3, withinMs: 10_000 }));
    await eventually(() => expect(escalated.map((f) => f.child)).to.deep.equal(['/parent/bad']));
    expect(system.registry.allQuarantined()).to.deep.equal([]);
  });

  it('an ask whose message makes the actor throw fails at once with the error, not at its timeout', async () => {
    const failing = system.spawn<number, Msg>(system.root, {
      kind: 'thrower', name: 'thrower', initialState: () => 0,
      handle: () => {
        throw new Error('broken state');
      },
    });
    const started = Date.now();
    const error = await rejection(get(failing));
    expect(Date.now() - started).to.be.below(2_000);
    expect([error.code, error.message]).to.deep.equal(['Unavailable', '/thrower failed: broken state']);
  });

  it('release forgets the quarantined actor and can delete its journal, so one spawned again starts empty; spawning in its place releases it too', async () => {
    await engine.persist({ key: 'counter/bad', sequenceNumber: 1, data: { type: 'added', n: 5 }, tags: [], createdAt: 0, isDeleted: false });
    await appendEvent(engine, 'counter/bad');
    const parent = spawnParent();
    const policy = restartOrQuarantine(clock, { maxRestarts: 1, withinMs: 10_000 });
    spawnCounter(parent, 'bad', policy);
    await eventually(() => expect(system.registry.get('/parent/bad')?.status).to.equal('quarantined'));

    const released = await system.release('/parent/bad', { deleteJournal: true });
    expect(released).to.include({ path: '/parent/bad', persistenceKey: 'counter/bad' });
    expect(await lastSequence(engine, 'counter/bad')).to.equal(0);
    expect(system.registry.get('/parent/bad')).to.equal(undefined);
    expect(await system.release('/parent/bad'), 'nothing left to release').to.equal(undefined);
    const again = spawnCounter(parent, 'bad', policy);
    system.dispatch(again, { type: 'add', n: 1 });
    expect(await get(again)).to.equal(1);

    await appendEvent(engine, 'counter/other');
    spawnCounter(parent, 'other', policy);
    await eventually(() => expect(system.registry.get('/parent/other')?.status).to.equal('quarantined'));
    spawnCounter(parent, 'other', () => 'stop');
    expect(system.registry.allQuarantined(), 'the new actor replaced the mark').to.deep.equal([]);
  });

  it('a parent that stops takes its quarantined children out of the tree', async () => {
    await appendEvent(engine, 'counter/bad');
    const parent = spawnParent();
    spawnCounter(parent, 'bad', restartOrQuarantine(clock, { maxRestarts: 1, withinMs: 10_000 }));
    await eventually(() => expect(system.registry.allQuarantined()).to.have.length(1));
    system.stop(parent);
    await eventually(() => expect(system.registry.allQuarantined()).to.deep.equal([]));
  });

  it('fail answers an ask with an error', async () => {
    const echo = system.spawn<null, { type: 'ask'; replyTo: Ref<string> }>(system.root, {
      kind: 'echo', name: 'echo', initialState: () => null,
      handle: (s, msg) => (system.fail(msg.replyTo, new Error('not today')), s),
    });
    const error = await rejection(system.query(echo, (replyTo: Ref<string>) => ({ type: 'ask' as const, replyTo }), 10_000));
    expect(error.message).to.equal('not today');
  });
});
