/**
 * The LMDB engine under journal shipping still keeps the whole engine contract (every write
 * going through the replication log, acknowledged by a synchronous standby), and after each case
 * the standby's store equals the primary's.
 */
import { expect } from 'chai';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { ReplicationLog } from '../../../src/runtime/persistence/replication-log.js';
import { Replicator } from '../../../src/runtime/persistence/replicator.js';
import { eventually } from '../../support/eventually.js';
import { MemoryNetwork, storeContents } from '../../support/replication.js';
import { tempDir } from '../../support/temp-dir.js';
import { describeEngineContract } from './engine-contract.js';

describeEngineContract('LMDB replicated to a synchronous standby', async () => {
  const network = new MemoryNetwork();
  const dirs = [tempDir(), tempDir()] as const;
  const standbyEngine = LmdbPersistenceEngine.open(dirs[1].path);
  const standby = new Replicator(standbyEngine, network.transport('b'), { retryMs: 50 });
  await standby.becomeStandby({ name: 'a', address: 'a' });
  let term = 1;
  const openPrimary = async () => {
    const engine = LmdbPersistenceEngine.open(dirs[0].path);
    const replication = new Replicator(engine, network.transport('a'), { retryMs: 50 });
    await replication.becomePrimary(term++, [{ name: 'b', address: 'b' }]);
    return { engine, replication };
  };
  let primary = await openPrimary();
  const closePrimary = async () => {
    primary.replication.close();
    await primary.engine.close();
  };
  return {
    engine: primary.engine,
    reopen: async () => {
      await closePrimary();
      primary = await openPrimary();
      return primary.engine;
    },
    dispose: async () => {
      // the case may have closed the engine: compare with the primary's store reopened
      await closePrimary();
      const reopened = LmdbPersistenceEngine.open(dirs[0].path);
      try {
        const log = new ReplicationLog(reopened.environment);
        await eventually(() => expect(standby.lastLsn()).to.deep.equal(log.lastLsn()));
        expect(storeContents(standby.log)).to.deep.equal(storeContents(log));
      } finally {
        await reopened.close();
        standby.close();
        await standbyEngine.close();
        for (const dir of dirs) dir.remove();
      }
    },
  };
}, { reopens: true });
