import { expect } from 'chai';
import type { PersistenceEngine } from '../../../src/runtime/persistence/engine.js';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { MemoryPersistenceEngine } from '../../../src/runtime/persistence/memory-engine.js';
import { tempDir } from '../../support/temp-dir.js';

const engines: Array<[string, () => { engine: PersistenceEngine; reopen: () => PersistenceEngine; done: () => void }]> = [
  ['memory', () => {
    const engine = new MemoryPersistenceEngine();
    return { engine, reopen: () => engine, done: () => undefined };
  }],
  ['lmdb', () => {
    const dir = tempDir();
    return { engine: LmdbPersistenceEngine.open(dir.path), reopen: () => LmdbPersistenceEngine.open(dir.path), done: () => dir.remove() };
  }],
];

for (const [name, make] of engines) {
  describe(`runtime store (${name} engine)`, () => {
    it('reads back what was put, by key and by prefix in byte order, after a cursor, within a limit', async () => {
      const { engine, done } = make();
      const store = engine.runtimeStore!();
      await Promise.all(['a|3', 'a|1', 'a|2', 'ab|1', 'b|1'].map((k, i) => store.put(k, { i })));
      expect(store.get('a|2')).to.deep.equal({ i: 2 });
      expect(store.get('a|9')).to.equal(undefined);
      expect(store.range('a|').map((r) => r.key)).to.deep.equal(['a|1', 'a|2', 'a|3']);
      expect(store.range('a|', { after: 'a|1', limit: 1 })).to.deep.equal([{ key: 'a|2', value: { i: 2 } }]);
      expect(store.count('a')).to.equal(4);
      await store.remove('a|2');
      await store.remove('nothing');
      expect(store.range('a|').map((r) => r.key)).to.deep.equal(['a|1', 'a|3']);
      await engine.close();
      done();
    });

    it('keeps what was put across a reopen', async () => {
      const { engine, reopen, done } = make();
      await engine.runtimeStore!().put('timer/x', { at: 5 });
      await engine.close();
      const again = reopen();
      expect(again.runtimeStore!().get('timer/x')).to.deep.equal({ at: 5 });
      await again.close();
      done();
    });
  });
}
