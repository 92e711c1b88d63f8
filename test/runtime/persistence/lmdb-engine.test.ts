import { expect } from 'chai';
import { open, type RootDatabase } from 'lmdb';
import { Unpackr } from 'msgpackr';
import { persistedEvent } from '../../../src/runtime/persistence/engine.js';
import { LMDB_ENV_OPTIONS, LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { collect } from '../../support/collect.js';
import { tempDir } from '../../support/temp-dir.js';
import { describeEngineContract } from './engine-contract.js';

describeEngineContract('LMDB', async () => {
  const dir = tempDir();
  let current = LmdbPersistenceEngine.open(dir.path);
  return {
    engine: current,
    reopen: async () => {
      await current.close();
      current = LmdbPersistenceEngine.open(dir.path);
      return current;
    },
    dispose: async () => {
      await current.close();
      dir.remove();
    },
  };
}, { reopens: true });

/** A gate a test opens by hand. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('LmdbPersistenceEngine', function () {
  let dir: string;
  let removeDir: () => void;
  let root: RootDatabase | undefined;
  beforeEach(function () {
    ({ path: dir, remove: removeDir } = tempDir());
  });
  afterEach(async function () {
    await root?.close();
    root = undefined;
    removeDir();
  });

  it('shares one environment: prefixed engines are isolated and closing one leaves the env open', async function () {
    root = open({ path: dir, ...LMDB_ENV_OPTIONS });
    const nodeA = new LmdbPersistenceEngine(root, { prefix: 'a/' });
    const nodeB = new LmdbPersistenceEngine(root, { prefix: 'b/' });
    await nodeA.persist(persistedEvent('lrp-1', 1, 'from a'));
    await nodeB.persist(persistedEvent('lrp-1', 1, 'from b'));
    await nodeA.close();
    expect((await collect(nodeB.events('lrp-1'))).map((e) => e.data)).to.deep.equal(['from b']);
    await nodeB.persist(persistedEvent('lrp-1', 2, 'b still writes'));
    const again = new LmdbPersistenceEngine(root, { prefix: 'a/' });
    expect((await collect(again.events('lrp-1'))).map((e) => e.data)).to.deep.equal(['from a']);
  });

  it('persist resolves only after its write is flushed to disk, not when it commits', async function () {
    root = open({ path: dir, ...LMDB_ENV_OPTIONS });
    const engine = new LmdbPersistenceEngine(root);
    const flush = gate();
    // Hold back the `.flushed` promise lmdb-js hangs on each write promise.
    const proto = Object.getPrototypeOf(root) as { put: (...args: unknown[]) => Promise<boolean> & { flushed?: unknown } };
    const put = proto.put;
    proto.put = function (this: unknown, ...args: unknown[]) {
      const write = put.apply(this, args);
      const flushed = write.flushed as Promise<unknown>;
      write.flushed = flush.opened.then(() => flushed);
      return write;
    };
    try {
      let resolved = false;
      const persisting = engine.persist(persistedEvent('lrp-1', 1, 'claimed')).then(() => (resolved = true));
      await root.committed;
      expect(await collect(engine.events('lrp-1')), 'committed and visible').to.have.length(1);
      expect(resolved, 'resolved before the flush').to.equal(false);
      flush.open();
      await persisting;
      expect(resolved).to.equal(true);
    } finally {
      proto.put = put;
    }
  });

  it('on an env opened without separateFlushed, persist waits for the env-wide flush', async function () {
    root = open({ path: dir });
    const engine = new LmdbPersistenceEngine(root);
    const flush = gate();
    const envFlushed = root.flushed;
    Object.defineProperty(root, 'flushed', { value: flush.opened.then(() => envFlushed), configurable: true });
    let resolved = false;
    const persisting = engine.persist(persistedEvent('lrp-1', 1, 'claimed')).then(() => (resolved = true));
    await root.committed;
    expect(await collect(engine.events('lrp-1'))).to.have.length(1);
    expect(resolved).to.equal(false);
    flush.open();
    await persisting;
  });

  it('close does not close an environment it did not open', async function () {
    root = open({ path: dir, ...LMDB_ENV_OPTIONS });
    const engine = new LmdbPersistenceEngine(root);
    await engine.persist(persistedEvent('lrp-1', 1, 'x'));
    await engine.close();
    await root.put('still-open', true);
    expect(root.get('still-open')).to.equal(true);
  });

  it('reads events and snapshots stored with lmdb-js\'s default record encoding (stores written before plain msgpack)', async function () {
    const rows = [1, 2, 3].map((i) => ({ type: 'row', actual: { process_guid: 'app', index: i, state: 'CLAIMED', modification_tag: { epoch: 'e', index: i } }, pending: '' }));
    const before = open({ path: dir, ...LMDB_ENV_OPTIONS });
    // the layout the engine uses, written by lmdb-js's default encoder (msgpackr records)
    const events = before.openDB<unknown, [string, number]>('events', {});
    const snapshots = before.openDB<unknown, [string, number]>('snapshots', {});
    for (const [i, row] of rows.entries()) await events.put(['actual-lrp/app/e/1', i + 1], { d: row, c: 1000 + i });
    await snapshots.put(['actual-lrp/app/e/1', 2], { d: { actual: rows[1] }, c: 2000 });
    await before.close();

    const engine = LmdbPersistenceEngine.open(dir);
    try {
      expect((await collect(engine.events('actual-lrp/app/e/1'))).map((e) => e.data)).to.deep.equal(rows);
      expect((await engine.latestSnapshot('actual-lrp/app/e/1'))?.data).to.deep.equal({ actual: rows[1] });
      // and the next event lands after them, in the new encoding
      await engine.persist(persistedEvent('actual-lrp/app/e/1', 4, { type: 'removed' }));
      expect((await collect(engine.events('actual-lrp/app/e/1', 3))).map((e) => e.data)).to.deep.equal([{ type: 'removed' }]);
      // a scan decodes both encodings; it reads the type off the new one only
      const scanned: Array<[string | undefined, unknown]> = [];
      await engine.scanJournals('actual-lrp/', (j) => scanned.push(...j.events.map((e): [string | undefined, unknown] => [e.type, e.read().data])));
      expect(scanned).to.deep.equal([[undefined, rows[2]], ['removed', { type: 'removed' }]]);
    } finally {
      await engine.close();
    }
  });

  it('stores values as plain msgpack maps, which any msgpack reader decodes', async function () {
    const engine = LmdbPersistenceEngine.open(dir);
    await engine.persist(persistedEvent('lrp-1', 1, { type: 'row', actual: { state: 'CLAIMED' } }));
    await engine.close();
    root = open({ path: dir, ...LMDB_ENV_OPTIONS });
    const raw = root.openDB<Buffer, [string, number]>('events', { encoding: 'binary' }).getBinary(['lrp-1', 1])!;
    // a map header (fixmap, map16 or map32), not msgpackr's record extension (0xd4 0x72 ...)
    const isMap = (raw[0]! & 0xf0) === 0x80 || raw[0] === 0xde || raw[0] === 0xdf;
    expect(isMap, `first byte 0x${raw[0]!.toString(16)}`).to.equal(true);
    expect(new Unpackr({ useRecords: false }).unpack(raw)).to.deep.include({ d: { type: 'row', actual: { state: 'CLAIMED' } } });
  });

  it('stores a snapshot of a record with more than 65,535 keys (a registry of 200k LRPs) and reads it back after a reopen', async function () {
    this.timeout(30_000);
    const lrps: Record<string, string> = {};
    for (let i = 0; i < 70_000; i++) lrps[`lrp-${i}`] = `epoch-${i}`;
    let engine = LmdbPersistenceEngine.open(dir);
    await engine.takeSnapshot({ key: 'lrps', sequenceNumber: 70_000, createdAt: 1, data: { lrps, count: 70_000 } });
    await engine.close();
    engine = LmdbPersistenceEngine.open(dir);
    const read = await engine.latestSnapshot('lrps');
    await engine.close();
    expect(read?.sequenceNumber).to.equal(70_000);
    const data = read?.data as { lrps: Record<string, string>; count: number };
    expect(Object.keys(data.lrps)).to.have.length(70_000);
    expect(data.lrps['lrp-69999']).to.equal('epoch-69999');
  });

  it('scanJournals lets other work run while it reads many journals (a start must not hold the event loop)', async function () {
    this.timeout(60_000);
    root = open({ path: dir, ...LMDB_ENV_OPTIONS });
    const engine = new LmdbPersistenceEngine(root);
    const writes: Array<Promise<void>> = [];
    for (let j = 0; j < 10_000; j++) writes.push(engine.persist(persistedEvent(`a/${j}`, 1, { j })));
    await Promise.all(writes);
    let turns = 0;
    let visited = 0;
    const ticking = setInterval(() => turns++, 0);
    try {
      await engine.scanJournals('a/', () => visited++);
    } finally {
      clearInterval(ticking);
    }
    expect(visited).to.equal(10_000);
    expect(turns, 'timer turns during the scan').to.be.at.least(2);
  });
});
