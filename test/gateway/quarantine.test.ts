/**
 * Issue 12 finding 8 on a real node: one DesiredLRP and one Task whose journals fail on replay
 * (an event written straight into the node's LMDB) are quarantined; every API keeps answering,
 * the records show in `/v1/quarantine`, the tree and `/metrics`, and DELETE removes them.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbPersistenceEngine } from '../../src/runtime/persistence/lmdb-engine.js';
import { eventually } from '../support/eventually.js';
import { fetchText } from '../support/http.js';
import { appendEvent, registryEpoch } from '../support/journal.js';
import { parseExposition } from '../support/prometheus.js';
import { FAST_FLAGS, http, removeAllLrps, startNode, webLrp, type NodeProcess } from '../support/gateway-node.js';
import { tempDir } from '../support/temp-dir.js';

const sleepTask = (task_guid: string) => ({
  task_guid, domain: 'jobs', rootfs: 'preloaded:host', action: { run: { path: 'sh', args: ['-c', 'sleep 30'], user: 'vcap' } },
});

interface TreeNode { path: string; status: string; last_failure: { message: string } | null; children: TreeNode[] }
const find = (nodes: TreeNode[], path: string): TreeNode | undefined => {
  for (const n of nodes) {
    if (n.path === path) return n;
    const below = find(n.children, path);
    if (below) return below;
  }
  return undefined;
};

/**
 * SIGKILLs what this test's node left running under `data` (its containers' keepers and their
 * children), by pid: a failed assertion must not leave instance processes behind.
 */
