/**
 * What the chaos scenarios found, pinned down without chance: a DesiredLRP acknowledged (201) and
 * the control node killed at once. Its instances were journaled UNCLAIMED; the restarted control
 * auctions them as they recover, and every one of its instances must run within SETTLE_MS of the
 * restart, as after any other start.
 *
 * On a81744f (and with garden-hardening and control-faults merged) it fails every time: the
 * first round runs before any cell has announced itself to the restarted control node, places
 * nothing (`placement_error: unable to communicate to compatible cells`), and the rows stay
 * UNCLAIMED until convergence takes them for stale, 30 s later (BBS's
 * StaleUnclaimedActualLRPDuration).
 */
import { expect } from 'chai';
import { actualRows, ClusterNodes, closeClustersAfterEach, type ActualRow } from '../support/cluster-nodes.js';
import { http } from '../support/gateway-node.js';
import { eventually } from '../support/eventually.js';
import { CHAOS_FLAGS, chaosLrp, SETTLE_MS } from './support/cycle.js';

describe('chaos, pinned: a desire acknowledged just before a control kill -9', function () {
  this.timeout(90_000);
  closeClustersAfterEach();

  it('runs every instance within SETTLE_MS of the restart', async () => {
    const cell = `chaos-${process.pid}-pinned`;
    const cluster = await ClusterNodes.start({ cells: [{ name: cell, args: ['--backend', 'fake'] }], common: CHAOS_FLAGS });
    expect((await http(cluster.control.url, 'POST', '/v1/desired_lrps', chaosLrp('pinned', 3))).status).to.equal(201);
    await cluster.kill9(cluster.control);

    const control = await cluster.startControl();
    const restartedAt = Date.now();
    await cluster.waitForCells([cell]);
    let last: ActualRow[] = [];
    await eventually(async () => {
      last = await actualRows(control.url, 'pinned');
      expect(last.map((r) => r.state)).to.deep.equal(['RUNNING', 'RUNNING', 'RUNNING']);
    }, { timeout: SETTLE_MS, interval: 100 }).catch(() => {
      const rows = last.map((r) => ({ index: r.index, state: r.state, placement_error: (r as ActualRow & { placement_error?: string }).placement_error }));
      expect.fail(`${Date.now() - restartedAt} ms after the restart: ${JSON.stringify(rows)}`);
    });
  });
});
