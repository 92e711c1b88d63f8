/**
 * `GET /v1/cells` says per cell which limits its backend enforces (issue 12, finding 9e), so a
 * user is never misled into thinking a disk or user setting holds on a process-backend cell.
 */
import { expect } from 'chai';
import { ProcessBackend } from '../../src/garden/process/process-backend.js';
import { eventually } from '../support/eventually.js';
import { http, startNode } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

describe('GET /v1/cells: what each cell enforces (real node)', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.remove());

  const cellsOf = async (args: string[]) => {
    const node = await startNode(dir.path, args);
    try {
      // the cell presents itself a moment after the node has started
      return await eventually(async () => {
        const cells = (await http(node.url, 'GET', '/v1/cells')).json as Array<{ enforces: string[] }>;
        expect(cells).to.have.length(1);
        return cells;
      });
    } finally {
      await node.stop();
    }
  };

  it('a process-backend cell answers what its backend enforces on this machine, never user, disk or privileged', async () => {
    // the same machine, the same cgroups: what a process backend here declares
    const probe = tempDir();
    const local = await ProcessBackend.open({ dataDir: probe.path, scope: `auctor-test/enforces-${process.pid}` });
    const expected = local.enforces();
    await local.close();
    probe.remove();

    const [cell] = await cellsOf([]);
    expect(cell!.enforces).to.deep.equal(expected);
    expect(cell!.enforces).to.include('nofile');
    expect(cell!.enforces).to.not.include.members(['user', 'disk', 'privileged']);
  });

  it('a fake-backend cell enforces nothing, and says so', async () => {
    const [cell] = await cellsOf(['--backend', 'fake']);
    expect(cell!.enforces).to.deep.equal([]);
  });
});
