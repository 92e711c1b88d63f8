/**
 * One ActualLRP (Diego's BBS row for one index plus the decisions the BBS and converger make
 * about it): event-sourced, every change through the models' functions, every change published
 * with its before/after. Effects (auction requests, stop orders, backoff timers) run only in
 * `handle`, never in replay; after recovery `actual-lrp/init` resumes them.
 *
 * `pending` is the instance guid of the placement asked for and not yet claimed: only its
 * placement failure counts. An UNCLAIMED row accepts the first instance that claims it (BBS's
 * rule); once placed, a report from any other instance is one nobody accounts for and is stopped.
 *
 * One index may have up to three rows (DIEGO.md 1.2, 3.7, 3.8), all held and journaled here:
 * - `actual`: the ORDINARY row (the one the crash policy, claims and auctions are about);
 * - `suspect`: the instance on a cell that vanished, kept (still listed, still routable) while
 *   the ORDINARY replacement starts. Removed when the replacement RUNS (its cell, if back, is
 *   told to stop it), when it crashes or stops, or when its LRP no longer wants the index;
 *   promoted back to ORDINARY when its cell returns first (the replacement removed and stopped);
 * - `evacuating`: the instance a draining cell keeps serving while the replacement starts;
 *   stopped and removed when the replacement RUNS, when it crashes or stops, or its cell goes.
 * Reports are matched against the SUSPECT and EVACUATING rows first (by instance key), so a
 * copy's claim or crash never touches the ORDINARY row.
 */
