import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { buildTask } from '../models/builders.js';
import { lrpWork, startCell, type CellHarness } from '../support/cell-harness.js';
import { eventually } from '../support/eventually.js';
import { alive, processGarden, sh, type ProcessGarden } from '../support/garden.js';
import { ProcessBackend } from '../../src/garden/process/process-backend.js';
import { tempDir } from '../support/temp-dir.js';

/** A Node HTTP server on $PORT that writes its pid to `server.pid` in its home directory. */
const SERVER = `
const fs = require('fs');
fs.writeFileSync('server.pid', String(process.pid));
require('http').createServer((req, res) => res.end('hello from ' + process.env.INSTANCE_INDEX)).listen(Number(process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

const serverLrp = (instance_guid: string) =>
  lrpWork(instance_guid, {
    ports: [8080],
    action: { run: { path: process.execPath, args: ['-e', SERVER], user: 'vcap' } },
    check_definition: { checks: [{ http_check: { port: 8080, path: '/' } }] },
    start_timeout_ms: 15_000,
    memory_mb: 256,
  }, 3);

describe('cell actor (process backend)', function () {
  this.timeout(30_000);
  let garden: ProcessGarden;
  let h: CellHarness;

  beforeEach(async () => {
    garden = await processGarden(300);
  });
  afterEach(async () => {
    await h?.shutdown();
    await garden.dispose();
  });

  const pidOf = async (handle: string) => {
    const container = await garden.backend.lookup(handle);
    return eventually(() => Number(readFileSync(container.hostPath('server.pid'), 'utf8')));
  };

  it('an LRP with an http_check reaches running with its host port and answers on it; killing it is a crash', async () => {
    h = startCell(garden.backend);
    const result = await h.client.perform({ lrps: [serverLrp('ig-1')], tasks: [] }, 10_000);
    expect(result).to.deep.equal({ failedLrps: [], failedTasks: [] });
    await h.next('cell-report/lrp-claimed');
    const running = await h.next('cell-report/lrp-running', undefined, 15_000);
    expect(running.address).to.equal('127.0.0.1');
    expect(running.ports).to.have.length(1);
    const [{ container_port, host_port }] = running.ports as [{ container_port: number; host_port: number }];
    expect(container_port).to.equal(8080);
    const answer = await fetch(`http://127.0.0.1:${host_port}/`);
    expect(await answer.text()).to.equal('hello from 3');
    expect(h.lines.some(({ line }) => line.source === 'HEALTH' && line.line === 'Container became healthy')).to.equal(true);

    const pid = await pidOf('ig-1');
    process.kill(pid, 'SIGKILL');
    const crashed = await h.next('cell-report/lrp-crashed', undefined, 10_000);
    expect(crashed).to.include({ instance_guid: 'ig-1', index: 3 });
    // the exit and the next liveness check race: whichever the cell sees first is the reason
    expect(crashed.reason).to.be.oneOf(['APP/PROC/WEB: Exited with status 137', "Instance became unhealthy: Liveness check unsuccessful: failed to make HTTP request to '/' on port 8080: connection refused"]);
    await eventually(async () => expect((await garden.backend.containers()).map((c) => c.handle)).to.deep.equal([]));
  });

  it('stop-instance ends the server and destroys its container', async () => {
    h = startCell(garden.backend);
    await h.client.perform({ lrps: [serverLrp('ig-1')], tasks: [] }, 10_000);
    await h.next('cell-report/lrp-running', undefined, 15_000);
    const pid = await pidOf('ig-1');
    h.client.stopInstance('web', 3, 'ig-1');
    await h.next('cell-report/lrp-stopped', undefined, 10_000);
    expect(alive(pid)).to.equal(false);
    expect(await garden.backend.containers()).to.deep.equal([]);
    expect(h.of('cell-report/lrp-crashed')).to.deep.equal([]);
  });

  it('a task whose action writes a result file completes with the result', async () => {
    h = startCell(garden.backend);
    const task = buildTask({ task_guid: 't-1', action: { run: sh('printf "%s" "$INSTANCE_GUID done" > result.txt') }, result_file: 'result.txt' });
    await h.client.perform({ lrps: [], tasks: [{ task }] }, 10_000);
    const done = await h.next('cell-report/task-completed', undefined, 10_000);
    expect(done).to.include({ task_guid: 't-1', failed: false, failure_reason: '', result: 't-1 done' });
    h.client.deleteTask('t-1');
    await eventually(async () => expect(await garden.backend.containers()).to.deep.equal([]));
  });

  it('a failing task reports the exit status', async () => {
    h = startCell(garden.backend);
    const task = buildTask({ task_guid: 't-1', action: { run: sh('exit 4') }, result_file: 'result.txt' });
    await h.client.perform({ lrps: [], tasks: [{ task }] }, 10_000);
    expect(await h.next('cell-report/task-completed', undefined, 10_000)).to.include({ failed: true, failure_reason: 'Exited with status 4', result: '' });
  });

  it('a restarted cell adopts a running instance: reported running again with the same guid and port, and still watched', async () => {
    const dir = tempDir('auctor-cell-adopt-');
    const open = () => ProcessBackend.open({ dataDir: dir.path, gracefulStopMs: 300, scope: `auctor-test/${process.pid}` });
    let backend = await open();
    let cell: CellHarness | undefined;
    try {
      cell = startCell(backend);
      await cell.client.perform({ lrps: [serverLrp('ig-1')], tasks: [] }, 10_000);
      const first = await cell.next('cell-report/lrp-running', undefined, 15_000);
      const pid = await eventually(async () => Number(readFileSync((await backend.lookup('ig-1')).hostPath('server.pid'), 'utf8')));
      // the cell goes away (its actors stop) but leaves the processes running
      await cell.shutdown();
      await backend.close();
      expect(alive(pid)).to.equal(true);

      backend = await open();
      cell = startCell(backend);
      const again = await cell.next('cell-report/lrp-running', undefined, 15_000);
      expect(again).to.deep.equal(first);
      expect(await (await fetch(`http://127.0.0.1:${again.ports[0]!.host_port}/`)).text()).to.equal('hello from 3');
      process.kill(pid, 'SIGKILL');
      const crashed = await cell.next('cell-report/lrp-crashed', undefined, 10_000);
      expect(crashed.instance_guid).to.equal('ig-1');
      // an adopted process's exit is read from its keeper's status file, which the liveness check may beat
      expect(crashed.reason).to.be.oneOf([
        'APP/PROC/WEB: Exited with status 137',
        "Instance became unhealthy: Liveness check unsuccessful: failed to make HTTP request to '/' on port 8080: connection refused",
      ]);
      await eventually(async () => expect(await backend.containers()).to.deep.equal([]));
    } finally {
      await cell?.shutdown();
      for (const c of await backend.containers()) await backend.destroy(c.handle);
      await backend.close();
      dir.remove();
    }
  });
});
