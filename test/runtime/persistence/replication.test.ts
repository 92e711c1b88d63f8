/**
 * Journal shipping between LMDB engines in one process (src/runtime/persistence/replicator.ts):
 * over an in-memory network, and over real gRPC remoting on loopback.
 */
import { expect } from 'chai';
import { persistedEvent, persistedSnapshot, DuplicateEventError } from '../../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { NotPrimaryError, type ReplicationEvent } from '../../../src/runtime/persistence/replication.js';
import { decodeEntry } from '../../../src/runtime/persistence/log-entry.js';
import { GROUP_BYTES } from '../../../src/runtime/persistence/primary-writes.js';
import { ReplicationLog } from '../../../src/runtime/persistence/replication-log.js';
import { Replicator, type ReplicatorOptions } from '../../../src/runtime/persistence/replicator.js';
import { startRemoting } from '../../../src/runtime/remoting/grpc-remoting.js';
import { remotingReplicationTransport } from '../../../src/runtime/remoting/replication-link.js';
import type { Remoting } from '../../../src/runtime/remoting/types.js';
import { consistently, eventually } from '../../support/eventually.js';
import { MemoryNetwork, storeContents } from '../../support/replication.js';
import { tempDir } from '../../support/temp-dir.js';

const silent = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {} };

