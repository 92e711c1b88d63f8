/** `run-task`, `tasks`, `task`, `cancel`: one-off Tasks. */
import type { Task } from '../../models/task.js';
import { printJson, readJsonInput, seg, type ClientContext } from './context.js';
import { describeAction } from './lrps.js';
import { age, fields, table } from './table.js';

export async function runTask(ctx: ClientContext, source: string): Promise<void> {
  const body = await readJsonInput(source);
  const stored = await ctx.client.post<Task>('/v1/tasks', body);
  if (ctx.json) return printJson(ctx, stored);
  ctx.out(`created task ${stored.task_guid} (${stored.state})\n`);
}

export async function listTasks(ctx: ClientContext, filter: { domain?: string; cell?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (filter.domain) query.set('domain', filter.domain);
  if (filter.cell) query.set('cell_id', filter.cell);
  const text = query.toString();
  const tasks = await ctx.client.get<Task[]>(`/v1/tasks${text ? `?${text}` : ''}`);
  if (ctx.json) return printJson(ctx, tasks);
  ctx.out(renderTasks(tasks, ctx.now()));
}

/** One row per task, oldest first. */
export function renderTasks(tasks: readonly Task[], nowMs: number): string {
  const rows = [...tasks].sort((a, b) => a.created_at - b.created_at || a.task_guid.localeCompare(b.task_guid));
  return table<Task>([
    { header: 'task_guid', value: (t) => t.task_guid },
    { header: 'domain', value: (t) => t.domain },
    { header: 'state', value: (t) => t.state },
    { header: 'cell', value: (t) => t.cell_id },
    { header: 'failed', value: (t) => (t.state === 'COMPLETED' || t.state === 'RESOLVING' ? t.failed : '') },
    { header: 'age', value: (t) => age(t.created_at, nowMs) },
    { header: 'failure_reason', value: (t) => t.failure_reason },
  ], rows);
}

export async function showTask(ctx: ClientContext, guid: string): Promise<void> {
  const task = await ctx.client.get<Task>(`/v1/tasks/${seg(guid)}`);
  if (ctx.json) return printJson(ctx, task);
  ctx.out(renderTask(task, ctx.now()));
}

export function renderTask(task: Task, nowMs: number): string {
  const done = task.state === 'COMPLETED' || task.state === 'RESOLVING';
  return fields([
    ['task_guid', task.task_guid],
    ['domain', task.domain],
    ['state', task.state],
    ['cell', task.cell_id],
    ['rootfs', task.rootfs],
    ['action', describeAction(task.action)],
    ['memory_mb', task.memory_mb],
    ['disk_mb', task.disk_mb],
    ['created', `${age(task.created_at, nowMs)} ago`],
    ['failed', done ? task.failed : undefined],
    ['failure_reason', task.failure_reason || undefined],
    ['rejections', task.rejection_count ? `${task.rejection_count} (${task.rejection_reason})` : undefined],
    ['result_file', task.result_file || undefined],
    ['result', task.result ? JSON.stringify(task.result) : undefined],
  ]);
}

export async function cancel(ctx: ClientContext, guid: string): Promise<void> {
  await ctx.client.post(`/v1/tasks/${seg(guid)}/cancel`);
  if (ctx.json) return printJson(ctx, { cancelled: guid });
  ctx.out(`cancelled ${guid}\n`);
}
