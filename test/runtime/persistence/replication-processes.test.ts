/**
 * Journal shipping between two processes over gRPC remoting: the primary is killed with SIGKILL
 * in the middle of a write load; the standby must hold every write the primary acknowledged,
 * and its store must be the primary's minus the primary's unacknowledged tail.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { unpack } from 'msgpackr';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { ReplicationLog } from '../../../src/runtime/persistence/replication-log.js';
import type { StoreOp } from '../../../src/runtime/persistence/store-ops.js';
import { finished, startFixture } from '../../support/child-process.js';
import { tempDir } from '../../support/temp-dir.js';

/** Resolves with the first stdout line matching `pattern`. */
function line(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  let buffered = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk;
      const match = buffered.match(pattern);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing ${pattern}`)));
  });
}

/** Opens a stopped node's store and reads what it holds. */
async function readStore(dir: string) {
  const engine = LmdbPersistenceEngine.open(dir);
  try {
    const log = new ReplicationLog(engine.environment);
    const events = new Set([...log.dbs.events.getKeys({})].map(([key, seq]) => `${key} ${seq}`));
    const entries = log.read(1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).map(([lsn, bytes]) => ({ lsn, bytes: Buffer.from(bytes).toString('hex'), ops: (unpack(bytes) as { o: StoreOp[] }).o }));
    return { last: log.lastLsn(), events, entries };
  } finally {
    await engine.close();
  }
}

describe('journal shipping across processes', function () {
  this.timeout(60_000);
  const dirs = [tempDir(), tempDir()];
  after(() => dirs.forEach((d) => d.remove()));

  it('leaves the standby with every acknowledged write after a kill -9 of the primary', async () => {
    const [primaryDir, standbyDir] = dirs.map((d) => d.path) as [string, string];
    const standby = startFixture('replication-node', [standbyDir, 'standby']);
    const standbyDone = finished(standby, 50_000);
    const [, address] = (await line(standby, /ready (\S+)\n/)) as unknown as [string, string];

    const primary = startFixture('replication-node', [primaryDir, 'primary', address, '3', '16']);
    const primaryDone = finished(primary, 50_000);
    const acked: string[] = [];
    let buffered = '';
    primary.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const ack of lines) {
        acked.push(ack.slice('ack '.length));
        if (acked.length === 3000) primary.kill('SIGKILL');
      }
    });
    expect((await primaryDone).signal).to.equal('SIGKILL');
    standby.kill('SIGTERM');
    expect((await standbyDone).code).to.equal(0);

    const [onPrimary, onStandby] = [await readStore(primaryDir), await readStore(standbyDir)];
    const missing = acked.filter((write) => !onStandby.events.has(write));
    expect(missing, 'acknowledged writes the standby lacks').to.deep.equal([]);
    expect(onStandby.last.term).to.equal(3);
    // the standby's log is the start of the primary's, byte for byte
    expect(onStandby.entries.map((e) => e.bytes)).to.deep.equal(onPrimary.entries.slice(0, onStandby.entries.length).map((e) => e.bytes));
    // and its store is the primary's without the tail the primary never had acknowledged
    const tail = new Set(onPrimary.entries.slice(onStandby.entries.length).flatMap((e) => e.ops.map((op) => (op.o === 'e' ? `${op.k} ${op.s}` : ''))));
    expect([...onStandby.events].sort()).to.deep.equal([...onPrimary.events].filter((e) => !tail.has(e)).sort());
    expect(tail.size, 'unacknowledged tail').to.be.at.most(16);
  });
});
