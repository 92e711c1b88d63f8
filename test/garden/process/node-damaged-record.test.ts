/**
 * The node, not just the backend: after a kill -9, a container whose process.json is damaged
 * costs that instance only. The node starts, logs which container and file, stops what ran in
 * it and adopts the healthy instance; the cell's next container list tells the control side that
 * the damaged instance's RUNNING row has nothing behind it, and it is placed again.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../support/eventually.js';
import { fetchText } from '../../support/http.js';
import { alive } from '../../support/garden.js';
import { FAST_FLAGS, http, removeAllLrps, startNode, webLrp, type NodeProcess } from '../../support/gateway-node.js';
import { tempDir } from '../../support/temp-dir.js';

interface Row {
  index: number;
  state: string;
  instance_guid: string;
  crash_count: number;
  ports: Array<{ host_port: number }>;
}

describe('a node restarting over a damaged container record', function () {
  this.timeout(90_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  /** keepers of both instances, stopped after the test whatever happened */
  let keepers: number[] = [];
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    if (node) {
      await removeAllLrps(node.url).catch(() => undefined);
      await node.stop();
    }
    for (const pid of keepers) if (alive(pid)) process.kill(-pid, 'SIGKILL');
    keepers = [];
    node = undefined;
    dir.remove();
  });

  const rowsOf = async (url: string) => ((await http(url, 'GET', '/v1/actual_lrps/web')).json as Row[]).sort((a, b) => a.index - b.index);

  it('starts, logs the damaged container and file, stops what ran in it, adopts the healthy instance and places the damaged one again', async () => {
    // the same cell across the restart, as a deployed node keeps its name
    const flags = [...FAST_FLAGS, '--name', `damaged-${process.pid}`];
    node = await startNode(dir.path, flags);
    expect((await http(node.url, 'POST', '/v1/desired_lrps', webLrp('web', 2))).status).to.equal(201);
    const before = await eventually(async () => {
      const rows = await rowsOf(node!.url);
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
      return rows;
    }, { timeout: 20_000, interval: 100 });
    await node.kill9();

    const recordOf = (guid: string) => {
      const processes = join(dir.path, 'garden', 'containers', guid, 'processes');
      const file = join(processes, readdirSync(processes)[0]!, 'process.json');
      return { file, pid: (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid };
    };
    const damagedGuid = before[1]!.instance_guid;
    const { file, pid: damagedPid } = recordOf(damagedGuid);
    keepers = [recordOf(before[0]!.instance_guid).pid, damagedPid];
    // what a write cut by the kill left before records were written atomically
    writeFileSync(file, '');

    node = await startNode(dir.path, flags);
    const line = await node.waitForLog('garden.damaged-container');
    expect(line).to.include({ handle: damagedGuid, file });
    expect(node.logs.find((l) => l.msg === 'garden.adopted-container')).to.include({ handle: before[0]!.instance_guid });
    expect(alive(damagedPid)).to.equal(false);
    // the healthy one was adopted, not restarted: still serving, its row unchanged
    expect(await fetchText(before[0]!.ports[0]!.host_port)).to.equal(`0 ${before[0]!.instance_guid}`);
    const [healthy] = await rowsOf(node.url);
    expect(healthy).to.include({ state: 'RUNNING', instance_guid: before[0]!.instance_guid, crash_count: 0 });
    // the damaged instance's row does not stay RUNNING with no process behind it: a new instance serves index 1
    const replaced = await eventually(async () => {
      const rows = await rowsOf(node!.url);
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING']);
      expect(rows[1]!.instance_guid).to.not.equal(damagedGuid);
      return rows[1]!;
    }, { timeout: 20_000, interval: 100 });
    expect(await fetchText(replaced.ports[0]!.host_port)).to.equal(`1 ${replaced.instance_guid}`);
    expect(node.logs.some((l) => l.msg === 'actual-lrp.container-missing' && l.instance_guid === damagedGuid), 'a log line names the missing instance').to.equal(true);
  });
});
