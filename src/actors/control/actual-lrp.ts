/**
 * One ActualLRP (Diego's BBS row for one index plus the decisions the BBS and converger make
 * about it): event-sourced, every change through the models' functions, every change published
 * with its before/after. Effects (auction requests, stop orders, backoff timers) run only in
 * `handle`, never in replay; after recovery `actual-lrp/init` resumes them.
 *
 * `pending` is the instance guid of the placement asked for and not yet claimed: only its
 * placement failure counts. An UNCLAIMED row accepts the first instance that claims it (BBS's
 * rule); once placed, a report from any other instance is one nobody accounts for and is stopped.
 */
import { assertNever, type AnyRef, type Ref } from '../kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../kernel/system.js';
import type { Timer } from '../kernel/clock.js';
import {
  claimActualLrp, failActualLrp, newUnclaimedActualLrp, startActualLrp, unclaimActualLrp, type ActualLRP,
} from '../../models/actual-lrp.js';
import type { DesiredLRP } from '../../models/desired-lrp.js';
import { Events, crashEvents, type AuctorEvent } from '../../models/events.js';
import { newModificationTag } from '../../models/modification-tag.js';
import { applyCrash, nextRestartAt, shouldRestartCrashed } from '../../models/restart-policy.js';
import { msToNs, nsToMs } from '../../models/time.js';
import type { Result } from '../../models/errors.js';
import { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './deps.js';
import type { ActualLrpMsg, InstanceReport } from './actual-lrp.protocol.js';

type Event =
  | { type: 'row'; actual: ActualLRP; pending: string }
  | { type: 'removed' };

/** Not journaled: what the actor holds at run time only (one object per incarnation). */
interface Runtime {
  desired: DesiredLRP;
  timer: Timer | undefined;
}

interface State {
  actual: ActualLRP | undefined;
  pending: string;
  rt: Runtime;
}

export function actualLrpKey(processGuid: string, epoch: string, index: number): string {
  return `actual-lrp/${processGuid}/${epoch}/${index}`;
}

function applyEvent(state: State, event: Event): State {
  switch (event.type) {
    case 'row':
      return { ...state, actual: event.actual, pending: event.pending };
    case 'removed':
      return { ...state, actual: undefined, pending: '' };
  }
}

const sameKey = (a: ActualLRP, r: { instance_guid: string; cell_id: string }) => a.instance_guid === r.instance_guid && a.cell_id === r.cell_id;

export function spawnActualLrp(
  system: ActorSystem, parent: AnyRef, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  desired: DesiredLRP, index: number, onCrash?: CrashPolicy,
): Ref<ActualLrpMsg> {
  const processGuid = desired.process_guid;
  // the newest DesiredLRP this instance was told of: survives a supervised restart of the actor
  // (which starts from initialState and replays only the row)
  let latest = desired;
  return system.spawnPersistent<State, ActualLrpMsg, Event>(parent, {
    kind: 'actual-lrp',
    ...(onCrash ? { onCrash } : {}),
    name: String(index),
    key: actualLrpKey(processGuid, desired.modification_tag.epoch, index),
    snapshotEvery: 50,
    initialState: () => ({ actual: undefined, pending: '', rt: { desired: latest, timer: undefined } }),
    applyEvent,
    summary: (s) => (s.actual ? { state: s.actual.state, instance_guid: s.actual.instance_guid, cell_id: s.actual.cell_id, crash_count: s.actual.crash_count } : null),
    afterStop: (s) => s.rt.timer?.cancel(),
    handle: async (state, msg, ctx) => {
      const now = () => msToNs(ctx.clock.now());
      const rt = state.rt;

      /** Persists the row (and pending guid), then publishes. */
      const save = async (actual: ActualLRP, pending: string, events: AuctorEvent[]): Promise<State> => {
        const next = (await ctx.persist({ type: 'row', actual, pending })) as State;
        deps.events.publishAll(events);
        return next;
      };
      /** The row is UNCLAIMED: ask for a placement under a new instance guid. */
      const auction = async (s: State, actual: ActualLRP, events: AuctorEvent[]): Promise<State> => {
        const guid = deps.newGuid();
        const next = await save(actual, guid, events);
        system.dispatch(auctioneer, AuctioneerMsg.startLrps([{ work: { desired: rt.desired, index, instance_guid: guid }, replyTo: ctx.self }]));
        return next;
      };
      const armRestart = (actual: ActualLRP) => {
        rt.timer?.cancel();
        rt.timer = undefined;
        if (actual.state !== 'CRASHED') return;
        // the policy says when; the clock only wakes us to ask it again
        const at = nextRestartAt(actual.crash_count, actual.since, deps.settings.restart);
        if (at === undefined) return;
        rt.timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'actual-lrp/retry' }), Math.max(0, nsToMs(at - now()) + 1));
      };
      const stopStray = (r: InstanceReport) => {
        ctx.log.info({ cell_id: r.cell_id, instance_guid: r.instance_guid }, 'actual-lrp.stop-unaccounted');
        deps.clientFor(r.cell_id)?.stopInstance(r.process_guid, r.index, r.instance_guid);
      };
      const applied = async (actual: ActualLRP, result: Result<ActualLRP>, pending: string): Promise<State> => {
        if (!result.ok) {
          ctx.log.warn({ error: result.error.message }, 'actual-lrp.transition-refused');
          return state;
        }
        if (result.value === actual) return state;
        return save(result.value, pending, [Events.actualLrpChanged(actual, result.value)]);
      };

      switch (msg.type) {
        case 'actual-lrp/init': {
          rt.desired = latest = msg.desired;
          const actual = state.actual;
          if (!actual) {
            const row = newUnclaimedActualLrp({ process_guid: processGuid, index, domain: msg.desired.domain }, now(), newModificationTag(deps.newGuid));
            return auction(state, row, [Events.actualLrpCreated(row)]);
          }
          if (actual.state === 'UNCLAIMED') return auction(state, actual, []);
          armRestart(actual);
          return state;
        }
        case 'actual-lrp/ensure-row': {
          if (state.actual) return state;
          const row = newUnclaimedActualLrp({ process_guid: processGuid, index, domain: rt.desired.domain }, now(), newModificationTag(deps.newGuid));
          return auction(state, row, [Events.actualLrpCreated(row)]);
        }
        case 'actual-lrp/desired-changed':
          rt.desired = latest = msg.desired;
          return state;
        case 'actual-lrp/get':
          system.dispatch(msg.replyTo, state.actual);
          return state;
        case 'actual-lrp/remove': {
          rt.timer?.cancel();
          const actual = state.actual;
          if (!actual) {
            system.dispatch(msg.replyTo, true);
            return state;
          }
          if (actual.state === 'CLAIMED' || actual.state === 'RUNNING') deps.clientFor(actual.cell_id)?.stopInstance(processGuid, index, actual.instance_guid);
          const next = (await ctx.persist({ type: 'removed' })) as State;
          deps.events.publish(Events.actualLrpRemoved(actual));
          system.dispatch(msg.replyTo, true);
          return next;
        }
        case 'actual-lrp/retry': {
          const actual = state.actual;
          if (!actual) return state;
          if (actual.state === 'UNCLAIMED' && msg.unclaimed) return auction(state, actual, []);
          if (actual.state !== 'CRASHED') return state;
          if (!shouldRestartCrashed(actual, now(), deps.settings.restart)) {
            armRestart(actual);
            return state;
          }
          const result = unclaimActualLrp(actual, now());
          if (!result.ok) return state;
          return auction(state, result.value, [Events.actualLrpChanged(actual, result.value)]);
        }
        case 'auction/lrp-placed':
          ctx.log.debug({ cell_id: msg.cell_id, instance_guid: msg.instance_guid }, 'actual-lrp.placed');
          return state;
        case 'auction/lrp-failed': {
          const actual = state.actual;
          if (!actual || actual.state !== 'UNCLAIMED' || msg.instance_guid !== state.pending) return state;
          return applied(actual, failActualLrp(actual, msg.placement_error, now()), '');
        }
        case 'actual-lrp/report':
          return onReport(msg.report);
        case 'actual-lrp/cell-lost': {
          const actual = state.actual;
          if (!actual || (actual.state !== 'CLAIMED' && actual.state !== 'RUNNING') || actual.cell_id !== msg.cell_id) return state;
          const result = unclaimActualLrp(actual, now());
          return result.ok ? auction(state, result.value, [Events.actualLrpChanged(actual, result.value)]) : state;
        }
        case 'actual-lrp/reconcile': {
          const c = msg.container;
          const actual = state.actual;
          // an UNCLAIMED row takes the first instance that claims it: leave candidates running
          const accounted = !!actual && (actual.state === 'UNCLAIMED' || sameKey(actual, c));
          if (!accounted) deps.clientFor(c.cell_id)?.stopInstance(c.process_guid, c.index, c.instance_guid);
          return state;
        }
        default:
          return assertNever(msg);
      }

      async function onReport(r: InstanceReport): Promise<State> {
        const actual = state.actual;
        const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
        // as BBS does, an UNCLAIMED row accepts a claim from any placement (the one asked for, or
        // one from a round lost in a restart): the first wins, any other is stopped when it reports
        const expected = !!actual && (actual.state === 'UNCLAIMED' || sameKey(actual, key));
        if (r.type === 'cell-report/lrp-stopped') {
          // stopped on request is the end of a placement we already let go of; otherwise the cell
          // gave it up on its own: place it again
          if (!actual || !expected || actual.state === 'UNCLAIMED') return state;
          const result = unclaimActualLrp(actual, now());
          return result.ok ? auction(state, result.value, [Events.actualLrpChanged(actual, result.value)]) : state;
        }
        if (!actual || !expected) {
          if (r.type !== 'cell-report/lrp-crashed') stopStray(r);
          return state;
        }
        switch (r.type) {
          case 'cell-report/lrp-claimed':
            return applied(actual, claimActualLrp(actual, key, now()), '');
          case 'cell-report/lrp-running':
            return applied(actual, startActualLrp(actual, key, { address: r.address, ports: r.ports }, now()), '');
          case 'cell-report/lrp-crashed': {
            const crash = applyCrash(actual, r.reason, now(), deps.settings.restart, key);
            if (!crash.ok) return state;
            const outcome = crash.value;
            const events = crashEvents(actual, outcome);
            if (outcome.outcome === 'restart') return auction(state, outcome.actual, events);
            if (outcome.outcome === 'remove') return state;
            const next = await save(outcome.actual, '', events);
            armRestart(outcome.actual);
            return next;
          }
          default:
            return assertNever(r);
        }
      }
    },
  });
}

