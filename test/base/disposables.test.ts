import { expect } from 'chai';
import { DisposableStore } from '../../src/base/disposables.js';

describe('DisposableStore', () => {
  it('disposes the last added first, waiting for each before the next', async () => {
    const store = new DisposableStore();
    const log: string[] = [];
    store.add(() => log.push('engine'));
    store.add({ close: () => log.push('system') });
    store.add(async () => {
      log.push('gateway closing');
      await new Promise((resolve) => setImmediate(resolve));
      log.push('gateway closed');
    });
    await store.dispose();
    expect(log).to.deep.equal(['gateway closing', 'gateway closed', 'system', 'engine']);
  });

  it('returns what it was given, so a part can be opened and owned in one line', () => {
    const store = new DisposableStore();
    const part = { close: () => undefined, name: 'engine' };
    expect(store.add(part)).to.equal(part);
  });

  it('disposes once: a second dispose runs nothing again and settles with the first', async () => {
    const store = new DisposableStore();
    let closes = 0;
    store.add(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      closes++;
    });
    const first = store.dispose();
    const second = store.dispose();
    expect(second).to.equal(first);
    await second;
    expect(closes).to.equal(1);
    await store.dispose();
    expect(closes).to.equal(1);
    expect(store.isDisposed).to.equal(true);
  });

  it('runs every disposer when some fail, then throws their errors together in the order they ran', async () => {
    const store = new DisposableStore();
    const ran: string[] = [];
    store.add(() => ran.push('first added'));
    store.add(async () => {
      ran.push('rejects');
      throw new Error('lmdb busy');
    });
    store.add(() => ran.push('between'));
    store.add({
      close: () => {
        ran.push('throws');
        throw new Error('port still bound');
      },
    });
    const error = await store.dispose().then(() => undefined, (e: unknown) => e);
    expect(ran).to.deep.equal(['throws', 'between', 'rejects', 'first added']);
    expect(error).to.be.instanceOf(AggregateError);
    const aggregate = error as AggregateError;
    expect(aggregate.errors.map((e: Error) => e.message)).to.deep.equal(['port still bound', 'lmdb busy']);
    expect(aggregate.message).to.equal('2 disposal(s) failed: port still bound; lmdb busy');
  });

  it('refuses an item after dispose (its owner is gone), leaving it to the caller', async () => {
    const store = new DisposableStore();
    await store.dispose();
    let closed = false;
    expect(() => store.add(() => (closed = true))).to.throw('DisposableStore: add after dispose');
    expect(closed).to.equal(false);
  });
});
