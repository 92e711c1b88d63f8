/**
 * One ActualLRP (Diego's BBS row for one index plus the decisions the BBS and converger make
 * about it): event-sourced, every change through the models' functions, every change published
 * with its before/after. Effects (auction requests, stop orders, backoff timers) run only in
 * `handle`, never in replay; after recovery `actual-lrp/init` resumes them.
 *
 * The parts, beside this file:
 * - actual-lrp.rows.ts: the rows of the index (ORDINARY, SUSPECT, EVACUATING), the journal's
 *   events and the pure `applyEvent` replay uses;
 * - actual-lrp.turn.ts: the effects one message may run (persist and publish, auction, stop,
 *   the restart timer);
 * - actual-lrp.ordinary.ts: the ORDINARY row's transitions (claims, crash policy, retries);
 * - actual-lrp.copies.ts: the SUSPECT and EVACUATING copies' transitions;
 * - actual-lrp.missing.ts: an instance its cell's container list leaves out.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { Events } from '../models/events.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import type { ActualLrpMsg } from './actual-lrp.protocol.js';
import { ACTUAL_LRP_PROTOCOL } from './actual-lrp.protocol-schema.js';
import { cellBack, cellLost, onEvacuating, removeCopy } from './actual-lrp.copies.js';
import { onListed, onReport, placementFailed, retry } from './actual-lrp.ordinary.js';
import { actualLrpKey, applyEvent, noRows, placed, presentRows, type ActualLrpEvent, type ActualLrpState } from './actual-lrp.rows.js';
import { Turn, type ActualLrpScope, type Runtime } from './actual-lrp.turn.js';
import { containerMissing } from './actual-lrp.missing.js';

export function spawnActualLrp(
  system: ActorSystem, parent: AnyRef, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  desired: DesiredLRP, index: number, onCrash?: CrashPolicy, fresh = false,
): Ref<ActualLrpMsg> {
  const processGuid = desired.process_guid;
  const scope: ActualLrpScope = { system, deps, auctioneer, processGuid, index };
  // the newest DesiredLRP this instance was told of: survives a supervised restart of the actor
  // (which starts from initialState and replays only the row)
  let latest = desired;
  let rt: Runtime = { desired, timer: undefined };
  return system.spawnPersistent<ActualLrpState, ActualLrpMsg, ActualLrpEvent>(parent, {
    kind: 'actual-lrp',
    protocol: ACTUAL_LRP_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: String(index),
    key: actualLrpKey(processGuid, desired.modification_tag.epoch, index),
    fresh,
    snapshotEvery: 50,
    initialState: () => {
      rt.timer?.cancel();
      rt = { desired: latest, timer: undefined };
      return noRows();
    },
    applyEvent,
    summary: (s) => (s.actual ? {
      state: s.actual.state, instance_guid: s.actual.instance_guid, cell_id: s.actual.cell_id, crash_count: s.actual.crash_count,
      ...(s.suspect ? { suspect: { state: s.suspect.state, instance_guid: s.suspect.instance_guid, cell_id: s.suspect.cell_id } } : {}),
      ...(s.evacuating ? { evacuating: { instance_guid: s.evacuating.instance_guid, cell_id: s.evacuating.cell_id } } : {}),
    } : null),
    afterStop: () => rt.timer?.cancel(),
    handle: async (state, msg, ctx) => {
      const t = new Turn(state, scope, rt, ctx);
      switch (msg.type) {
        case 'actual-lrp/init': {
          rt.desired = latest = msg.desired;
          const actual = state.actual;
          if (!actual) {
            const row = t.newRow(msg.desired.domain);
            return t.auction(row, [Events.actualLrpCreated(row)]);
          }
          if (actual.state === 'UNCLAIMED') return t.auction(actual, []);
          t.armRestart(actual);
          return state;
        }
        case 'actual-lrp/ensure-row': {
          if (state.actual) return state;
          const row = t.newRow(rt.desired.domain);
          return t.auction(row, [Events.actualLrpCreated(row)]);
        }
        case 'actual-lrp/desired-changed':
          rt.desired = latest = msg.desired;
          // a CRASHED row's wait follows the new crash_policy at once, as convergence's would
          if (state.actual?.state === 'CRASHED') t.armRestart(state.actual);
          return state;
        case 'actual-lrp/get':
          system.dispatch(msg.replyTo, state.actual);
          return state;
        case 'actual-lrp/rows':
          system.dispatch(msg.replyTo, presentRows(state));
          return state;
        case 'actual-lrp/remove': {
          rt.timer?.cancel();
          const rows = presentRows(state);
          if (rows.length === 0) {
            system.dispatch(msg.replyTo, true);
            return state;
          }
          for (const a of rows) if (placed(a)) deps.clientFor(a.cell_id)?.stopInstance(processGuid, index, a.instance_guid);
          const next = await ctx.persist({ type: 'removed' });
          deps.events.publishAll(rows.map((a) => Events.actualLrpRemoved(a)));
          system.dispatch(msg.replyTo, true);
          return next;
        }
        case 'actual-lrp/retry':
          return retry(t, msg.unclaimed);
        case 'auction/lrp-placed':
          // nothing to do: the cell's claim is what changes the row (and the round logs its
          // placements). Not even a debug line: `ctx.log` makes a pino child per actor, kept for
          // its life, and 100k instances each paid for one to log at a level that is off
          return state;
        case 'auction/lrp-failed':
          return placementFailed(t, msg.instance_guid, msg.placement_error);
        case 'actual-lrp/report':
          return onReport(t, msg.report);
        case 'actual-lrp/cell-lost':
          return cellLost(t, msg.cell_id);
        case 'actual-lrp/cell-back':
          return cellBack(t, msg.cell_ids);
        case 'actual-lrp/remove-suspect':
          return removeCopy(t, 'suspect', msg.instance_guid);
        case 'actual-lrp/prune-evacuating':
          return removeCopy(t, 'evacuating', msg.instance_guid);
        case 'actual-lrp/evacuating':
          return onEvacuating(t, msg.report);
        case 'actual-lrp/container-missing':
          return containerMissing(t, msg);
        case 'actual-lrp/reconcile':
          return onListed(t, msg.container);
        default:
          return assertNever(msg);
      }
    },
  });
}