function killContainersOf(data: string): void {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return { pid: Number(pid), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8') };
    } catch {
      return undefined;
    }
  }).filter((p) => p !== undefined);
  const doomed = new Set(procs.filter((p) => p.cmd.includes(data)).map((p) => p.pid));
  // their descendants, found before anything is killed (an orphan's parent becomes 1)
  for (let grown = true; grown;) {
    grown = false;
    for (const p of procs) if (doomed.has(p.ppid) && !doomed.has(p.pid)) grown = !!doomed.add(p.pid);
  }
  for (const p of procs) {
    if (!doomed.has(p.pid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

describe('quarantine on a real node (finding 8)', function () {
  this.timeout(120_000);
  let dir: ReturnType<typeof tempDir>;
  let node: NodeProcess | undefined;
  beforeEach(() => (dir = tempDir()));
  afterEach(async () => {
    if (node) {
      await removeAllLrps(node.url).catch(() => undefined);
      await node.stop();
    }
    node = undefined;
    killContainersOf(dir.path);
    dir.remove();
  });

  it('a DesiredLRP and a Task that fail on replay: listings answer 200 at once, both are shown quarantined, DELETE removes them, the guids can be desired again', async () => {
    node = await startNode(dir.path, FAST_FLAGS);
    const call = (method: string, path: string, body?: unknown) => http(node!.url, method, path, body);
    for (const guid of ['bad', 'good']) expect((await call('POST', '/v1/desired_lrps', webLrp(guid, 1))).status).to.equal(201);
    for (const guid of ['t-bad', 't-good']) expect((await call('POST', '/v1/tasks', sleepTask(guid))).status).to.equal(201);
    const [bad] = await eventually(async () => {
      const rows = (await call('GET', '/v1/actual_lrps/bad')).json as any[];
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING']);
      return rows;
    }, { timeout: 20_000 });
    const epoch = (await call('GET', '/v1/desired_lrps/bad')).json.modification_tag.epoch as string;
    await node.stop();

    const engine = LmdbPersistenceEngine.open(join(dir.path, 'lmdb'));
    await appendEvent(engine, `lrp/bad/${epoch}`);
    await appendEvent(engine, `task/t-bad/${await registryEpoch(engine, 'tasks', 't-bad')}`);
    await engine.close();

    node = await startNode(dir.path, FAST_FLAGS);
    const started = Date.now();
    const listed = await call('GET', '/v1/desired_lrps');
    expect(listed.status, listed.text).to.equal(200);
    expect(Date.now() - started, 'answered without waiting for the broken record').to.be.below(1_000);
    expect(listed.json.map((d: any) => d.process_guid)).to.deep.equal(['good']);
    const tasks = await call('GET', '/v1/tasks');
    expect([tasks.status, tasks.json.map((t: any) => t.task_guid)]).to.deep.equal([200, ['t-good']]);
    expect((await call('GET', '/v1/actual_lrps')).json.map((a: any) => a.process_guid)).to.deep.equal(['good']);

    const one = await call('GET', '/v1/desired_lrps/bad');
    expect(one.status).to.equal(409);
    expect(one.json.error.type).to.equal('ResourceQuarantined');
    expect(one.json.error.message).to.match(/^desired lrp quarantined: bad: .*null/);
    expect((await call('GET', '/v1/tasks/t-bad')).json.error.type).to.equal('ResourceQuarantined');
    expect((await call('PATCH', '/v1/desired_lrps/bad', { instances: 2 })).status).to.equal(409);

    const quarantine = (await call('GET', '/v1/quarantine')).json as any[];
    expect(quarantine.map((q) => [q.kind, q.key])).to.deep.equal([['desired_lrp', 'bad'], ['task', 't-bad']]);
    for (const q of quarantine) {
      expect(q.error).to.match(/null/);
      expect(q.since).to.be.a('number');
    }
    const cli = await node.run(['quarantine']);
    expect(cli.stdout.split('\n').slice(1, 3).map((line) => line.split(/\s+/).slice(0, 2))).to.deep.equal([['desired_lrp', 'bad'], ['task', 't-bad']]);
    const tree = (await call('GET', '/v1/actors')).json.nodes[0];
    const shown = find(tree.actors, `/${node.name}/control/lrps/bad`);
    expect(shown?.status).to.equal('quarantined');
    expect(shown?.last_failure?.message).to.match(/null/);
    const samples = parseExposition((await call('GET', '/metrics')).text).filter((s) => s.name === 'auctor_quarantined_records');
    expect(Object.fromEntries(samples.map((s) => [s.labels.kind, s.value]))).to.include({ desired_lrp: 1, task: 1 });
    // its instance keeps serving meanwhile: nobody knows what the record desires
    expect(await fetchText(bad.ports[0].host_port)).to.equal(`0 ${bad.instance_guid}`);

    expect((await call('DELETE', '/v1/desired_lrps/bad')).status).to.equal(204);
    expect((await call('DELETE', '/v1/tasks/t-bad')).status).to.equal(204);
    expect((await call('GET', '/v1/quarantine')).json).to.deep.equal([]);
    expect((await call('GET', '/v1/desired_lrps/bad')).status).to.equal(404);

    // the next report of the cell's containers stops what no record accounts for (a start reports at once)
    await node.stop();
    node = await startNode(dir.path, FAST_FLAGS);
    await eventually(async () => {
      const alive = await fetchText(bad.ports[0].host_port).then(() => true, () => false);
      expect(alive, 'the deleted record\'s instance is stopped').to.equal(false);
    }, { timeout: 20_000 });
    expect((await call('GET', '/v1/quarantine')).json).to.deep.equal([]);
    expect((await call('POST', '/v1/desired_lrps', webLrp('bad', 1))).status).to.equal(201);
    expect((await call('POST', '/v1/tasks', sleepTask('t-bad'))).status).to.equal(201);
    await eventually(async () => {
      const rows = (await call('GET', '/v1/actual_lrps/bad')).json as any[];
      expect(rows.map((r) => r.state)).to.deep.equal(['RUNNING']);
    }, { timeout: 20_000 });
    await call('POST', '/v1/tasks/t-bad/cancel');
    await call('POST', '/v1/tasks/t-good/cancel');
  });
});
