/**
 * The task registry: which task guids exist (with the epoch naming each task's journal),
 * one `task.ts` actor per task, report routing, listing, and the task convergence pass
 * (`planTaskConvergence`, executed by messages to the task actors).
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import { AuctorError, type Result } from '../base/errors.js';
import { desireTask, type Task } from '../models/task.js';
import { planTaskConvergence } from '../models/task-convergence.js';
import { presentDuringGrace } from './convergence.protocol.js';
import { msToNs } from '../models/time.js';
import type { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import { spawnTask } from './task.js';
import { restartOrQuarantine } from '../runtime/kernel/supervision.js';
import { quarantinedError } from './quarantined-records.js';
import type { TaskMsg } from './task.protocol.js';
import type { TasksMsg } from './tasks.protocol.js';
import { TASKS_PROTOCOL } from './tasks.protocol-schema.js';

type Event = { type: 'added'; task_guid: string; epoch: string } | { type: 'removed'; task_guid: string };

interface State {
  tasks: Record<string, string>;
}

function applyEvent(state: State, event: Event): State {
  const tasks = { ...state.tasks };
  if (event.type === 'added') tasks[event.task_guid] = event.epoch;
  else delete tasks[event.task_guid];
  return { tasks };
}

const notFound = (guid: string): Result<Task> => ({ ok: false, error: new AuctorError('ResourceNotFound', `task not found: ${guid}`) });

export function spawnTasks(system: ActorSystem, parent: AnyRef, auctioneer: Ref<AuctioneerMsg>, deps: ControlDeps, onCrash?: CrashPolicy): Ref<TasksMsg> {
  const timeout = deps.settings.askTimeoutMs;
  // a task actor that keeps failing (its journal fails on replay) is quarantined, not escalated:
  // one broken task must not take the registry, and every task API, down with it
  const taskPolicy = restartOrQuarantine(system.clock);
  const ask = <R>(ref: Ref<TaskMsg>, make: (replyTo: Ref<R>) => TaskMsg) => system.query<TaskMsg, R>(ref, make, timeout);
  return system.spawnPersistent<State, TasksMsg, Event>(parent, {
    kind: 'tasks',
    protocol: TASKS_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: 'tasks',
    key: 'tasks',
    snapshotEvery: 100,
    initialState: () => ({ tasks: {} }),
    applyEvent,
    summary: (s) => ({ tasks: Object.keys(s.tasks).length }),
    handle: async (state, msg, ctx) => {
      // ctx.children is a snapshot taken before this message: remember what it spawns itself
      const spawned = new Map<string, Ref<TaskMsg>>();
      const child = (guid: string) => (ctx.children.get(guid) as Ref<TaskMsg> | undefined) ?? spawned.get(guid);
      const actor = (guid: string) => (state.tasks[guid] !== undefined ? child(guid) : undefined);
      const all = () => Object.keys(state.tasks).map(child).filter((r): r is Ref<TaskMsg> => r !== undefined);
      // quarantined task actors stay stopped (docs/020 "Quarantine"): answered for, never respawned
      const quarantined = system.registry.quarantinedChildren(ctx.path);
      const heldError = (guid: string) => quarantinedError('task', guid, quarantined.get(guid)!);
      // after recovery or a supervised restart every known task gets its actor back first
      for (const [guid, epoch] of Object.entries(state.tasks)) {
        if (child(guid) || quarantined.has(guid)) continue;
        const ref = spawnTask(system, ctx.self, deps, auctioneer, guid, epoch, taskPolicy);
        spawned.set(guid, ref);
        system.dispatch(ref, { type: 'task/resume' });
      }
      const rows = async () => (await Promise.all(all().map((ref) => ask<Task | undefined>(ref, (replyTo) => ({ type: 'task/get', replyTo })).catch(() => undefined)))).filter((t): t is Task => t !== undefined);
      const forward = (guid: string, replyTo: Ref<Result<Task>>, make: (replyTo: Ref<Result<Task>>) => TaskMsg) => {
        const ref = actor(guid);
        if (ref) system.dispatch(ref, make(replyTo));
        else system.dispatch(replyTo, quarantined.has(guid) ? { ok: false, error: heldError(guid) } : notFound(guid));
      };

      switch (msg.type) {
        case 'tasks/init':
          return state; // the task actors were respawned above
        case 'tasks/desire': {
          const result = desireTask(msg.input, msToNs(ctx.clock.now()));
          if (!result.ok) {
            system.dispatch(msg.replyTo, result);
            return state;
          }
          const guid = result.value.task_guid;
          if (state.tasks[guid] !== undefined) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('ResourceExists', `task already exists: ${guid}`) });
            return state;
          }
          const epoch = deps.newGuid();
          const next = (await ctx.persist({ type: 'added', task_guid: guid, epoch })) as State;
          const ref = spawnTask(system, ctx.self, deps, auctioneer, guid, epoch, taskPolicy);
          try {
            system.dispatch(msg.replyTo, await ask<Result<Task>>(ref, (replyTo) => ({ type: 'task/create', task: result.value, replyTo })));
          } catch (error) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('Unavailable', `task ${guid} not stored: ${String(error)}`) });
          }
          return next;
        }
        case 'tasks/cancel':
          forward(msg.task_guid, msg.replyTo, (replyTo) => ({ type: 'task/cancel', replyTo }));
          return state;
        case 'tasks/resolve': {
          const epoch = state.tasks[msg.task_guid];
          if (!quarantined.has(msg.task_guid) || epoch === undefined) {
            forward(msg.task_guid, msg.replyTo, (replyTo) => ({ type: 'task/resolve', replyTo }));
            return state;
          }
          // whatever state it was in: forget it and its journal; reconciliation stops its container
          const next = (await ctx.persist({ type: 'removed', task_guid: msg.task_guid })) as State;
          await system.release(`${ctx.path}/${msg.task_guid}`, { deleteJournal: true });
          deps.queries?.forgetTask(msg.task_guid);
          ctx.log.info({ task_guid: msg.task_guid }, 'tasks.removed-quarantined');
          system.dispatch(msg.replyTo, { ok: true, value: undefined });
          return next;
        }
        case 'tasks/get': {
          const ref = actor(msg.task_guid);
          if (ref) system.dispatch(ref, { type: 'task/get', replyTo: msg.replyTo });
          else if (quarantined.has(msg.task_guid)) system.fail(msg.replyTo, heldError(msg.task_guid));
          else system.dispatch(msg.replyTo, undefined);
          return state;
        }
        case 'tasks/list': {
          const f = msg.filter;
          const tasks = (await rows()).filter((t) => (f.domain === undefined || t.domain === f.domain) && (f.cell_id === undefined || t.cell_id === f.cell_id));
          system.dispatch(msg.replyTo, tasks.sort((a, b) => a.created_at - b.created_at || a.task_guid.localeCompare(b.task_guid)));
          return state;
        }
        case 'tasks/report': {
          const ref = actor(msg.report.task_guid);
          if (ref) system.dispatch(ref, { type: 'task/report', report: msg.report });
          else if (!quarantined.has(msg.report.task_guid)) {
            // a task nobody accounts for: stop it (or destroy its finished container)
            const client = deps.clientFor(msg.report.cell_id);
            if (msg.report.type === 'cell-report/task-started') client?.cancelTask(msg.report.task_guid);
            else client?.deleteTask(msg.report.task_guid);
          }
          return state;
        }
        case 'tasks/reconcile': {
          const client = deps.clientFor(msg.cell_id);
          for (const c of msg.containers) {
            if (actor(c.task_guid) || quarantined.has(c.task_guid)) continue;
            if (c.state === 'RUNNING') client?.cancelTask(c.task_guid);
            else client?.deleteTask(c.task_guid);
          }
          return state;
        }
        case 'tasks/deleted': {
          if (state.tasks[msg.task_guid] === undefined) return state;
          const next = (await ctx.persist({ type: 'removed', task_guid: msg.task_guid })) as State;
          const ref = ctx.children.get(msg.task_guid);
          if (ref) system.stop(ref);
          return next;
        }
        case 'tasks/converge': {
          const tasks = await rows();
          const present = presentDuringGrace(msg.presentCells, msg.heardCells, tasks.map((t) => t.cell_id));
          const plan = planTaskConvergence(tasks, present, msToNs(ctx.clock.now()), {
            completedTaskTtlMs: deps.settings.completedTaskTtlMs,
            ...deps.settings.taskConvergence,
          });
          const send = (t: Task, action: 'fail' | 'reauction' | 'demote' | 'delete' | 'callback', reason?: string) => {
            const ref = actor(t.task_guid);
            if (ref) system.dispatch(ref, { type: 'task/converge', action, ...(reason !== undefined ? { reason } : {}) });
          };
          plan.fail.forEach(({ task, reason }) => send(task, 'fail', reason));
          plan.reauctionPending.forEach((t) => send(t, 'reauction'));
          plan.demoteResolving.forEach((t) => send(t, 'demote'));
          plan.deleteCompleted.forEach((t) => send(t, 'delete'));
          plan.resubmitCallbacks.forEach((t) => send(t, 'callback'));
          if (plan.counts.kicked + plan.counts.pruned > 0) ctx.log.info(plan.counts, 'tasks.converged');
          return state;
        }
        default:
          return assertNever(msg);
      }
    },
  });
}
