/**
 * etcd down while a control group ships its journal, with cells (issue 16's chaos case, short
 * form; real etcd, real processes): three control nodes with `--sync-standbys 1` and two cells
 * (`auctor start --roles cell`, fake backend) running a steady LRP, writers desiring LRPs
 * through the active. etcd is killed (-9) and started again on its data, within the TTL: no
 * failover (the same active in the same term on every node, no one elected or stepped down),
 * the writes go on and every one acknowledged is on the active, and the cells restart nothing
 * (the same instance guids in the rows and in the cells' containers). (etcd down for longer than
 * the TTL is another case.)
 */
import { expect } from 'chai';
import { ETCD_INSTALL_HINT, etcdInstalled } from '../../src/cli/local-etcd.js';
import { actualRows, CLUSTER_FAST_FLAGS } from '../support/cluster-nodes.js';
import { ControlGroupCluster } from '../support/control-group-cluster.js';
import { eventually } from '../support/eventually.js';
import { http, webLrp } from '../support/gateway-node.js';

const TTL_MS = 3000;
const CELLS = ['cell-1', 'cell-2'];
const STEADY_INSTANCES = 4;
const WRITERS = 4;
/** webLrp without its health check: the fake backend's containers run no process to check */
const fakeLrp = (guid: string, instances: number) => ({ ...webLrp(guid, instances), check_definition: undefined });

describe('control group: etcd down within the TTL while the journal ships, with cells (real etcd)', function () {
  this.timeout(120_000);
  let group: ControlGroupCluster | undefined;
  before(function () {
    if (!etcdInstalled()) {
      console.warn(`    skipped: no etcd on PATH (${ETCD_INSTALL_HINT})`);
      this.skip();
    }
  });
  afterEach(async () => {
    await group?.close();
    group = undefined;
  });

  it('no failover: the same active carries on, no acknowledged desire is lost, and the cells restart no instance', async () => {
    group = await ControlGroupCluster.start({
      controls: ['cg-1', 'cg-2', 'cg-3'],
      cells: CELLS.map((name) => ({ name, args: ['--backend', 'fake', '--memory-mb', '65536', '--containers', '1000'] })),
      common: CLUSTER_FAST_FLAGS,
      leaderTtlMs: TTL_MS,
      syncStandbys: 1,
    });
    const { node: active, leader } = await group.active();
    expect((await http(active.url, 'POST', '/v1/desired_lrps', fakeLrp('steady', STEADY_INSTANCES))).status).to.equal(201);
    const running = async () => (await actualRows(active.url, 'steady')).filter((r) => r.state === 'RUNNING' && r.presence === 'ORDINARY');
    const steadyBefore = await eventually(async () => {
      const rows = await running();
      expect(rows, JSON.stringify(await actualRows(active.url, 'steady'))).to.have.length(STEADY_INSTANCES);
      return rows.map((r) => r.instance_guid).sort();
    }, { timeout: 20_000, interval: 100 });
    const containersBefore = await steadyContainers(active.url);
    expect(containersBefore).to.deep.equal(steadyBefore);

    // writers desire LRPs through the active, before, while and after etcd is down
    const acked = new Set<string>();
    const refused: number[] = [];
    let writing = true;
    const writers = Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; writing; i++) {
        const answer = await http(active.url, 'POST', '/v1/desired_lrps', fakeLrp(`w${w}-${i}`, 1)).catch(() => undefined);
        if (answer?.status === 201) acked.add(`w${w}-${i}`);
        else refused.push(answer?.status ?? 0);
      }
    });
    const more = async (n: number, timeout: number) => {
      const from = acked.size;
      await eventually(() => expect(acked.size).to.be.at.least(from + n), { timeout, interval: 20 });
    };
    try {
      await more(20, 20_000);
      const downAt = Date.now();
      await group.restartEtcd();
      const downMs = Date.now() - downAt;
      // within the TTL of etcd's return the writes go on
      await more(20, TTL_MS);
      console.log(`      etcd down ${downMs} ms; ${acked.size} desires acknowledged, ${refused.length} not (${[...new Set(refused)].join(', ') || 'none'})`);
    } finally {
      writing = false;
      await Promise.all(writers);
    }

    // no failover: every node names the same active in the same term, as before
    for (const node of group.liveControls()) expect(await group.leaderOf(node), node.name).to.deep.equal(leader);
    expect(group.liveControls().map((n) => n.name).sort()).to.deep.equal(['cg-1', 'cg-2', 'cg-3']);
    for (const node of group.liveControls()) {
      const changes = node.logs.filter((l) => l.msg === 'control-group.stepped-down' || (l.msg === 'control-group.elected' && node !== active));
      expect(changes, node.name).to.deep.equal([]);
    }
    const listed = new Set(((await http(active.url, 'GET', '/v1/desired_lrps')).json as Array<{ process_guid: string }>).map((d) => d.process_guid));
    expect([...acked].filter((guid) => !listed.has(guid)), 'acknowledged, absent from the active').to.deep.equal([]);
    // the cells restarted nothing: the same instances in the rows and in the cells' containers
    expect((await running()).map((r) => r.instance_guid).sort()).to.deep.equal(steadyBefore);
    expect(await steadyContainers(active.url)).to.deep.equal(steadyBefore);
    for (const cell of CELLS) expect(group.cells.get(cell)!.child.exitCode, cell).to.equal(null);
  });
});

/** The instance guids of the `steady` containers the fake cells hold (their cell actors, through the active). */
async function steadyContainers(url: string): Promise<string[]> {
  const guids: string[] = [];
  for (const cell of CELLS) {
    const answer = await http(url, 'GET', `/v1/actors/${cell}/cell-${cell}?depth=1`);
    expect(answer.status, answer.text).to.equal(200);
    const containers = (answer.json.summary?.containers ?? []) as Array<{ kind: string; process_guid: string; instance_guid: string }>;
    guids.push(...containers.filter((c) => c.kind === 'lrp' && c.process_guid === 'steady').map((c) => c.instance_guid));
  }
  return guids.sort();
}
