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
 *   the restart timer, a durable one);
 * - actual-lrp.ordinary.ts: the ORDINARY row's transitions (claims, crash policy, retries);
 * - actual-lrp.copies.ts: the SUSPECT and EVACUATING copies' transitions;
 * - actual-lrp.missing.ts: an instance its cell's container list leaves out.
 */
import { assertNever, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy, PersistentActorSpec } from '../runtime/kernel/system.js';
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

/**
 * The persistent actor of the instance at `index` (its journal key, handlers, crash policy), as
 * its LRP supervisor declares its virtual children (lrp-supervisor.ts): built anew at each
 * activation, starting from the supervisor's newest DesiredLRP.
 */
export function actualLrpSpec(
  system: ActorSystem, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  desired: DesiredLRP, epoch: string, index: number, onCrash?: CrashPolicy,
): Omit<PersistentActorSpec<ActualLrpState, ActualLrpMsg, ActualLrpEvent>, 'name' | 'kind'> {
  const processGuid = desired.process_guid;
  const scope: ActualLrpScope = { system, deps, auctioneer, processGuid, index };
  // the newest DesiredLRP this instance was told of: survives a supervised restart of the actor
  // (which starts from initialState and replays only the row)
  let latest = desired;
  let rt: Runtime = { desired };
  return {
    protocol: ACTUAL_LRP_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    key: actualLrpKey(processGuid, epoch, index),
    snapshotEvery: 50,
    initialState: () => {
      rt = { desired: latest };
      return noRows();
    },
    applyEvent,
    summary: (s) => (s.actual ? {
      state: s.actual.state, instance_guid: s.actual.instance_guid, cell_id: s.actual.cell_id, crash_count: s.actual.crash_count,
      ...(s.suspect ? { suspect: { state: s.suspect.state, instance_guid: s.suspect.instance_guid, cell_id: s.suspect.cell_id } } : {}),
      ...(s.evacuating ? { evacuating: { instance_guid: s.evacuating.instance_guid, cell_id: s.evacuating.cell_id } } : {}),
    } : null),
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
          t.cancelRestart();
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
  };
}

/**
 * Whether the instance may be passivated: no work in progress, so nothing but a message (a
 * report, an order of its supervisor, convergence) or its durable restart timer has to wake it.
 * RUNNING or CRASHED (waiting on that timer), with no SUSPECT or EVACUATING copy.
 */
export function instanceIsIdle(s: ActualLrpState): boolean {
  const state = s.actual?.state;
  return (state === 'RUNNING' || state === 'CRASHED') && !s.suspect && !s.evacuating;
}
