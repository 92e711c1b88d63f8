/**
 * `logs GUID [-f]`: an LRP's instance output, or a task's. GUID is tried as an LRP first, then as
 * a task (`--task` skips the LRP); lines outlive their LRP for a while, so this asks the logs
 * endpoints themselves rather than whether the LRP still exists. Following reads the SSE stream
 * until Ctrl-C.
 */
import type { LogLine } from '../../actors/log-buffer.js';
import { printJson, seg, type ClientContext } from './context.js';
import { ApiError } from './http.js';
import { followSse } from './sse.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  task?: boolean;
}

/** `2026-01-02T03:04:05.678Z [APP/PROC/WEB/0] OUT hello`, as `cf logs` shows a line (ERR for stderr). */
export function formatLogLine(entry: LogLine): string {
  return `${new Date(entry.at).toISOString()} [${entry.source}] ${entry.stream === 'stderr' ? 'ERR' : 'OUT'} ${entry.line}\n`;
}

const is404 = (error: unknown): error is ApiError => error instanceof ApiError && error.status === 404;

/** Calls `read` with the LRP's logs path, then on a 404 with the task's; both 404: one error naming both. */
async function lrpOrTask(guid: string, options: LogsOptions, query: string, read: (path: string) => Promise<void>): Promise<void> {
  const taskPath = `/v1/tasks/${seg(guid)}/logs${query}`;
  if (options.task) return read(taskPath);
  try {
    return await read(`/v1/actual_lrps/${seg(guid)}/logs${query}`);
  } catch (lrpError) {
    if (!is404(lrpError)) throw lrpError;
    try {
      return await read(taskPath);
    } catch (taskError) {
      if (!is404(taskError)) throw taskError;
      throw new ApiError(`${lrpError.message}; ${taskError.message}`, taskError.type, 404);
    }
  }
}

export async function logs(ctx: ClientContext, guid: string, options: LogsOptions): Promise<void> {
  const query = new URLSearchParams();
  if (options.follow) query.set('follow', 'true');
  if (options.tail !== undefined) query.set('tail', String(options.tail));
  const text = query.toString() ? `?${query}` : '';
  await lrpOrTask(guid, options, text, async (path) => {
    if (options.follow) {
      // SSE events `log`, each a LogLine; heartbeats are comments
      return followSse(ctx, path, 'log stream', (m) => ctx.out(ctx.json ? `${m.data}\n` : formatLogLine(JSON.parse(m.data) as LogLine)));
    }
    const lines = await ctx.client.get<LogLine[]>(path);
    if (ctx.json) return printJson(ctx, lines);
    ctx.out(lines.map(formatLogLine).join(''));
  });
}
