/**
 * One DesiredLRP (Diego's BBS DesiredLRP row plus the handler logic around it): event-sourced,
 * keeps one ActualLRP actor per index `0..instances-1`, scales through `scaleChange`, routes
 * instance reports to the index they name, and stops every instance before it is deleted. Rows
 * left above `instances` by a scale-down or delete cut short are removed after recovery
 * (lrp-supervisor.journal.ts). A virtual child of `lrps` (docs/020 "Supervisors are virtual
 * children"): in memory only while it or one of its instances has work.
 */
import { assertNever, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy, PersistentActorSpec } from '../runtime/kernel/system.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import { applyDesiredLrpUpdate, scaleChange, type DesiredLRP } from '../models/desired-lrp.js';
import { AuctorError, ok } from '../base/errors.js';
import { Events } from '../models/events.js';
import { restartOrQuarantine } from '../runtime/kernel/supervision.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import { ActualLrpMsg } from './actual-lrp.protocol.js';
import { RESTART_TIMER } from './actual-lrp.turn.js';
import type { SupervisorStart } from './lrps.desire.js';
import { declareInstances, forgetStale, indicesToResume, type Instances } from './lrp-supervisor.instances.js';
import { forwardToInstances } from './lrp-supervisor.forwarding.js';
import type { ControlDeps } from './control-deps.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import type { LrpsMsg } from './lrps.protocol.js';
import { LRP_SUPERVISOR_PROTOCOL } from './lrp-supervisor.protocol-schema.js';
import { applySupervisorEvent, needsTrim, rowsBelow, type LrpSupervisorEvent as Event, type LrpSupervisorState as State } from './lrp-supervisor.journal.js';

const PRESENCE_ORDER: Record<ActualLRP['presence'], number> = { ORDINARY: 0, SUSPECT: 1, EVACUATING: 2 };

export function lrpSupervisorKey(processGuid: string, epoch: string): string {
  return `lrp/${processGuid}/${epoch}`;
}

const notFound = (guid: string) => ({ ok: false as const, error: new AuctorError('ResourceNotFound', `desired lrp not found: ${guid}`) });

/** Whether a supervisor may be passivated: no rows left to trim (its instances passivate first; the kernel waits for them). */
export const supervisorIsIdle = (state: State): boolean => !needsTrim(state);

/**
 * The supervisor of `processGuid` as `lrps` declares it: a virtual child (docs/020 "Supervisors
 * are virtual children"), built again at each activation. It declares its own instances on its
 * first message, once its DesiredLRP is replayed (their spec needs it).
 */
