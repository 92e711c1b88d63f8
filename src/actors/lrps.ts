/**
 * The DesiredLRP registry: which process guids exist (and the epoch of each, which names the
 * supervisor's journal). Event-sourced. The supervisors are its virtual children
 * (lrps-supervisors.ts, docs/020 "Supervisors are virtual children"): activated by a message for
 * them, passivated when idle; after a start only those with work to resume are activated.
 *
 * A desire is answered only once both the registry entry and the supervisor's DesiredLRP are
 * durable (DESIGN.md "Guarantees": a 2xx is durable); desires are pipelined (`persistEagerly`),
 * so the registry does not wait for one desire's fsync before taking the next.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import { desireLrp, validateDesiredLrpUpdate, type DesiredLRP } from '../models/desired-lrp.js';
import { AuctorError, type Result } from '../base/errors.js';
import { newModificationTag } from '../models/modification-tag.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import { cellBackMessages, declareSupervisors, drainCellsBack, listed, reconcileSupervisors, resumeSupervisors, type Supervisors } from './lrps-supervisors.js';
import { restartOrQuarantine } from '../runtime/kernel/supervision.js';
import { quarantinedError, releaseLrp } from './quarantined-records.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import type { LrpsMsg } from './lrps.protocol.js';
import { LRPS_PROTOCOL } from './lrps.protocol-schema.js';
import { LrpRoutes, routeContainers, routeEvacuating, routeReport, type LrpTargets } from './lrps-routes.js';
import { passQueue } from './lrps-convergence.js';
import { startConvergencePass } from './lrps-convergence-pass.js';
import { answerOnceStored, journalDesired, type SupervisorStart } from './lrps.desire.js';

type Event = { type: 'added'; process_guid: string; epoch: string } | { type: 'removed'; process_guid: string };

interface State {
  /** process guid → epoch */
  lrps: Record<string, string>;
  /** how many entries `lrps` has (absent in snapshots taken before it existed) */
  count?: number;
}

/**
 * Folds in place: the registry holds tens of thousands of LRPs, and copying the record for every
 * event made each desire cost O(LRPs) (bench/auction.ts). Nothing outside this actor holds the
 * state, and a snapshot is encoded when it is taken.
 */
function applyEvent(state: State, event: Event): State {
  const count = state.count ?? Object.keys(state.lrps).length;
  const known = Object.hasOwn(state.lrps, event.process_guid);
  if (event.type === 'added') {
    state.lrps[event.process_guid] = event.epoch;
    state.count = known ? count : count + 1;
  } else {
    delete state.lrps[event.process_guid];
    state.count = known ? count - 1 : count;
  }
  return state;
}

const notFound = (guid: string): Result<DesiredLRP> => ({ ok: false, error: new AuctorError('ResourceNotFound', `desired lrp not found: ${guid}`) });

