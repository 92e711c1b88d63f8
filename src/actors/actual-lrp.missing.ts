/**
 * A row whose instance its cell's container list leaves out (`actual-lrp/container-missing`, from
 * `lrps`, cell-placements.ts): the instance is gone without a report the control side heard (lost
 * while the control node was down, a container the cell could not adopt). As Diego's rep does
 * ("no container, but CLAIMED/RUNNING on this cell: delete the ActualLRP"), the row goes:
 * - the ORDINARY row is removed and a new UNCLAIMED one auctioned (`actual_lrp_instance_removed`,
 *   `actual_lrp_instance_created`), with a fresh crash count, as convergence would make it;
 * - a SUSPECT or EVACUATING copy is removed; the ORDINARY row carries on.
 * Only a row of that very instance on that cell, CLAIMED or RUNNING, is touched; anything else
 * (a row that moved on meanwhile) makes it a no-op. Nothing is sent to the cell: it has nothing.
 */
import type { ActualLRP } from '../models/actual-lrp.js';
import { Events } from '../models/events.js';
import { placed, rowsOf, rowsWithout, sameKey, type ActualLrpState } from './actual-lrp.rows.js';
import type { Turn } from './actual-lrp.turn.js';

export async function containerMissing(t: Turn, key: { cell_id: string; instance_guid: string }): Promise<ActualLrpState> {
  const { state } = t;
  const gone = (a: ActualLRP) => t.ctx.log.warn({
    process_guid: a.process_guid, index: a.index, cell_id: a.cell_id, instance_guid: a.instance_guid, state: a.state, presence: a.presence,
  }, 'actual-lrp.container-missing');
  for (const which of ['suspect', 'evacuating'] as const) {
    const copy = state[which];
    if (!placed(copy) || !sameKey(copy, key)) continue;
    gone(copy);
    return t.saveRows(rowsWithout(state, which), [Events.actualLrpRemoved(copy)]);
  }
  const actual = state.actual;
  if (!placed(actual) || !sameKey(actual, key)) return state;
  gone(actual);
  const replacement = t.newRow(actual.domain);
  return t.auctionRows({ ...rowsOf(state), actual: replacement }, [Events.actualLrpRemoved(actual), Events.actualLrpCreated(replacement)]);
}
