/**
 * Journal shipping between two processes over gRPC remoting: the primary is killed with SIGKILL
 * in the middle of a write load; the standby must hold every write the primary acknowledged,
 * and its store must be the primary's but for a tail of unacknowledged writes.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { unpack } from 'msgpackr';
import { LmdbPersistenceEngine } from '../../../src/runtime/persistence/lmdb-engine.js';
import { ReplicationLog } from '../../../src/runtime/persistence/replication-log.js';
import type { StoreOp } from '../../../src/runtime/persistence/store-ops.js';
import { finished, fixturePath, startFixture } from '../../support/child-process.js';
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

/**
 * The writes a primary process acknowledges (its `ack WRITE` lines), as they come; `onAck` is
 * told the count after each (to kill a process at a given one).
 */
function collectAcks(child: ChildProcess, onAck: (count: number) => void): string[] {
  const acked: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const ack of lines.filter((l) => l.startsWith('ack '))) {
      acked.push(ack.slice('ack '.length));
      onAck(acked.length);
    }
  });
  return acked;
}

/** A standby node process on `dir` that takes `promote TERM ADDRESS` on its stdin. */
async function standbyNode(dir: string) {
  const child = spawn(process.execPath, [fixturePath('replication-node'), dir, 'standby'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = finished(child, 120_000);
  const [, address] = (await line(child, /ready (\S+)\n/)) as unknown as [string, string];
  return { child, done, address, dir };
}

/** Promotes `node` to lead `term` with `standby`, collects its acks, and kills it with SIGKILL after `count`. */
async function leadUntilKilled(node: Awaited<ReturnType<typeof standbyNode>>, term: number, standby: string, count: number): Promise<string[]> {
  const acked = collectAcks(node.child, (n) => n === count && node.child.kill('SIGKILL'));
  node.child.stdin!.write(`promote ${term} ${standby}\n`);
  expect((await node.done).signal).to.equal('SIGKILL');
  return acked;
}

/** Runs a primary with 64 writers and a standby, and kills both with SIGKILL after `count` acknowledgements; the writes acknowledged. */
async function killBothMidPipeline(primaryDir: string, standbyDir: string, count: number): Promise<string[]> {
  const standby = startFixture('replication-node', [standbyDir, 'standby']);
  const standbyDone = finished(standby, 50_000);
  const [, address] = (await line(standby, /ready (\S+)\n/)) as unknown as [string, string];
  const primary = startFixture('replication-node', [primaryDir, 'primary', address, '2', '64']);
  const primaryDone = finished(primary, 50_000);
  const acked = collectAcks(primary, (n) => {
    if (n !== count) return;
    standby.kill('SIGKILL');
    primary.kill('SIGKILL');
  });
  expect((await primaryDone).signal).to.equal('SIGKILL');
  expect((await standbyDone).signal).to.equal('SIGKILL');
  return acked;
}

describe('journal shipping across processes', function () {
  this.timeout(120_000);
  const dirs = [tempDir(), tempDir()];
  after(() => dirs.forEach((d) => d.remove()));
  const live: ChildProcess[] = [];
  afterEach(() => live.splice(0).forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')));

  it('loses no acknowledged write over kill -9s of the primary, each survivor leading the next term', async () => {
    const [dirA, dirB] = [tempDir(), tempDir()];
    try {
      let primary = await standbyNode(dirA.path);
      let standby = await standbyNode(dirB.path);
      live.push(primary.child, standby.child);
      const acked: string[] = [];
      for (let term = 1; term <= 4; term++) {
        acked.push(...(await leadUntilKilled(primary, term, standby.address, 400)));
        // the killed one comes back as a standby on its own store (its unacknowledged tail is replaced)
        const restarted = await standbyNode(primary.dir);
        live.push(restarted.child);
        [primary, standby] = [standby, restarted];
      }
      primary.child.stdin!.end('stop\n');
      standby.child.stdin!.end('stop\n');
      for (const node of [primary, standby]) {
        const exit = await node.done;
        expect(exit.code, `${node.dir} ${exit.signal} ${exit.stderr} ${exit.stdout.slice(0, 300)}`).to.equal(0);
      }
      // the survivor of the last kill holds every write acknowledged in every term
      const survivor = await readStore(primary.dir);
      expect(acked.filter((write) => !survivor.events.has(write)), 'acknowledged writes lost').to.deep.equal([]);
      expect(survivor.last.term).to.equal(4);
      expect(acked.length).to.be.at.least(1600); // a few more may have been printed before the kill landed
    } finally {
      dirA.remove();
      dirB.remove();
    }
  });

  it('leaves the standby with every acknowledged write after a kill -9 of the primary', async () => {
    const [primaryDir, standbyDir] = dirs.map((d) => d.path) as [string, string];
    const standby = startFixture('replication-node', [standbyDir, 'standby']);
    const standbyDone = finished(standby, 50_000);
    const [, address] = (await line(standby, /ready (\S+)\n/)) as unknown as [string, string];

    const primary = startFixture('replication-node', [primaryDir, 'primary', address, '3', '16']);
    const primaryDone = finished(primary, 50_000);
    const acked = collectAcks(primary, (n) => n === 3000 && primary.kill('SIGKILL'));
    expect((await primaryDone).signal).to.equal('SIGKILL');
    standby.kill('SIGTERM');
    expect((await standbyDone).code).to.equal(0);

    const [onPrimary, onStandby] = [await readStore(primaryDir), await readStore(standbyDir)];
    const missing = acked.filter((write) => !onStandby.events.has(write));
    expect(missing, 'acknowledged writes the standby lacks').to.deep.equal([]);
    expect(onStandby.last.term).to.equal(3);
    // the two logs agree on every entry both hold, byte for byte; beyond that one of them holds
    // a tail of writes never acknowledged (the primary ships an entry while it commits it, so
    // either side may be ahead when the primary dies)
    const common = Math.min(onPrimary.entries.length, onStandby.entries.length);
    expect(onStandby.entries.slice(0, common).map((e) => e.bytes)).to.deep.equal(onPrimary.entries.slice(0, common).map((e) => e.bytes));
    const tailOf = (entries: typeof onPrimary.entries) => new Set(entries.slice(common).flatMap((e) => e.ops.map((op) => (op.o === 'e' ? `${op.k} ${op.s}` : ''))));
    const [primaryTail, standbyTail] = [tailOf(onPrimary.entries), tailOf(onStandby.entries)];
    expect(primaryTail.size + standbyTail.size, 'unacknowledged tail').to.be.at.most(16);
    // and the stores are the same but for those tails
    expect([...onStandby.events].filter((e) => !standbyTail.has(e)).sort()).to.deep.equal([...onPrimary.events].filter((e) => !primaryTail.has(e)).sort());
  });

  it('keeps the standby a gap-free prefix of the log, with every acknowledged write, when both die mid-pipeline', async () => {
    // 64 writers: the primary ships each turn's writes while it commits them, with several
    // batches unacknowledged at once; both processes are killed with SIGKILL at the same moment,
    // so the standby dies with appends in flight (three rounds: a kill lands anywhere in a round)
    for (const kill of [2000, 3000, 4000]) {
      const [primaryDir, standbyDir] = [tempDir(), tempDir()];
      try {
        const acked = await killBothMidPipeline(primaryDir.path, standbyDir.path, kill);
        const onStandby = await readStore(standbyDir.path);
        expect(acked.filter((write) => !onStandby.events.has(write)), 'acknowledged writes the standby lacks').to.deep.equal([]);
        // LSN n + 1 is never held without n: the log is 1, 2, 3, ... up to the last it holds
        const lsns = onStandby.entries.map((e) => e.lsn);
        expect(lsns).to.deep.equal(Array.from({ length: lsns.length }, (_, i) => i + 1));
        expect(onStandby.last).to.deep.equal({ term: 2, lsn: lsns.length });
        // a writer persists n + 1 only once n is acknowledged: in LSN order, each writer's events
        // are 1, 2, 3, ... with none missing
        const seqs = new Map<string, number[]>();
        for (const op of onStandby.entries.flatMap((e) => e.ops)) if (op.o === 'e') seqs.set(op.k, [...(seqs.get(op.k) ?? []), op.s]);
        expect(seqs.size).to.equal(64);
        for (const [key, held] of seqs) expect(held, key).to.deep.equal(Array.from({ length: held.length }, (_, i) => i + 1));
        // every event it holds came with an entry it holds (an entry carries a turn's writes)
        expect(onStandby.events.size).to.equal([...seqs.values()].reduce((n, held) => n + held.length, 0));
      } finally {
        primaryDir.remove();
        standbyDir.remove();
      }
    }
  });
});
