/**
 * One Task (Diego's BBS task row plus its completion worker): event-sourced; PENDING → auction →
 * RUNNING (task-started) → COMPLETED (task-completed, cancel, or rejected past `taskRetries`) →
 * RESOLVING while its callback runs → deleted. Every change goes through the models' lifecycle
 * functions and is published with before/after. Effects (auction requests, cell orders, the
 * callback POST, the completed-TTL timer) run only in `handle`; `task/resume` restarts them
 * after recovery.
 */
import { assertNever, type AnyRef, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem, CrashPolicy } from '../runtime/kernel/system.js';
import type { Timer } from '../base/clock.js';
import { AuctorError, ok, type Result } from '../base/errors.js';
import { Events } from '../models/events.js';
import {
  cancelTask, checkTaskDeletable, completeTask, demoteResolvingTask, failTask, rejectTask, resolvingTask, startTask, type Task,
} from '../models/task.js';
import { msToNs, nsToMs } from '../models/time.js';
import { AuctioneerMsg } from './auctioneer.protocol.js';
import type { ControlDeps } from './control-deps.js';
import { postCallback, type CallbackOutcome } from './task-callback.js';
import type { TaskMsg, TaskReport } from './task.protocol.js';
import type { TasksMsg } from './tasks.protocol.js';
import { TASK_PROTOCOL } from './task.protocol-schema.js';

type Event = { type: 'task'; task: Task } | { type: 'deleted' };

type Internal =
  | { type: 'task/callback-done'; outcome: CallbackOutcome; attempt: number }
  | { type: 'task/callback-retry'; attempt: number }
  | { type: 'task/expire' };
type Msg = TaskMsg | Internal;

interface Runtime {
  timer: Timer | undefined;
  callbackInFlight: boolean;
}

interface State {
  task: Task | undefined;
  rt: Runtime;
}

export function taskKey(taskGuid: string, epoch: string): string {
  return `task/${taskGuid}/${epoch}`;
}

