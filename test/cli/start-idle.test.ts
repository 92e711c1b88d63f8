/**
 * `--idle-ms` (and its env form): how long an LRP's instances, then its supervisor, stay actors
 * with no work in progress before they are passivated, seen as a user would, in the actors tree of a real node.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { FAST_FLAGS, http, runAuctor, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

interface View { virtual_children?: { kind: string; total: number; active: number; passive: number } }

async function instancesOf(node: NodeProcess, guid: string): Promise<View['virtual_children']> {
  const answer = await http(node.url, 'GET', `/v1/actors/${node.name}/control/lrps/${guid}?depth=1`);
  expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
  return (answer.json as View).virtual_children;
}

async function supervisors(node: NodeProcess): Promise<View['virtual_children']> {
  const answer = await http(node.url, 'GET', `/v1/actors/${node.name}/control/lrps?depth=1`);
  expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
  return (answer.json as View).virtual_children;
}

async function runningIndices(node: NodeProcess, guid: string): Promise<number[]> {
  const rows = (await http(node.url, 'GET', `/v1/actual_lrps/${guid}`)).json as Array<{ state: string; index: number }>;
  return rows.filter((a) => a.state === 'RUNNING').map((a) => a.index).sort();
}

describe('auctor start --idle-ms, --max-active-instances', function () {
  this.timeout(60_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    if (node) {
      await http(node.url, 'DELETE', '/v1/desired_lrps/web').catch(() => undefined);
      const code = await node.stop();
      // what the node said on its way out, should it not stop cleanly
      expect(code, node.output().split('\n').slice(-30).join('\n')).to.equal(0);
    }
    node = undefined;
    dir.remove();
  });

  it('passivates RUNNING instances and then their supervisor after the flag\'s time; a listing still shows them and a retire wakes them', async () => {
    node = await startNode(dir.path, [...FAST_FLAGS, '--idle-ms', '300']);
    expect((await http(node.url, 'POST', '/v1/desired_lrps', webLrp('web', 2))).status).to.equal(201);
    await eventually(async () => expect(await runningIndices(node!, 'web')).to.deep.equal([0, 1]), { timeout: 20_000 });
    // its instances first, then the supervisor itself
    await eventually(async () => expect(await supervisors(node!)).to.deep.equal({ kind: 'lrp-supervisor', total: 1, active: 0, passive: 1 }), { timeout: 10_000 });
    expect(await runningIndices(node, 'web')).to.deep.equal([0, 1]);
    expect((await http(node.url, 'DELETE', '/v1/actual_lrps/web/index/1')).status).to.equal(204);
    expect((await supervisors(node))!.active).to.equal(1);
    expect((await instancesOf(node, 'web'))!.active).to.be.at.least(1);
  });

  it('the default (60 s) keeps a fresh RUNNING instance active; AUCTOR_IDLE_MS sets it too', async () => {
    node = await startNode(dir.path, FAST_FLAGS);
    expect((await http(node.url, 'POST', '/v1/desired_lrps', webLrp('web', 1))).status).to.equal(201);
    await eventually(async () => expect(await runningIndices(node!, 'web')).to.deep.equal([0]), { timeout: 20_000 });
    expect(await instancesOf(node, 'web')).to.deep.equal({ kind: 'actual-lrp', total: 1, active: 1, passive: 0 });
    expect(await node.stop()).to.equal(0);
    node = await startNode(dir.path, FAST_FLAGS, { env: { AUCTOR_IDLE_MS: '300' } });
    await eventually(async () => expect(await runningIndices(node!, 'web')).to.deep.equal([0]), { timeout: 20_000 });
    await eventually(async () => expect(await supervisors(node!)).to.deep.equal({ kind: 'lrp-supervisor', total: 1, active: 0, passive: 1 }), { timeout: 10_000 });
  });

  it('a bad value exits 2 naming the flag', async () => {
    const result = await runAuctor(['start', '--data', dir.path, '--idle-ms', 'soon']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('idle-ms');
  });

  it('--max-active-instances: past it the least recently used RUNNING instances are passivated at once, long before --idle-ms; all keep running', async () => {
    node = await startNode(dir.path, [...FAST_FLAGS, '--max-active-instances', '2']);
    expect((await http(node.url, 'POST', '/v1/desired_lrps', webLrp('web', 5))).status).to.equal(201);
    await eventually(async () => expect(await runningIndices(node!, 'web')).to.deep.equal([0, 1, 2, 3, 4]), { timeout: 20_000 });
    // the default idle time is 60 s: only the limit can have passivated them
    await eventually(async () => expect((await instancesOf(node!, 'web'))!.active).to.be.at.most(2), { timeout: 10_000 });
    expect((await instancesOf(node, 'web'))!.total).to.equal(5);
    expect((await http(node.url, 'DELETE', '/v1/actual_lrps/web/index/4')).status).to.equal(204);
    await eventually(async () => expect(await runningIndices(node!, 'web')).to.deep.equal([0, 1, 2, 3, 4]), { timeout: 20_000 });
    const result = await runAuctor(['start', '--data', `${dir.path}/other`, '--max-active-instances', '0']);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('max-active-instances');
  });
});