/** The error `promise` rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

interface Node {
  engine: LmdbPersistenceEngine;
  replication: Replicator;
  events: ReplicationEvent[];
}

describe('journal shipping between LMDB engines', function () {
  this.timeout(30_000);
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function node(network: MemoryNetwork, name: string, options: ReplicatorOptions = {}, dir = tempDir()): Node & { dir: string } {
    const engine = LmdbPersistenceEngine.open(dir.path);
    const replication = new Replicator(engine, network.transport(name), { retryMs: 50, ...options });
    const events: ReplicationEvent[] = [];
    replication.onEvent((e) => events.push(e));
    cleanup.push(() => dir.remove(), () => engine.close(), () => replication.close());
    return { engine, replication, events, dir: dir.path };
  }

  async function pair(options: ReplicatorOptions = {}) {
    const network = new MemoryNetwork();
    const primary = node(network, 'a', options);
    const standby = node(network, 'b', options);
    await standby.replication.becomeStandby({ name: 'a', address: 'a' });
    await primary.replication.becomePrimary(1, [{ name: 'b', address: 'b' }]);
    return { network, primary, standby };
  }

  it('refuses local writes until the node is primary', async () => {
    const network = new MemoryNetwork();
    const idle = node(network, 'a');
    expect(await rejection(idle.engine.persist(persistedEvent('k', 1, { type: 'x' })))).to.be.instanceOf(NotPrimaryError);
    expect(await rejection(idle.engine.runtimeStore().put('r', 1))).to.be.instanceOf(NotPrimaryError);
    expect(idle.replication.lastLsn()).to.deep.equal({ term: 0, lsn: 0 });
  });

  it('resolves a write only once the standby holds it durably', async () => {
    const { network, primary, standby } = await pair();
    await eventually(() => expect(primary.replication.standbys()[0]?.caughtUp).to.equal(true));
    network.hold('b');
    let resolved = false;
    const write = primary.engine.persist(persistedEvent('k', 1, { type: 'x' })).then(() => (resolved = true));
    await eventually(() => expect(primary.replication.lastLsn().lsn).to.equal(1));
    await consistently(() => expect(resolved, 'acknowledged before the standby held it').to.equal(false), { duration: 200, interval: 20 });
    expect(standby.replication.lastLsn().lsn).to.equal(0);
    network.release('b');
    await write;
    expect(standby.replication.lastLsn()).to.deep.equal({ term: 1, lsn: 1 });
    expect(standby.events.map((e) => e.type)).to.include('caught-up');
  });

  it('leaves the standby with the same store: events, snapshots, deletions, runtime records', async () => {
    const { primary, standby } = await pair();
    const writes: Array<Promise<unknown>> = [];
    for (let key = 0; key < 20; key++) for (let seq = 1; seq <= 25; seq++) writes.push(primary.engine.persist(persistedEvent(`j/${key}`, seq, { type: 'e', key, seq })));
    await Promise.all(writes);
    await primary.engine.takeSnapshot(persistedSnapshot('j/3', 25, { folded: 25 }));
    await primary.engine.deleteJournal('j/4');
    expect(await primary.engine.deleteJournalsWithPrefix('j/1')).to.equal(11);
    const runtime = primary.engine.runtimeStore();
    await Promise.all([runtime.put('timer/1', { at: 5 }), runtime.put('timer/2', { at: 6 })]);
    await runtime.remove('timer/1');
    const before = primary.replication.lastLsn();
    expect(await rejection(primary.engine.persist(persistedEvent('j/2', 25, { type: 'dup' })))).to.be.instanceOf(DuplicateEventError);
    await primary.engine.persist(persistedEvent('j/2', 26, { type: 'after' }));
    expect(primary.replication.lastLsn(), 'the duplicate took no LSN').to.deep.equal({ term: 1, lsn: before.lsn + 1 });

    expect(standby.replication.lastLsn()).to.deep.equal(primary.replication.lastLsn());
    expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log));
    expect(storeContents(standby.replication.log).events).to.have.length(8 * 25 + 1);
  });

  it('puts the writes made in one turn in one entry, in order, and the next turn\'s in the next', async () => {
    const { primary, standby } = await pair();
    const first = Array.from({ length: 300 }, (_, i) => primary.engine.persist(persistedEvent(`t/${i % 3}`, Math.floor(i / 3) + 1, { type: 'x', i })));
    await new Promise((resolve) => setImmediate(resolve));
    const second = primary.engine.persist(persistedEvent('t/0', 101, { type: 'x' }));
    await Promise.all([...first, second]);
    expect(primary.replication.lastLsn()).to.deep.equal({ term: 1, lsn: 2 });
    const entries = primary.replication.log.read(1, 10, Number.MAX_SAFE_INTEGER).map(([, bytes]) => decodeEntry(bytes).o.map((op) => op.o === 'e' && `${op.k} ${op.s}`));
    expect(entries).to.deep.equal([Array.from({ length: 300 }, (_, i) => `t/${i % 3} ${Math.floor(i / 3) + 1}`), ['t/0 101']]);
    expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log));
  });

  it('starts another entry once one holds GROUP_BYTES of values, and ships them all', async () => {
    const { primary, standby } = await pair();
    const pad = 'p'.repeat(4000);
    const count = Math.ceil((2.5 * GROUP_BYTES) / 4000);
    await Promise.all(Array.from({ length: count }, (_, i) => primary.engine.persist(persistedEvent('big', i + 1, { type: 'x', pad }))));
    expect(primary.replication.lastLsn()).to.deep.equal({ term: 1, lsn: 3 });
    expect(standby.replication.lastLsn()).to.deep.equal(primary.replication.lastLsn());
    expect(storeContents(standby.replication.log).events).to.have.length(count);
  });

  it('catches a standby up from the retained tail after it was cut off', async () => {
    const { network, primary, standby } = await pair({ syncStandbys: 0 });
    await primary.engine.persist(persistedEvent('k', 1, { type: 'x' }));
    await eventually(() => expect(standby.replication.lastLsn().lsn).to.equal(1));
    network.cut.add('b');
    for (let seq = 2; seq <= 300; seq++) await primary.engine.persist(persistedEvent('k', seq, { type: 'x' }));
    expect(standby.replication.lastLsn().lsn).to.equal(1);
    network.cut.delete('b');
    await eventually(() => expect(standby.replication.lastLsn().lsn).to.equal(300));
    expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log));
  });

  it('resends from the gap when entries are lost on the way, and every write is acknowledged', async () => {
    const lines: string[] = [];
    const { network, primary, standby } = await pair({ log: { info: (_, event) => lines.push(event), warn: (_, event) => lines.push(event) } });
    await eventually(() => expect(primary.replication.standbys()[0]?.caughtUp).to.equal(true));
    await primary.engine.persist(persistedEvent('k', 1, { type: 'x' }));
    network.dropNext('b', 'repl/append', 1);
    const writes: Array<Promise<void>> = [];
    for (let round = 0; round < 5; round++) {
      for (let key = 0; key < 10; key++) writes.push(primary.engine.persist(persistedEvent(`g/${key}`, round + 1, { type: 'x' })));
      await new Promise((resolve) => setImmediate(resolve)); // separate appends, so the lost one leaves a gap
    }
    await Promise.all(writes);
    expect(lines.filter((l) => l === 'replication.resending')).to.have.length(1);
    expect(standby.replication.lastLsn()).to.deep.equal(primary.replication.lastLsn());
    expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log));
  });

  it('keeps the log entries that hold about the last retainEntries writes, however many an entry holds', async () => {
    const network = new MemoryNetwork();
    const primary = node(network, 'a', { syncStandbys: 0, retainEntries: 50 });
    await primary.replication.becomePrimary(1, []);
    for (let turn = 1; turn <= 3; turn++) {
      await Promise.all(Array.from({ length: 40 }, (_, i) => primary.engine.persist(persistedEvent(`r/${i}`, turn, { type: 'x' }))));
    }
    // 3 entries of 40 writes: the last alone holds fewer than 50, so the last two are kept
    expect(primary.replication.log.firstRetained()).to.equal(2);
    for (let seq = 4; seq <= 18; seq++) await primary.engine.persist(persistedEvent('one', seq, { type: 'x' }));
    // then 15 entries of one: entry 3 and those hold 55
    expect(primary.replication.log.firstRetained()).to.equal(3);
  });

  it('does not count a standby that is catching up as synchronous until it has caught up', async () => {
    const network = new MemoryNetwork();
    const primary = node(network, 'a');
    const standby = node(network, 'b');
    await standby.replication.becomeStandby(undefined);
    await primary.replication.becomePrimary(1, []);
    // written with no standby: nothing can acknowledge these until the standby holds them
    const early = Array.from({ length: 200 }, (_, i) => primary.engine.persist(persistedEvent('early', i + 1, { type: 'x' })));
    await eventually(() => expect(primary.replication.lastLsn().lsn).to.equal(1)); // one turn's writes: one entry
    const held = primary.replication.lastLsn();
    primary.replication.setStandbys([{ name: 'b', address: 'b' }]);
    await Promise.all(early);
    expect(standby.replication.lastLsn()).to.deep.equal(held);
    expect(primary.events).to.deep.include({ type: 'standby-caught-up', standby: { name: 'b', address: 'b' }, position: held });
  });

  it('sends a copy of the store to a standby the retained tail cannot bring up to date (though the entries are still in memory)', async () => {
    const said: string[] = [];
    const { network, primary, standby } = await pair({ syncStandbys: 0, retainEntries: 50, log: { info: (_, event) => said.push(event), warn: (_, event) => said.push(event) } });
    const runtime = primary.engine.runtimeStore();
    await primary.engine.persist(persistedEvent('gone', 1, { type: 'x' }));
    await runtime.put('timer/old', 1);
    await eventually(() => expect(standby.replication.lastLsn().lsn).to.equal(2));
    network.cut.add('b');
    for (let seq = 1; seq <= 150; seq++) await primary.engine.persist(persistedEvent(`k/${seq % 7}`, Math.ceil(seq / 7), { type: 'x', seq }));
    await primary.engine.takeSnapshot(persistedSnapshot('k/1', 3, { folded: true }));
    await primary.engine.deleteJournal('gone');
    await runtime.remove('timer/old');
    await runtime.put('timer/new', 2);
    network.cut.delete('b');
    await eventually(() => expect(standby.replication.lastLsn()).to.deep.equal(primary.replication.lastLsn()));
    expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log));
    // a copy, not the tail: the primary's memory still held those entries, its log did not
    expect(said).to.include.members(['replication.standby-needs-copy', 'replication.received-copy']);
    // caught up again, though nothing was written since the copy's base
    await eventually(() => expect(standby.events.filter((e) => e.type === 'caught-up')).to.have.length(2));
    // and shipping goes on from there
    await primary.engine.persist(persistedEvent('after', 1, { type: 'x' }));
    await eventually(() => expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log)));
  });

  it('keeps the entries after a copy\'s base until the standby has them, so a copy under a steady write load is the last', async () => {
    const said: string[] = [];
    const { network, primary, standby } = await pair({ syncStandbys: 0, retainEntries: 2, log: { info: (_, event) => said.push(event), warn: (_, event) => said.push(event) } });
    await primary.engine.persist(persistedEvent('w/0', 1, { type: 'x' }));
    await eventually(() => expect(standby.replication.lastLsn().lsn).to.equal(1));
    network.cut.add('b');
    for (let seq = 2; seq <= 20; seq++) await primary.engine.persist(persistedEvent('w/0', seq, { type: 'x' }));
    // four writers go on while the standby is copied and catches up
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let seq = 1; writing; seq++) await primary.engine.persist(persistedEvent(`w/${w + 1}`, seq, { type: 'x' }));
    });
    network.cut.delete('b');
    try {
      await eventually(() => expect(standby.events.filter((e) => e.type === 'caught-up')).to.have.length(2), { timeout: 10_000 });
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    expect(said.filter((event) => event === 'replication.received-copy')).to.have.length(1);
    await eventually(() => expect(storeContents(standby.replication.log)).to.deep.equal(storeContents(primary.replication.log)));
  });

  it('replaces the unacknowledged tail of an old primary that rejoins as a standby', async () => {
    const network = new MemoryNetwork();
    const a = node(network, 'a');
    const b = node(network, 'b');
    await b.replication.becomeStandby({ name: 'a', address: 'a' });
    await a.replication.becomePrimary(1, [{ name: 'b', address: 'b' }]);
    for (let seq = 1; seq <= 10; seq++) await a.engine.persist(persistedEvent('acked', seq, { type: 'x' }));
    // a loses b: what it writes now is never acknowledged
    network.cut.add('b');
    const unacknowledged = Array.from({ length: 5 }, (_, i) => a.engine.persist(persistedEvent('lost', i + 1, { type: 'x' })).catch((e: Error) => e));
    await eventually(() => expect(a.replication.lastLsn().lsn).to.equal(11)); // the five share an entry
    // b wins term 2; a steps down and follows it
    await a.replication.becomeStandby({ name: 'b', address: 'b' });
    for (const outcome of await Promise.all(unacknowledged)) expect(outcome).to.be.instanceOf(NotPrimaryError);
    network.cut.delete('b');
    await b.replication.becomePrimary(2, [{ name: 'a', address: 'a' }]);
    for (let seq = 1; seq <= 3; seq++) await b.engine.persist(persistedEvent('new', seq, { type: 'x' }));
    await eventually(() => expect(a.replication.lastLsn()).to.deep.equal(b.replication.lastLsn()));
    expect(storeContents(a.replication.log)).to.deep.equal(storeContents(b.replication.log));
    expect(storeContents(a.replication.log).events.map((e) => (e as [[string]])[0][0])).to.not.include('lost');
    expect(b.events.map((e) => e.type)).to.include('diverged');
  });

  it('holds nothing after a restart in the middle of receiving a copy, and keeps its sealed term', async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    let engine = LmdbPersistenceEngine.open(dir.path);
    let log = new ReplicationLog(engine.environment);
    await log.seal(4);
    log.beginCopy();
    await log.applyCopy([[0, ['k', 1], new Uint8Array([0x80])]]);
    await engine.close();
    engine = LmdbPersistenceEngine.open(dir.path);
    log = new ReplicationLog(engine.environment);
    expect(log.lastLsn()).to.deep.equal({ term: 0, lsn: 0 });
    expect(log.sealedTerm()).to.equal(4);
    await log.finishCopy({ term: 4, lsn: 70 });
    await engine.close();
    engine = LmdbPersistenceEngine.open(dir.path);
    expect(new ReplicationLog(engine.environment).lastLsn()).to.deep.equal({ term: 4, lsn: 70 });
    await engine.close();
  });

  it('refuses entries of an older term, and the old primary steps down', async () => {
    const network = new MemoryNetwork();
    const old = node(network, 'a');
    const standby = node(network, 'b');
    await standby.replication.seal(5);
    await old.replication.becomePrimary(3, [{ name: 'b', address: 'b' }]);
    const write = old.engine.persist(persistedEvent('k', 1, { type: 'x' }));
    expect(await rejection(write)).to.be.instanceOf(NotPrimaryError);
    expect(old.events).to.deep.include({ type: 'superseded', by: { name: 'b', address: 'b' }, term: 5 });
    expect(old.replication.role()).to.equal('standby');
    expect(standby.replication.lastLsn().lsn).to.equal(0);
    expect(await rejection(old.replication.becomePrimary(4, []))).to.have.property('message').that.matches(/term 4/);
  });

  it('a standby that wins while shipped entries are being applied holds them once it is primary, and nothing older lands after', async () => {
    const { network, primary, standby } = await pair({ syncStandbys: 0 });
    await eventually(() => expect(primary.replication.standbys()[0]?.caughtUp).to.equal(true));
    network.hold('b');
    for (let seq = 1; seq <= 3; seq++) await primary.engine.persist(persistedEvent('k', seq, { type: 'x', seq }));
    for (let seq = 4; seq <= 6; seq++) {
      await primary.engine.persist(persistedEvent('k', seq, { type: 'x', seq }));
      await new Promise((resolve) => setImmediate(resolve)); // one append each
    }
    // the election is won while the first append is accepted and on its way to the store (its
    // entries are issued after the seal, as when it waited for its own term's seal)
    const log = standby.replication.log;
    const apply = log.applyShipped.bind(log);
    let won: Promise<void> | undefined;
    log.applyShipped = async (...args) => {
      won ??= standby.replication.becomePrimary(2, []);
      await new Promise((resolve) => setTimeout(resolve, 30));
      return apply(...args);
    };
    network.release('b');
    await eventually(() => expect(won).to.not.equal(undefined));
    await won;
    const held = standby.replication.lastLsn();
    expect(held.term).to.equal(1);
    expect(held.lsn).to.be.at.least(1);
    await consistently(() => expect(standby.replication.lastLsn()).to.deep.equal(held), { duration: 200, interval: 10 });
    await standby.engine.persist(persistedEvent('k2', 1, { type: 'y' }));
    expect(standby.replication.lastLsn()).to.deep.equal({ term: 2, lsn: held.lsn + 1 });
  });

  it('ships over gRPC remoting to a standby with its own store', async () => {
    const endpoints: Remoting[] = [];
    for (const name of ['a', 'b']) endpoints.push(await startRemoting({ self: { name, incarnation: Date.now() }, listen: { host: '127.0.0.1', port: 0 }, log: silent }));
    cleanup.push(() => Promise.all(endpoints.map((e) => e.close())));
    const [a, b] = endpoints as [Remoting, Remoting];
    const dirs = [tempDir(), tempDir()];
    const engines = dirs.map((d) => LmdbPersistenceEngine.open(d.path));
    const [primary, standby] = [new Replicator(engines[0]!, remotingReplicationTransport(a)), new Replicator(engines[1]!, remotingReplicationTransport(b))];
    cleanup.push(() => dirs.forEach((d) => d.remove()), () => Promise.all(engines.map((e) => e.close())), () => [primary, standby].forEach((r) => r.close()));
    await standby.becomeStandby({ name: 'a', address: a.self.address });
    await primary.becomePrimary(7, [{ name: 'b', address: b.self.address }]);
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 2000; i++) writes.push(engines[0]!.persist(persistedEvent(`w/${i % 50}`, Math.floor(i / 50) + 1, { type: 'x', pad: 'p'.repeat(400) })));
    await Promise.all(writes);
    // every acknowledged write is on the standby already, not eventually
    expect(standby.lastLsn()).to.deep.equal(primary.lastLsn());
    expect(storeContents(standby.log)).to.deep.equal(storeContents(primary.log));
    expect(storeContents(standby.log).events).to.have.length(2000);
  });
});