import { assertNever, type AnyRef, type Ref } from '../kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../kernel/system.js';
import type { Timer } from '../kernel/clock.js';
import {
  claimActualLrp, evacuatingCopy, failActualLrp, markSuspect, newUnclaimedActualLrp, promoteSuspect, startActualLrp, unclaimActualLrp, type ActualLRP,
} from '../../models/actual-lrp.js';
import type { DesiredLRP } from '../../models/desired-lrp.js';
import { Events, crashEvents, type AuctorEvent } from '../../models/events.js';
import { newModificationTag } from '../../models/modification-tag.js';
import { applyCrash, nextRestartAt, shouldRestartCrashed } from '../../models/restart-policy.js';
import { msToNs, nsToMs } from '../../models/time.js';
import type { Result } from '../../models/errors.js';
import { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './deps.js';
import type { ActualLrpMsg, EvacuatingReport, InstanceReport } from './actual-lrp.protocol.js';
import { ACTUAL_LRP_PROTOCOL } from './actual-lrp.protocol-schema.js';

/** Every row of the index (and the pending guid) at once: what one change leaves. */
interface Rows {
  actual?: ActualLRP;
  pending: string;
  suspect?: ActualLRP;
  evacuating?: ActualLRP;
}

type Event =
  /** the ORDINARY row changed (the others are kept) */
  | { type: 'row'; actual: ActualLRP; pending: string }
  /** every row is gone */
  | { type: 'removed' }
  /** the rows as they are now (a change of more than the ORDINARY row); absent = no such row */
  | ({ type: 'rows' } & Rows);

/**
 * Not journaled and not in the state (snapshots must be plain data): what the actor holds at run
 * time only, one object per incarnation.
 */
interface Runtime {
  desired: DesiredLRP;
  timer: Timer | undefined;
}

interface State {
  /** the ORDINARY row */
  actual: ActualLRP | undefined;
  pending: string;
  suspect: ActualLRP | undefined;
  evacuating: ActualLRP | undefined;
}

export function actualLrpKey(processGuid: string, epoch: string, index: number): string {
  return `actual-lrp/${processGuid}/${epoch}/${index}`;
}

function applyEvent(state: State, event: Event): State {
  switch (event.type) {
    case 'row':
      return { ...state, actual: event.actual, pending: event.pending };
    case 'removed':
      return { ...state, actual: undefined, pending: '', suspect: undefined, evacuating: undefined };
    case 'rows':
      return { ...state, actual: event.actual, pending: event.pending, suspect: event.suspect, evacuating: event.evacuating };
  }
}

const sameKey = (a: ActualLRP | undefined, r: { instance_guid: string; cell_id: string }): a is ActualLRP =>
  !!a && a.instance_guid === r.instance_guid && a.cell_id === r.cell_id;
const placed = (a: ActualLRP | undefined): a is ActualLRP => !!a && (a.state === 'CLAIMED' || a.state === 'RUNNING');

/** The `rows` event for these rows (absent ones left out, so the journal's JSON stays plain). */
function rowsEvent(rows: Rows): Event {
  return {
    type: 'rows',
    pending: rows.pending,
    ...(rows.actual ? { actual: rows.actual } : {}),
    ...(rows.suspect ? { suspect: rows.suspect } : {}),
    ...(rows.evacuating ? { evacuating: rows.evacuating } : {}),
  };
}

export function spawnActualLrp(
  system: ActorSystem, parent: AnyRef, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  desired: DesiredLRP, index: number, onCrash?: CrashPolicy, fresh = false,
): Ref<ActualLrpMsg> {
  const processGuid = desired.process_guid;
  // the newest DesiredLRP this instance was told of: survives a supervised restart of the actor
  // (which starts from initialState and replays only the row)
  let latest = desired;
  let rt: Runtime = { desired, timer: undefined };
  return system.spawnPersistent<State, ActualLrpMsg, Event>(parent, {
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
      return { actual: undefined, pending: '', suspect: undefined, evacuating: undefined };
    },
    applyEvent,
    summary: (s) => (s.actual ? {
      state: s.actual.state, instance_guid: s.actual.instance_guid, cell_id: s.actual.cell_id, crash_count: s.actual.crash_count,
      ...(s.suspect ? { suspect: { state: s.suspect.state, instance_guid: s.suspect.instance_guid, cell_id: s.suspect.cell_id } } : {}),
      ...(s.evacuating ? { evacuating: { instance_guid: s.evacuating.instance_guid, cell_id: s.evacuating.cell_id } } : {}),
    } : null),
    afterStop: () => rt.timer?.cancel(),
    handle: async (state, msg, ctx) => {
      const now = () => msToNs(ctx.clock.now());

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
      const rowsOf = (s: State): Rows => ({
        pending: s.pending,
        ...(s.actual ? { actual: s.actual } : {}),
        ...(s.suspect ? { suspect: s.suspect } : {}),
        ...(s.evacuating ? { evacuating: s.evacuating } : {}),
      });
      /** The rows with one copy dropped. */
      const rowsWithout = (s: State, which: 'suspect' | 'evacuating'): Rows => {
        const rows = rowsOf(s);
        delete rows[which];
        return rows;
      };
      /** Persists every row at once, then publishes. */
      const saveRows = async (rows: Rows, events: AuctorEvent[]): Promise<State> => {
        const next = (await ctx.persist(rowsEvent(rows))) as State;
        deps.events.publishAll(events);
        return next;
      };
      /** Persists the rows with the ORDINARY one UNCLAIMED, then asks for its placement under a new guid. */
      const auctionRows = async (rows: Rows & { actual: ActualLRP }, events: AuctorEvent[]): Promise<State> => {
        const guid = deps.newGuid();
        const next = await saveRows({ ...rows, pending: guid }, events);
        system.dispatch(auctioneer, AuctioneerMsg.startLrps([{ work: { desired: rt.desired, index, instance_guid: guid }, replyTo: ctx.self }]));
        return next;
      };
      const stopOn = (a: ActualLRP, why: string) => {
        ctx.log.info({ cell_id: a.cell_id, instance_guid: a.instance_guid, presence: a.presence }, why);
        deps.clientFor(a.cell_id)?.stopInstance(a.process_guid, a.index, a.instance_guid);
      };
      /**
       * The ORDINARY row is RUNNING: a SUSPECT copy is no longer needed and is removed (its cell is
       * gone: should it come back, its reports or container list make it stop the instance, which
       * no row accounts for any more); an EVACUATING one is stopped on its (draining) cell and removed.
       */
      const dropCopiesReplacedBy = async (s: State): Promise<State> => {
        if (s.actual?.state !== 'RUNNING' || (!s.suspect && !s.evacuating)) return s;
        const events: AuctorEvent[] = [];
        if (s.suspect) events.push(Events.actualLrpRemoved(s.suspect));
        if (s.evacuating) {
          stopOn(s.evacuating, 'actual-lrp.evacuated');
          events.push(Events.actualLrpRemoved(s.evacuating));
        }
        return saveRows({ pending: s.pending, actual: s.actual }, events);
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
        case 'actual-lrp/rows':
          system.dispatch(msg.replyTo, [state.actual, state.suspect, state.evacuating].filter((a): a is ActualLRP => a !== undefined));
          return state;
        case 'actual-lrp/remove': {
          rt.timer?.cancel();
          const rows = [state.actual, state.suspect, state.evacuating].filter((a): a is ActualLRP => a !== undefined);
          if (rows.length === 0) {
            system.dispatch(msg.replyTo, true);
            return state;
          }
          for (const a of rows) if (placed(a)) deps.clientFor(a.cell_id)?.stopInstance(processGuid, index, a.instance_guid);
          const next = (await ctx.persist({ type: 'removed' })) as State;
          deps.events.publishAll(rows.map((a) => Events.actualLrpRemoved(a)));
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
          if (!placed(actual) || actual.cell_id !== msg.cell_id) return state;
          if (state.suspect) {
            // the replacement's cell vanished too: the suspect stays, the replacement is placed again
            const result = unclaimActualLrp(actual, now());
            return result.ok ? auction(state, result.value, [Events.actualLrpChanged(actual, result.value)]) : state;
          }
          const suspect = markSuspect(actual);
          if (!suspect.ok) return state;
          const replacement = newUnclaimedActualLrp({ process_guid: processGuid, index, domain: actual.domain }, now(), newModificationTag(deps.newGuid));
          ctx.log.warn({ cell_id: actual.cell_id, instance_guid: actual.instance_guid }, 'actual-lrp.suspect');
          return auctionRows({ ...rowsOf(state), actual: replacement, suspect: suspect.value },
            [Events.actualLrpChanged(actual, suspect.value), Events.actualLrpCreated(replacement)]);
        }
        case 'actual-lrp/cell-back': {
          const suspect = state.suspect;
          if (!suspect || suspect.cell_id !== msg.cell_id) return state;
          const replacement = state.actual;
          if (replacement?.state === 'RUNNING') {
            // the replacement won: the returning cell stops its copy
            stopOn(suspect, 'actual-lrp.suspect-replaced');
            return saveRows(rowsWithout(state, 'suspect'), [Events.actualLrpRemoved(suspect)]);
          }
          const promoted = promoteSuspect(suspect);
          if (!promoted.ok) return state;
          rt.timer?.cancel();
          rt.timer = undefined;
          const events: AuctorEvent[] = [];
          if (replacement) {
            if (placed(replacement)) stopOn(replacement, 'actual-lrp.replacement-dropped');
            events.push(Events.actualLrpRemoved(replacement));
          }
          events.push(Events.actualLrpChanged(suspect, promoted.value));
          ctx.log.info({ cell_id: suspect.cell_id, instance_guid: suspect.instance_guid }, 'actual-lrp.suspect-promoted');
          // a placement of the replacement still in flight is stopped when it claims (the row is placed)
          const next: Rows = { pending: '', actual: promoted.value };
          if (state.evacuating) next.evacuating = state.evacuating;
          return saveRows(next, events);
        }
        case 'actual-lrp/remove-suspect': {
          const suspect = state.suspect;
          if (!suspect || suspect.instance_guid !== msg.instance_guid) return state;
          return saveRows(rowsWithout(state, 'suspect'), [Events.actualLrpRemoved(suspect)]);
        }
        case 'actual-lrp/prune-evacuating': {
          const evacuating = state.evacuating;
          if (!evacuating || evacuating.instance_guid !== msg.instance_guid) return state;
          return saveRows(rowsWithout(state, 'evacuating'), [Events.actualLrpRemoved(evacuating)]);
        }
        case 'actual-lrp/evacuating':
          return onEvacuating(msg.report);
        case 'actual-lrp/reconcile': {
          const c = msg.container;
          const actual = state.actual;
          // an UNCLAIMED row takes the first instance that claims it: leave candidates running
          const accounted = (!!actual && (actual.state === 'UNCLAIMED' || sameKey(actual, c))) || sameKey(state.suspect, c) || sameKey(state.evacuating, c);
          if (!accounted) {
            ctx.log.info({ cell_id: c.cell_id, instance_guid: c.instance_guid }, 'actual-lrp.stop-unaccounted');
            deps.clientFor(c.cell_id)?.stopInstance(c.process_guid, c.index, c.instance_guid);
          }
          return state;
        }
        default:
          return assertNever(msg);
      }

      /** A report about the SUSPECT or EVACUATING copy (DIEGO.md 3.7, 3.8). */
      async function onCopyReport(r: InstanceReport, copy: ActualLRP, which: 'suspect' | 'evacuating'): Promise<State> {
        const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
        switch (r.type) {
          case 'cell-report/lrp-claimed':
            return state;
          case 'cell-report/lrp-running': {
            // the copy still serves; its presence changes only by convergence, a heartbeat or its replacement
            const result = startActualLrp(copy, key, { address: r.address, ports: r.ports }, now());
            if (!result.ok || result.value === copy) return state;
            const rows = which === 'suspect' ? { ...rowsOf(state), suspect: result.value } : { ...rowsOf(state), evacuating: result.value };
            return saveRows(rows, [Events.actualLrpChanged(copy, result.value)]);
          }
          case 'cell-report/lrp-crashed': {
            // a crashed copy is just removed; the ORDINARY row carries on (BBS CrashActualLRP)
            const crash = applyCrash(copy, r.reason, now(), deps.settings.restart, key);
            if (!crash.ok) return state;
            return saveRows(rowsWithout(state, which), crashEvents(copy, crash.value));
          }
          case 'cell-report/lrp-stopped':
            return saveRows(rowsWithout(state, which), [Events.actualLrpRemoved(copy)]);
          default:
            return assertNever(r);
        }
      }

      /**
       * BBS `EvacuateRunningActualLRP` (ROLLING) / `EvacuateClaimedActualLRP`: the RUNNING instance
       * is kept as EVACUATING and the ORDINARY row goes UNCLAIMED to the auction; a CLAIMED one is
       * just unclaimed and its container dropped. Once the replacement RUNS (or there is already an
       * evacuating copy of another instance) the cell is told to drop the container.
       */
      async function onEvacuating(r: EvacuatingReport): Promise<State> {
        const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
        const actual = state.actual;
        const stop = () => deps.clientFor(r.cell_id)?.stopInstance(processGuid, index, r.instance_guid);
        if (sameKey(state.evacuating, key)) {
          // asked again: done once the replacement runs (or the index is gone)
          if (!actual || actual.state === 'RUNNING' || actual.state === 'CRASHED') {
            stop();
            return saveRows(rowsWithout(state, 'evacuating'), [Events.actualLrpRemoved(state.evacuating)]);
          }
          return state;
        }
        if (!sameKey(actual, key) || !placed(actual)) {
          if (!sameKey(state.suspect, key)) stop(); // an instance no row accounts for
          return state;
        }
        const unclaimed = unclaimActualLrp(actual, now());
        if (!unclaimed.ok) return state;
        const events: AuctorEvent[] = [];
        const rows: Rows & { actual: ActualLRP } = { ...rowsOf(state), actual: unclaimed.value };
        const copy = actual.state === 'RUNNING' && !state.evacuating ? evacuatingCopy(actual) : undefined;
        if (copy?.ok) {
          rows.evacuating = copy.value;
          events.push(Events.actualLrpCreated(copy.value));
        } else {
          stop();
        }
        events.push(Events.actualLrpChanged(actual, unclaimed.value));
        ctx.log.info({ cell_id: r.cell_id, instance_guid: r.instance_guid, kept: !!copy?.ok }, 'actual-lrp.evacuating');
        return auctionRows(rows, events);
      }

      async function onReport(r: InstanceReport): Promise<State> {
        const actual = state.actual;
        const key = { instance_guid: r.instance_guid, cell_id: r.cell_id };
        if (sameKey(state.suspect, key)) return onCopyReport(r, state.suspect, 'suspect');
        if (sameKey(state.evacuating, key)) return onCopyReport(r, state.evacuating, 'evacuating');
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
          case 'cell-report/lrp-running': {
            const next = await applied(actual, startActualLrp(actual, key, { address: r.address, ports: r.ports }, now()), '');
            return dropCopiesReplacedBy(next);
          }
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