/** `routes`: the routing `control` does of reports and lists by path (lrps-routes.ts), to which the supervisors are attached. */
export function spawnLrps(
  system: ActorSystem, parent: AnyRef, auctioneer: Ref<AuctioneerMsg>, deps: ControlDeps, onCrash?: CrashPolicy, routes = new LrpRoutes(system, deps),
): Ref<LrpsMsg> {
  const timeout = deps.settings.askTimeoutMs;
  // a supervisor that keeps failing (its journal fails on replay) is quarantined, not escalated:
  // one broken DesiredLRP must not take the registry, and every API that lists, down with it
  const supervisorPolicy = restartOrQuarantine(system.clock);
  const ask = <R>(ref: Ref<LrpSupervisorMsg>, make: (replyTo: Ref<R>) => LrpSupervisorMsg) => system.query<LrpSupervisorMsg, R>(ref, make, timeout);
  // cells that appeared since the last `lrps/cells-back` (outside the state: nothing to journal,
  // and a restart keeps them, its `cells-back` still queued)
  const appeared = new Set<string>();
  let cellsBackQueued = false;
  // a cells-back drain in progress (lrps-supervisors.ts `drainCellsBack`): the cells that appear
  // meanwhile wait for its end
  let cellsBackDraining = false;
  // which instances are on which cell, to find those a cell's container list leaves out
  // (cell-placements.ts; outside the state: a hint rebuilt by every pass, nothing to journal)
  const placements = routes.placements;
  // the registry as of the message being handled (applyEvent folds in place), for the
  // supervisors' spec: the epoch of each; `desired` holds the epochs of desires not folded yet
  let registry: State = { lrps: {} };
  const desired = new Map<string, string>();
  // what a desired LRP's supervisor starts from, until its first activation takes it
  const starting = new Map<string, SupervisorStart>();
  const takeStart = (guid: string) => {
    const start = starting.get(guid);
    starting.delete(guid);
    return start;
  };
  let supervisors: Supervisors | undefined;
  // convergence passes, run outside the handler one after the other (kept across restarts)
  const runPass = passQueue();
  // whether this incarnation has handled a message (initialState runs at spawn and each restart)
  let started = false;
  return system.spawnPersistent<State, LrpsMsg, Event>(parent, {
    kind: 'lrps',
    protocol: LRPS_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: 'lrps',
    key: 'lrps',
    // the whole registry is one record: a snapshot every `count` events keeps its cost O(1) per
    // event (a fixed 100 rewrote 40k entries every 100 desires) and replay under 2 × count events
    snapshotEvery: (s) => Math.max(100, s.count ?? 0),
    initialState: () => {
      started = false;
      return { lrps: {} };
    },
    applyEvent,
    summary: (s) => ({ lrps: s.count ?? Object.keys(s.lrps).length }),
    handle: async (state, msg, ctx) => {
      registry = state;
      desired.clear();
      if (!supervisors) {
        supervisors = declareSupervisors(system, ctx.self, deps, auctioneer, (guid) => (Object.hasOwn(registry.lrps, guid) ? registry.lrps[guid] : desired.get(guid)), supervisorPolicy, takeStart);
        routes.attach(supervisors, ctx.path);
      }
      const children = supervisors;
      // quarantined supervisors stay stopped (docs/020 "Quarantine"): answered for, never activated
      const quarantined = system.registry.quarantinedChildren(ctx.path);
      const held = (guid: string) => quarantined.get(guid);
      const heldError = (guid: string) => quarantinedError('desired_lrp', guid, quarantined.get(guid)!);
      /** The supervisor of a known, not quarantined LRP: a virtual child, activated by what is sent to it. */
      // own keys only: a guid such as `__proto__` names no LRP (the registry is a plain object)
      const supervisor = (guid: string) => (Object.hasOwn(state.lrps, guid) && !held(guid) ? children.ref(guid) : undefined);
      // fresh: a desire's epoch is new, so its journal is empty and need not be read
      // a desire's supervisor starts from the DesiredLRP `lrps` journals for it (lrps.desire.ts)
      const spawn = (guid: string, epoch: string, fresh = false, startsFrom?: SupervisorStart) => {
        desired.set(guid, epoch);
        if (startsFrom) starting.set(guid, startsFrom);
        children.add(guid, startsFrom ? { startsFrom } : fresh ? { fresh } : {}).catch((error: unknown) => ctx.log.error({ process_guid: guid, error: String(error) }, 'lrps.supervisor-index-failed'));
        return children.ref(guid);
      };
      // after recovery or a supervised restart (which stopped the active supervisors) only the
      // LRPs with work to resume are activated, as the query index says once rebuilt
      if (!started) {
        started = true;
        reconcileSupervisors(children, state.lrps, state.count ?? Object.keys(state.lrps).length, ctx.log);
        resumeSupervisors(system, children, ctx.path, deps.queries, { ...state.lrps }, () => registry.lrps, ctx.log);
      }
      // what reaches `lrps` of the cells' reports and lists (before `control` could route them by path)
      const targets: LrpTargets = { supervisor, held: (guid) => held(guid) !== undefined };
      const routing = { system, deps, placements, log: ctx.log };
      const all = () => Object.keys(state.lrps).map(supervisor).filter((r): r is Ref<LrpSupervisorMsg> => r !== undefined);

      switch (msg.type) {
        case 'lrps/init': {
          // the rows the index rebuilt from the journals seed `placements` (no supervisor or
          // instance is asked), so the first lists after a restart are read both ways before the first pass
          const self = ctx.self;
          const queries = deps.queries;
          if (queries) {
            void queries.ready.then(() => {
              system.dispatch(self, { type: 'lrps/placements', rows: queries.actualLrps() });
              queries.actorsRecovered();
            });
            return state;
          }
          void Promise.all(all().map((ref) => ask<ActualLRP[]>(ref, (replyTo) => ({ type: 'lrp/actuals', replyTo })).catch(() => [] as ActualLRP[])))
            .then((rows) => system.dispatch(self, { type: 'lrps/placements', rows: rows.flat() }));
          return state;
        }
        case 'lrps/placements':
          placements.addRows(msg.rows);
          return state;
        case 'lrps/desire': {
          const epoch = deps.newGuid();
          const result = desireLrp(msg.input, newModificationTag(epoch), { maxInstances: deps.settings.maxInstances });
          if (!result.ok) {
            system.dispatch(msg.replyTo, result);
            return state;
          }
          const guid = result.value.process_guid;
          if (state.lrps[guid] !== undefined) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('ResourceExists', `desired lrp already exists: ${guid}`) });
            return state;
          }
          // pipelined: the registry entry and the supervisor's DesiredLRP are written in this turn
          // while the next desires are handled, so they and concurrent desires share commits; the
          // caller hears once both are durable (lrps.desire.ts)
          const { state: next, durable } = ctx.persistEagerly({ type: 'added', process_guid: guid, epoch });
          const start = journalDesired(system, result.value, epoch, durable);
          deps.queries?.reserve(guid); // its place in the listings' order: the registry's
          system.dispatch(spawn(guid, epoch, true, start), { type: 'lrp/create', desired: result.value });
          answerOnceStored(system, deps, ctx.self, result.value, start, msg.replyTo);
          return next;
        }
        case 'lrps/update': {
          const ref = supervisor(msg.process_guid);
          if (!ref) {
            system.dispatch(msg.replyTo, held(msg.process_guid) ? { ok: false, error: heldError(msg.process_guid) } : notFound(msg.process_guid));
            return state;
          }
          const update = validateDesiredLrpUpdate(msg.input, { maxInstances: deps.settings.maxInstances });
          if (!update.ok) system.dispatch(msg.replyTo, update);
          else system.dispatch(ref, { type: 'lrp/update', update: update.value, replyTo: msg.replyTo });
          return state;
        }
        case 'lrps/remove': {
          const epoch = state.lrps[msg.process_guid];
          if (held(msg.process_guid) && epoch !== undefined) {
            // nothing to ask it: forget the record, then its journals; its containers are
            // stopped by reconciliation as any unknown instance's
            const next = (await ctx.persist({ type: 'removed', process_guid: msg.process_guid })) as State;
            await releaseLrp(system, `${ctx.path}/${msg.process_guid}`, msg.process_guid, epoch);
            await children.remove(msg.process_guid);
            deps.queries?.forget(msg.process_guid);
            ctx.log.info({ process_guid: msg.process_guid }, 'lrps.removed-quarantined');
            system.dispatch(msg.replyTo, { ok: true, value: undefined });
            return next;
          }
          const ref = supervisor(msg.process_guid);
          if (!ref || state.lrps[msg.process_guid] === undefined) {
            system.dispatch(msg.replyTo, notFound(msg.process_guid));
            return state;
          }
          let result: Result<DesiredLRP>;
          try {
            result = await ask<Result<DesiredLRP>>(ref, (replyTo) => ({ type: 'lrp/delete', replyTo }));
          } catch (error) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('Unavailable', `desired lrp ${msg.process_guid} not removed: ${String(error)}`) });
            return state;
          }
          const next = (await ctx.persist({ type: 'removed', process_guid: msg.process_guid })) as State;
          deps.queries?.forget(msg.process_guid);
          await children.remove(msg.process_guid);
          system.dispatch(msg.replyTo, result);
          return next;
        }
        case 'lrps/get': {
          const ref = supervisor(msg.process_guid);
          if (ref) system.dispatch(ref, { type: 'lrp/get', replyTo: msg.replyTo });
          else if (held(msg.process_guid)) system.fail(msg.replyTo, heldError(msg.process_guid));
          else system.dispatch(msg.replyTo, undefined);
          return state;
        }
        case 'lrps/retire': {
          const ref = supervisor(msg.process_guid);
          if (ref) system.dispatch(ref, { type: 'lrp/retire', index: msg.index, replyTo: msg.replyTo });
          else if (held(msg.process_guid)) system.dispatch(msg.replyTo, { ok: false, error: heldError(msg.process_guid) });
          else system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('ResourceNotFound', `actual lrp not found: ${msg.process_guid}/${msg.index}`) });
          return state;
        }
        case 'lrps/list': {
          // from the query index when there is one (only what it could not read is asked): no supervisor is woken
          const rows = await listed(deps.queries, ['lrp'], (index) => index.desiredLrps(), () => Object.keys(state.lrps), async (guid) => {
            const ref = supervisor(guid);
            return ref ? [await ask<DesiredLRP | undefined>(ref, (replyTo) => ({ type: 'lrp/get', replyTo })).catch(() => undefined)] : [];
          });
          const desired = rows.filter((d): d is DesiredLRP => d !== undefined && (msg.filter.domain === undefined || d.domain === msg.filter.domain));
          system.dispatch(msg.replyTo, desired.sort((a, b) => a.process_guid.localeCompare(b.process_guid)));
          return state;
        }
        case 'lrps/actuals': {
          const f = msg.filter;
          const askRowsOf = async (guid: string) => {
            const ref = supervisor(guid);
            return ref ? ask<ActualLRP[]>(ref, (replyTo) => ({ type: 'lrp/actuals', replyTo })).catch(() => [] as ActualLRP[]) : [];
          };
          const rows = f.process_guid !== undefined ? await askRowsOf(f.process_guid)
            : await listed(deps.queries, ['lrp', 'instances'], (index, unread) => index.actualLrps().filter((a) => !unread.has(a.process_guid)), () => Object.keys(state.lrps), askRowsOf);
          system.dispatch(msg.replyTo, rows.filter((a) =>
            (f.domain === undefined || a.domain === f.domain) && (f.cell_id === undefined || a.cell_id === f.cell_id) && (f.index === undefined || a.index === f.index)));
          return state;
        }
        case 'lrps/report':
          routeReport(routing, targets, msg.report);
          return state;
        case 'lrps/forget': {
          if (state.lrps[msg.process_guid] === undefined) return state;
          const next = (await ctx.persist({ type: 'removed', process_guid: msg.process_guid })) as State;
          deps.queries?.forget(msg.process_guid);
          await children.remove(msg.process_guid);
          return next;
        }
        case 'lrps/converge':
          // outside this handler, one pass at a time (lrps-convergence-pass.ts)
          startConvergencePass({ system, deps, children, path: ctx.path, registry: () => registry.lrps, placements, runPass, ask, log: ctx.log }, msg);
          return state;
        case 'lrps/cell-appeared':
          // every supervisor and instance hears of it, so the cells that appear while that
          // message waits go together: after a control restart a thousand cells appear within
          // seconds, and one broadcast each was (LRPs + instances) × cells messages
          appeared.add(msg.cell_id);
          if (!cellsBackQueued) system.dispatch(ctx.self, { type: 'lrps/cells-back' });
          cellsBackQueued = true;
          return state;
        case 'lrps/cells-back': {
          cellsBackQueued = false;
          if (cellsBackDraining || appeared.size === 0) return state;
          const cell_ids = [...appeared];
          appeared.clear();
          // only the LRPs with instances those cells concern, as the query index says (not every
          // supervisor), told a step at a time outside this handler; then the cells that appeared meanwhile
          const messages = await cellBackMessages(deps.queries, cell_ids, () => Object.keys(state.lrps));
          const self = ctx.self;
          const sendNow = (guid: string, m: LrpSupervisorMsg) => {
            const ref = Object.hasOwn(registry.lrps, guid) && !system.registry.quarantinedChildren(ctx.path).has(guid) ? children.ref(guid) : undefined;
            if (ref) system.dispatch(ref, m);
          };
          cellsBackDraining = true;
          void drainCellsBack(messages, sendNow, (ms) => system.clock.sleep(ms)).finally(() => {
            cellsBackDraining = false;
            if (appeared.size > 0 && !cellsBackQueued) {
              cellsBackQueued = true;
              system.dispatch(self, { type: 'lrps/cells-back' });
            }
          });
          return state;
        }
        case 'lrps/evacuating':
          routeEvacuating(routing, targets, msg.report);
          return state;
        case 'lrps/reconcile':
          routeContainers(routing, targets, msg.cell_id, msg.containers);
          return state;
        default:
          return assertNever(msg);
      }
    },
  });
}