export function lrpSupervisorSpec(
  system: ActorSystem, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>,
  processGuid: string, epoch: string, onCrash?: CrashPolicy, startsFrom?: SupervisorStart,
): Omit<PersistentActorSpec<State, LrpSupervisorMsg, Event>, 'name' | 'kind'> {
  // an instance that keeps failing (its journal fails on replay) is quarantined, not escalated:
  // the LRP and its other instances go on (docs/020 "Quarantine")
  const instancePolicy = restartOrQuarantine(system.clock);
  const ask = <R>(ref: Ref<ActualLrpMsg>, make: (replyTo: Ref<R>) => ActualLrpMsg) => system.query<ActualLrpMsg, R>(ref, make, deps.settings.askTimeoutMs);
  // a trim that failed (an instance did not answer) is tried again after this, not on every message
  let trimAgainAt = 0;
  // the DesiredLRP (or the deleted one, while its rows are removed) an instance activated now starts from
  let owner: DesiredLRP | undefined;
  // the instances: virtual children, in memory only while they have work (docs/020 "Instances")
  let instances: Instances | undefined;
  // incarnations of this activation (initialState runs at activation and at each supervised restart)
  let incarnations = 0;
  // whether this incarnation handled a message yet, and resumed its instances
  let prepared = false;
  let resumed = false;
  // indices from this one up were never added by this incarnation (below it: see `known`)
  let addedBelow = 0;
  return {
    protocol: LRP_SUPERVISOR_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    key: lrpSupervisorKey(processGuid, epoch),
    snapshotEvery: 50,
    initialState: () => {
      incarnations += 1;
      prepared = false;
      resumed = false;
      return { desired: undefined };
    },
    applyEvent: applySupervisorEvent,
    summary: (s) => (s.desired ? { instances: s.desired.instances, modification_index: s.desired.modification_tag.index } : null),
    handle: async (state, msg, ctx) => {
      owner = state.desired ?? state.deleted;
      const children = (instances ??= declareInstances(system, deps, auctioneer, ctx.self, epoch, () => owner, instancePolicy));
      const instance = (index: number) => (children.has(String(index)) ? children.ref(String(index)) : undefined);
      const quarantined = system.registry.quarantinedChildren(ctx.path);
      const range = (n: number) => Array.from({ length: n }, (_, i) => i);
      /** The indices that are instances now (in the index), quarantined ones included, in order. */
      const known = () => range(Math.max(rowsBelow(state), addedBelow, state.desired?.instances ?? 0)).filter((i) => children.has(String(i)));
      const add = (index: number, fresh = false) => {
        addedBelow = Math.max(addedBelow, index + 1);
        children.add(String(index), fresh ? { fresh } : {}).catch((error: unknown) => ctx.log.error({ index, error: String(error) }, 'lrp.instance-index-failed'));
        return children.ref(String(index));
      };
      // fresh: the instances of an LRP just created have empty journals (its epoch is new); a
      // scaled-up index may have one (scale 3 → 1 → 3 keeps index 2's journal)
      const start = (desired: DesiredLRP, indices: number[], fresh = false) => {
        for (const index of indices) {
          if (instance(index) || quarantined.has(String(index))) continue;
          system.dispatch(add(index, fresh), ActualLrpMsg.init(desired));
        }
      };
      /** Releases the quarantined indices among `indices`: no row to remove, their journal goes, so a new one starts empty. */
      const release = async (indices: Iterable<string>) => {
        for (const name of indices) {
          if (!quarantined.has(name)) continue;
          await system.release(`${ctx.path}/${name}`, { deleteJournal: true });
          await children.remove(name);
          deps.queries?.dropRows(processGuid, Number(name)); // its journal, and so its rows, are gone
        }
      };
      /** Removes the rows of these instances (stopping what runs) and drops them from the index; false if one did not answer. */
      const remove = async (doomed: number[]) => {
        const removed = await Promise.all(doomed.map(async (index) => {
          const name = String(index);
          try {
            await ask<true>(children.ref(name), ActualLrpMsg.remove);
            return true;
          } catch (error) {
            ctx.log.warn({ error: String(error) }, 'lrp.remove-instance-failed');
            return false;
          } finally {
            // a trim adds it again if its rows are still there
            await Promise.all([children.remove(name), system.timers.cancel(`${ctx.path}/${name}`, RESTART_TIMER)]).catch(() => undefined);
          }
        }));
        return removed.every(Boolean);
      };
      const removeFrom = async (from: number, to = Infinity) => {
        const inRange = (i: number) => i >= from && i < to;
        await release([...quarantined.keys()].filter((name) => inRange(Number(name))));
        return remove(known().filter((i) => inRange(i) && !quarantined.has(String(i))));
      };

      // every desired index is an instance (in the index) before the message is handled, so no
      // report finds its index missing. The instances with an effect to resume (an auction, a
      // restart timer; indicesToResume) are activated for it after a control start (`lrps` sends
      // `lrp/recover` to the LRPs the query index says have such work) and after a supervised
      // restart (which stopped the active ones); an activation after passivation has none: every
      // instance was idle. A new LRP's supervisor starts from its DesiredLRP (lrps.desire.ts):
      // `lrp/create` adds its instances, fresh, and starts them
      if (!prepared) {
        prepared = true;
        if (state.desired && msg.type !== 'lrp/create') {
          for (const index of range(state.desired.instances)) {
            if (!quarantined.has(String(index)) && !instance(index)) add(index);
          }
        }
      }
      if (!resumed && (msg.type === 'lrp/recover' || incarnations > 1)) {
        resumed = true;
        if (state.desired) {
          const resume = await indicesToResume(deps.queries, processGuid, state.desired.instances);
          for (const index of resume) {
            if (!quarantined.has(String(index))) system.dispatch(instance(index) ?? add(index), ActualLrpMsg.init(state.desired));
          }
        }
      }
      // rows above `instances` left by a scale-down or delete cut short (lrp-supervisor.journal.ts):
      // each such index's actor replays its rows, stops what runs, journals their removal; always
      // before an update, whose scale-up must not find them
      if (needsTrim(state) && (ctx.clock.now() >= trimAgainAt || msg.type === 'lrp/update')) {
        const from = state.desired?.instances ?? 0;
        const upTo = rowsBelow(state);
        const indices = range(upTo).slice(from);
        ctx.log.info({ process_guid: processGuid, from, to: upTo }, 'lrp.trimming-rows');
        await release(indices.map(String));
        const doomed = owner ? indices.filter((i) => !quarantined.has(String(i))) : [];
        for (const i of doomed) if (!instance(i)) add(i);
        if (await remove(doomed)) state = (await ctx.persist({ type: 'trimmed', below: from })) as State;
        else trimAgainAt = ctx.clock.now() + deps.settings.askTimeoutMs * 2;
      }

      switch (msg.type) {
        case 'lrp/create': {
          // the index is by path: rows left by an earlier LRP of this guid (one quarantined and
          // removed) are not this epoch's instances
          await forgetStale(system, children, ctx.path);
          // journaled, published and answered by `lrps` (lrps.desire.ts) once stored with the registry entry
          if (!startsFrom || !(await startsFrom.written.then(() => true, () => false))) return state;
          owner = msg.desired;
          start(msg.desired, range(msg.desired.instances), true);
          return state;
        }
        case 'lrp/recover':
          if (!state.desired) system.dispatch(ctx.parent as Ref<LrpsMsg>, { type: 'lrps/forget', process_guid: processGuid });
          return state;
        case 'lrp/wake':
          return state;
        case 'lrp/update': {
          const before = state.desired;
          if (!before) {
            system.dispatch(msg.replyTo, notFound(processGuid));
            return state;
          }
          const after = applyDesiredLrpUpdate(before, msg.update);
          const next = (await ctx.persist({ type: 'desired', desired: after })) as State;
          owner = after;
          deps.events.publish(Events.desiredLrpChanged(before, after));
          const change = scaleChange(before.instances, after.instances);
          // a passive instance starts from `owner` when activated; only a CRASHED one's stored
          // restart timer depends on the DesiredLRP (its crash_policy): then every one is told
          const policyChanged = JSON.stringify(before.crash_policy) !== JSON.stringify(after.crash_policy);
          for (const i of known()) {
            if (i < after.instances && (policyChanged || children.isActive(String(i)))) system.dispatch(children.ref(String(i)), ActualLrpMsg.desiredChanged(after));
          }
          start(after, change.start);
          // a scale-down answers once the instances above the count are stopped and their rows
          // gone: listings read the query index, no longer this actor's mailbox behind the update
          const removed = change.stopFrom === undefined ? false : await removeFrom(change.stopFrom);
          system.dispatch(msg.replyTo, ok(after));
          if (!removed) return next;
          return (await ctx.persist({ type: 'trimmed', below: after.instances })) as State;
        }
        case 'lrp/delete': {
          const desired = state.desired;
          if (!desired) {
            system.dispatch(msg.replyTo, notFound(processGuid));
            return state;
          }
          const next = (await ctx.persist({ type: 'deleted' })) as State;
          deps.events.publish(Events.desiredLrpRemoved(desired));
          // once removed, `lrps` stops this actor: no trim meanwhile (a recovery would do it again)
          if (await removeFrom(0)) trimAgainAt = Infinity;
          system.dispatch(msg.replyTo, ok(desired));
          return next;
        }
        case 'lrp/retire': {
          // the fresh instance's UNCLAIMED row is made before the answer, so a listing after the
          // 2xx (read from the query index, not from this actor) shows it, as it always did
          const replace = async () => {
            if (!state.desired || msg.index >= state.desired.instances) return;
            // every desired index keeps an instance: the retired one (removed from the index) is added again
            start(state.desired, [msg.index]);
            await ask(children.ref(String(msg.index)), ActualLrpMsg.get).catch(() => undefined);
          };
          if (quarantined.has(String(msg.index))) {
            await removeFrom(msg.index, msg.index + 1);
            await replace();
            system.dispatch(msg.replyTo, ok(undefined));
            return state;
          }
          const ref = instance(msg.index);
          const row = ref && (await ask<ActualLRP | undefined>(ref, ActualLrpMsg.get).catch(() => undefined));
          if (!ref || !row) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('ResourceNotFound', `actual lrp not found: ${processGuid}/${msg.index}`) });
            return state;
          }
          await removeFrom(msg.index, msg.index + 1);
          await replace();
          system.dispatch(msg.replyTo, ok(row));
          return state;
        }
        case 'lrp/get':
          system.dispatch(msg.replyTo, state.desired);
          return state;
        case 'lrp/actuals': {
          // asks (so activates) every instance: only for a record the query index could not read, or without an index
          const rows = await Promise.all(known().filter((i) => !quarantined.has(String(i))).map((i) => ask<ActualLRP[]>(children.ref(String(i)), ActualLrpMsg.rows).catch(() => [] as ActualLRP[])));
          // by index, then ORDINARY, SUSPECT, EVACUATING (each actor answers in that order)
          system.dispatch(msg.replyTo, rows.flat().sort((a, b) => a.index - b.index || PRESENCE_ORDER[a.presence] - PRESENCE_ORDER[b.presence]));
          return state;
        }
        case 'lrp/start-missing':
          if (!state.desired) return state;
          // an actor without a row (its init was lost) creates it; one with a row ignores this
          for (const i of msg.indices) {
            const ref = instance(i);
            if (ref) system.dispatch(ref, { type: 'actual-lrp/ensure-row' });
          }
          start(state.desired, msg.indices.filter((i) => i < state.desired!.instances));
          return state;
        case 'lrp/retry':
        case 'lrp/cell-lost':
        case 'lrp/cell-back':
        case 'lrp/remove-suspect':
        case 'lrp/prune-evacuating':
        case 'lrp/evacuating':
        case 'lrp/reconcile':
        case 'lrp/container-missing':
        case 'lrp/report':
          // each to the index it names (lrp-supervisor.forwarding.ts)
          forwardToInstances({ system, deps, children, desiredInstances: state.desired?.instances ?? 0, instance, quarantined, known, log: ctx.log }, msg);
          return state;
        default:
          return assertNever(msg);
      }
    },
  };
}
