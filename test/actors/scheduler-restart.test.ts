/**
 * kill -9 of a node that runs control and cell: its containers keep serving meanwhile, and when
 * the node starts again from its LMDB every desired LRP is back and every healthy instance is
 * adopted with its instance guid, not restarted.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { ProcessBackend } from '../../src/garden/process/process-backend.js';
import { finished, startFixture } from '../support/child-process.js';
import { consistently } from '../support/eventually.js';
import { fetchText } from '../support/http.js';
import { tempDir } from '../support/temp-dir.js';

interface Running { index: number; instance_guid: string; host_port: number; crash_count: number; since: number }


function whenRunning(child: ChildProcess): Promise<Running[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('running '));
      if (line) resolve(JSON.parse(line.slice('running '.length)));
    });
    child.once('exit', (code) => reject(new Error(`node exited ${code} before running; ${out}`)));
  });
}

describe('scheduler node kill -9 and restart', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  const scope = `auctor-test/restart-${process.pid}`;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    const backend = await ProcessBackend.open({ dataDir: `${dir.path}/garden`, scope });
    for (const c of await backend.containers()) await backend.destroy(c.handle);
    await backend.close();
    dir.remove();
  });

  it('keeps serving while the node is down and adopts every healthy instance when it is back', async () => {
    const first = startFixture('scheduler-node', [dir.path, scope]);
    const exited = finished(first, 30_000);
    const before = await whenRunning(first);
    const answers = await Promise.all(before.map((a) => fetchText(a.host_port)));
    first.kill('SIGKILL');
    await exited;

    // nothing serves them but their own processes now
    expect(await Promise.all(before.map((a) => fetchText(a.host_port)))).to.deep.equal(answers);

    const second = startFixture('scheduler-node', [dir.path, scope]);
    const stopped = finished(second, 30_000);
    try {
      const after = await whenRunning(second);
      expect(after.map((a) => [a.index, a.instance_guid, a.host_port, a.crash_count])).to.deep.equal(
        before.map((a) => [a.index, a.instance_guid, a.host_port, 0]),
      );
      // the same processes answer, and go on answering once the restarted cell has reconciled
      // (every second) and re-checked their health: nothing was restarted
      await consistently(async () => expect(await Promise.all(after.map((a) => fetchText(a.host_port)))).to.deep.equal(answers), { duration: 2500 });
    } finally {
      second.kill('SIGKILL');
      await stopped;
    }
  });
});
