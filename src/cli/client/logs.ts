/**
 * `logs GUID [-f]`: an LRP's instance output, or a task's. The guid names a DesiredLRP when one
 * exists, else a task (`--task` skips the guess). Following reads the SSE stream until Ctrl-C.
 */
import type { ClientContext } from './context.js';
import { seg } from './context.js';
import { ApiError } from './http.js';
import { readSse, SseParser } from './sse.js';

export interface LogsOptions {
  follow?: boolean;
  tail?: number;
  task?: boolean;
}

/** One log entry as text: a JSON entry's `line`/`message` with its source and index, else as given. */
export function formatLogLine(raw: unknown): string {
  let entry = raw;
  if (typeof raw === 'string') {
    try {
      entry = JSON.parse(raw);
    } catch {
      return raw.endsWith('\n') ? raw : `${raw}\n`;
    }
  }
  if (entry && typeof entry === 'object' && !Array.isArray(entry)) {
    const e = entry as Record<string, unknown>;
    const text = e.line ?? e.message ?? e.msg;
    if (typeof text === 'string') {
      const where = [e.source ?? e.log_source, e.index ?? e.instance_index].filter((x) => x !== undefined && x !== null && x !== '').join('/');
      const line = where ? `[${where}] ${text}` : text;
      return line.endsWith('\n') ? line : `${line}\n`;
    }
  }
  return `${typeof entry === 'string' ? entry : JSON.stringify(entry)}\n`;
}

/** Text of a whole (not followed) logs answer, whatever form the endpoint chose. */
export function formatLogBody(contentType: string, body: string): string {
  if (contentType.includes('text/event-stream')) {
    return new SseParser().push(`${body}\n\n`).map((m) => formatLogLine(m.data)).join('');
  }
  if (contentType.includes('json')) {
    const parsed = JSON.parse(body) as unknown;
    const entries = Array.isArray(parsed) ? parsed : Array.isArray((parsed as { lines?: unknown[] })?.lines) ? (parsed as { lines: unknown[] }).lines : [parsed];
    return entries.map((e) => formatLogLine(e)).join('');
  }
  return body;
}

async function logsPath(ctx: ClientContext, guid: string, options: LogsOptions): Promise<string> {
  if (!options.task) {
    try {
      await ctx.client.get(`/v1/desired_lrps/${seg(guid)}`);
      return `/v1/actual_lrps/${seg(guid)}/logs`;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) throw error;
    }
  }
  return `/v1/tasks/${seg(guid)}/logs`;
}

export async function logs(ctx: ClientContext, guid: string, options: LogsOptions): Promise<void> {
  const query = new URLSearchParams();
  if (options.follow) query.set('follow', 'true');
  if (options.tail !== undefined) query.set('tail', String(options.tail));
  const text = query.toString();
  const path = `${await logsPath(ctx, guid, options)}${text ? `?${text}` : ''}`;
  if (!options.follow) {
    const { contentType, body } = await ctx.client.text(path);
    return ctx.out(ctx.json ? body : formatLogBody(contentType, body));
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const response = await ctx.client.stream(path, abort.signal);
    await readSse(response.body!, (m) => ctx.out(ctx.json ? `${m.data}\n` : formatLogLine(m.data)));
  } catch (error) {
    if (abort.signal.aborted) return;
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
