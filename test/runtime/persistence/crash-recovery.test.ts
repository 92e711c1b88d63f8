/**
 * kill -9 in the middle of a stream of persists: every event a writer acknowledged must come
 * back, in order, none twice, and a restarted writer goes on from where the journal ends.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { finished, runFixture, startFixture } from '../../support/child-process.js';
import { tempDir } from '../../support/temp-dir.js';

/** Starts the writer and resolves with what it acknowledged once `count` acks were printed, after killing it with SIGKILL. */
function writeUntilKilled(dir: string, count: number): Promise<Map<string, number[]>> {
  const child: ChildProcess = startFixture('journal-writer', [dir, 'write']);
  const acked = new Map<string, number[]>();
  let total = 0;
  let buffered = '';
  const done = finished(child, 30_000);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [, writer, n] = line.split(' ');
        acked.set(writer!, [...(acked.get(writer!) ?? []), Number(n)]);
        if (++total === count) child.kill('SIGKILL');
      }
    });
    done.then((f) => (f.signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer exited on its own: ${f.code} ${f.stderr}`))), reject);
  });
}

describe('persistence survives kill -9', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  it('recovers every acknowledged event in order, none duplicated, across two crashes', async () => {
    const first = await writeUntilKilled(dir.path, 400);
    const second = await writeUntilKilled(dir.path, 200);

    const read = await runFixture('journal-writer', [dir.path, 'read'], 30_000);
    expect(read.code, read.stderr).to.equal(0);
    const recovered: Record<string, number[]> = JSON.parse(read.stdout);

    for (const [writer, events] of Object.entries(recovered)) {
      const acked = [...(first.get(writer) ?? []), ...(second.get(writer) ?? [])];
      // contiguous from 1: in order and without duplicates or gaps
      expect(events, writer).to.deep.equal(events.map((_, i) => i + 1));
      // everything acknowledged is there; besides, at most one event per crash that was durable
      // but not yet acknowledged when the process died (it may sit between the two runs' acks)
      const recovered = new Set(events);
      expect(acked.filter((n) => !recovered.has(n)), `${writer}: acknowledged but lost`).to.deep.equal([]);
      expect(events.length, writer).to.be.within(acked.length, acked.length + 2);
    }
    expect(Object.keys(recovered)).to.have.length(4);
    // the second run went on after the first run's last event instead of starting over
    for (const writer of first.keys()) {
      expect(second.get(writer), writer).to.not.be.empty;
      expect(second.get(writer)![0]).to.be.greaterThan(Math.max(...first.get(writer)!));
    }
  });
});