export function spawnTask(system: ActorSystem, parent: AnyRef, deps: ControlDeps, auctioneer: Ref<AuctioneerMsg>, taskGuid: string, epoch: string, onCrash?: CrashPolicy): Ref<TaskMsg> {
  const settings = deps.settings;
  return system.spawnPersistent<State, Msg, Event>(parent, {
    kind: 'task',
    protocol: TASK_PROTOCOL,
    ...(onCrash ? { onCrash } : {}),
    name: taskGuid,
    key: taskKey(taskGuid, epoch),
    snapshotEvery: 50,
    initialState: () => ({ task: undefined, rt: { timer: undefined, callbackInFlight: false } }),
    applyEvent: (s, e) => ({ ...s, task: e.type === 'task' ? e.task : undefined }),
    summary: (s) => (s.task ? { state: s.task.state, cell_id: s.task.cell_id } : null),
    afterStop: (s) => s.rt.timer?.cancel(),
    handle: async (state, msg, ctx) => {
      const rt = state.rt;
      const now = () => msToNs(ctx.clock.now());
      const refused = (r: Result<unknown>) => {
        if (!r.ok) ctx.log.warn({ error: r.error.message }, 'task.transition-refused');
      };
      /** Persists and publishes a change. */
      const save = async (before: Task, after: Task): Promise<State> => {
        const next = (await ctx.persist({ type: 'task', task: after })) as State;
        deps.events.publish(Events.taskChanged(before, after));
        return next;
      };
      const auction = (task: Task) => system.dispatch(auctioneer, AuctioneerMsg.startTasks([{ task, replyTo: ctx.self }]));
      const remove = async (task: Task): Promise<State> => {
        rt.timer?.cancel();
        const next = (await ctx.persist({ type: 'deleted' })) as State;
        deps.events.publish(Events.taskRemoved(task));
        system.dispatch(ctx.parent as Ref<TasksMsg>, { type: 'tasks/deleted', task_guid: taskGuid });
        return next;
      };
      const callback = (task: Task, attempt: number) => {
        rt.callbackInFlight = true;
        void postCallback(task, settings.askTimeoutMs).then((outcome) => system.dispatch(ctx.self, { type: 'task/callback-done', outcome, attempt }));
      };
      /** What a COMPLETED task waits for: its callback (RESOLVING while it runs), or the TTL. */
      const afterCompletion = async (s: State): Promise<State> => {
        const task = s.task;
        if (!task || task.state !== 'COMPLETED') return s;
        if (task.completion_callback_url) {
          const resolving = resolvingTask(task, now());
          if (!resolving.ok) return s;
          const next = await save(task, resolving.value);
          callback(resolving.value, 1);
          return next;
        }
        rt.timer?.cancel();
        const due = task.first_completed_at + msToNs(settings.completedTaskTtlMs) - now();
        rt.timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'task/expire' }), Math.max(0, nsToMs(due)) + 1);
        return s;
      };

      const task = state.task;
      switch (msg.type) {
        case 'task/create': {
          const next = (await ctx.persist({ type: 'task', task: msg.task })) as State;
          deps.events.publish(Events.taskCreated(msg.task));
          system.dispatch(msg.replyTo, ok(msg.task));
          auction(msg.task);
          return next;
        }
        case 'task/resume':
          if (!task) {
            system.dispatch(ctx.parent as Ref<TasksMsg>, { type: 'tasks/deleted', task_guid: taskGuid });
            return state;
          }
          if (task.state === 'PENDING') auction(task);
          if (task.state === 'RESOLVING') callback(task, 1);
          return afterCompletion(state);
        case 'task/get':
          system.dispatch(msg.replyTo, task);
          return state;
        case 'task/cancel': {
          if (!task) {
            system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('ResourceNotFound', `task not found: ${taskGuid}`) });
            return state;
          }
          const result = cancelTask(task, now());
          if (!result.ok) {
            system.dispatch(msg.replyTo, result);
            return state;
          }
          if (task.state === 'RUNNING') deps.clientFor(task.cell_id)?.cancelTask(taskGuid);
          const next = await save(task, result.value);
          system.dispatch(msg.replyTo, ok(result.value));
          return afterCompletion(next);
        }
        case 'task/resolve': {
          const check = task ? checkTaskDeletable(task) : { ok: false as const, error: new AuctorError('ResourceNotFound', `task not found: ${taskGuid}`) };
          if (!check.ok || !task) {
            system.dispatch(msg.replyTo, check.ok ? { ok: false, error: new AuctorError('ResourceNotFound', `task not found: ${taskGuid}`) } : check);
            return state;
          }
          const next = await remove(task);
          system.dispatch(msg.replyTo, ok(task));
          return next;
        }
        case 'task/converge':
          return converge(msg.action, msg.reason);
        case 'task/report':
          return onReport(msg.report);
        case 'auction/task-placed':
          ctx.log.debug({ cell_id: msg.cell_id }, 'task.placed');
          return state;
        case 'auction/task-failed': {
          if (!task || task.state !== 'PENDING') return state;
          const result = rejectTask(task, msg.placement_error, settings.taskRetries, now());
          if (!result.ok) return (refused(result), state);
          const next = await save(task, result.value);
          // a rejected task waits `taskRetryMs` on the clock before its next auction, so cells
          // that are briefly unreachable do not use up its retries at once
          if (result.value.state === 'PENDING') {
            rt.timer?.cancel();
            rt.timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'task/converge', action: 'reauction' }), settings.taskRetryMs);
          }
          return afterCompletion(next);
        }
        case 'task/callback-done': {
          rt.callbackInFlight = false;
          if (!task || task.state !== 'RESOLVING') return state;
          if (msg.outcome.outcome === 'done') return remove(task);
          ctx.log.warn({ attempt: msg.attempt, status: msg.outcome.status, error: msg.outcome.error }, 'task.callback-failed');
          if (msg.attempt >= settings.callbackAttempts) return state; // convergence demotes it and tries again later
          rt.timer?.cancel();
          rt.timer = ctx.clock.setTimeout(() => system.dispatch(ctx.self, { type: 'task/callback-retry', attempt: msg.attempt + 1 }), settings.callbackRetryMs);
          return state;
        }
        case 'task/callback-retry':
          if (task?.state === 'RESOLVING' && !rt.callbackInFlight) callback(task, msg.attempt);
          return state;
        case 'task/expire':
          if (!task || (task.state !== 'COMPLETED' && task.state !== 'RESOLVING')) return state;
          if (now() - task.first_completed_at < msToNs(settings.completedTaskTtlMs)) return afterCompletion(state);
          return remove(task);
        default:
          return assertNever(msg);
      }

      async function onReport(r: TaskReport): Promise<State> {
        const client = deps.clientFor(r.cell_id);
        if (!task) {
          if (r.type === 'cell-report/task-started') client?.cancelTask(r.task_guid);
          else client?.deleteTask(r.task_guid);
          return state;
        }
        if (r.type === 'cell-report/task-started') {
          const result = startTask(task, r.cell_id, now());
          if (!result.ok) {
            // cancelled or taken by another cell meanwhile: this copy must not run
            if (task.cell_id !== r.cell_id) client?.cancelTask(r.task_guid);
            return (refused(result), state);
          }
          return result.value.shouldStart ? save(task, result.value.task) : state;
        }
        const result = completeTask(task, r.cell_id, { failed: r.failed, failure_reason: r.failure_reason, result: r.result }, now());
        if (!result.ok) {
          if (task.cell_id !== r.cell_id) client?.deleteTask(r.task_guid);
          return (refused(result), state);
        }
        const next = await save(task, result.value);
        client?.deleteTask(r.task_guid);
        return afterCompletion(next);
      }

      async function converge(action: 'fail' | 'reauction' | 'demote' | 'delete' | 'callback', reason = ''): Promise<State> {
        if (!task) return state;
        switch (action) {
          case 'fail': {
            const result = failTask(task, reason, now());
            return result.ok ? afterCompletion(await save(task, result.value)) : (refused(result), state);
          }
          case 'reauction':
            if (task.state === 'PENDING') auction(task);
            return state;
          case 'demote': {
            const result = demoteResolvingTask(task);
            return result.ok ? save(task, result.value) : state;
          }
          case 'delete':
            return remove(task);
          case 'callback':
            return afterCompletion(state);
        }
      }
    },
  });
}
