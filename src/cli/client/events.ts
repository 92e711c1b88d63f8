/** `events`: the event stream, one line per event, until Ctrl-C. */
import { ApiError } from './http.js';
import type { ClientContext } from './context.js';
import { readSse, type SseMessage } from './sse.js';
import { brief } from './table.js';

// event data as it arrives: shapes are API.md's, read defensively
type Json = Record<string, any>;

const lrpKey = (a: Json | undefined) => `${a?.process_guid}/${a?.index}`;
const change = (before: unknown, after: unknown) => (before === after ? String(after) : `${before}->${after}`);

/** A few words on what an event says; unknown types show their data, cut short. */
export function summarize(type: string, data: Json): string {
  switch (type) {
    case 'desired_lrp_created':
      return `${data.desired_lrp?.process_guid} instances=${data.desired_lrp?.instances}`;
    case 'desired_lrp_changed':
      return `${data.after?.process_guid} instances=${change(data.before?.instances, data.after?.instances)}`;
    case 'desired_lrp_removed':
      return `${data.desired_lrp?.process_guid}`;
    case 'actual_lrp_instance_created':
      return `${lrpKey(data.actual_lrp)} ${data.actual_lrp?.state}`;
    case 'actual_lrp_instance_changed': {
      const cell = data.after?.cell_id ? ` cell=${data.after.cell_id}` : '';
      const error = data.after?.placement_error ? ` placement_error=${JSON.stringify(data.after.placement_error)}` : '';
      return `${lrpKey(data.after)} ${change(data.before?.state, data.after?.state)}${cell}${error}`;
    }
    case 'actual_lrp_instance_removed':
      return `${lrpKey(data.actual_lrp)} ${data.actual_lrp?.state}`;
    case 'actual_lrp_crashed':
      return `${lrpKey(data)} cell=${data.cell_id} crash_count=${data.crash_count} reason=${JSON.stringify(data.crash_reason ?? '')}`;
    case 'task_created':
      return `${data.task?.task_guid} ${data.task?.state}`;
    case 'task_changed': {
      const failed = data.after?.failed ? ` failed: ${data.after.failure_reason}` : '';
      return `${data.after?.task_guid} ${change(data.before?.state, data.after?.state)}${failed}`;
    }
    case 'task_removed':
      return `${data.task?.task_guid}`;
    case 'cell_appeared':
      return `${data.cell?.cell_id} zone=${data.cell?.zone}`;
    case 'cell_disappeared':
      return `${data.cell_id}`;
    default:
      return brief(data);
  }
}

/** `<id> <type> <summary>`, or with `json` the raw data on its own line. */
export function formatEvent(message: SseMessage, json: boolean): string {
  if (json) return `${message.data}\n`;
  let data: Json;
  try {
    data = JSON.parse(message.data) as Json;
  } catch {
    return `${message.id} ${message.event} ${message.data}\n`;
  }
  return `${message.id} ${message.event} ${summarize(message.event, data ?? {})}\n`;
}

export async function events(ctx: ClientContext): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const response = await ctx.client.stream('/v1/events', abort.signal);
    await readSse(response.body!, (message) => ctx.out(formatEvent(message, ctx.json)));
  } catch (error) {
    // Ctrl-C ends the stream: that is success
    if (abort.signal.aborted) return;
    if (error instanceof ApiError) throw error;
    throw new ApiError(`the event stream from ${ctx.client.url} broke: ${(error as Error).message}`, 'Unreachable', 0);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (!abort.signal.aborted) throw new ApiError(`the gateway at ${ctx.client.url} closed the event stream`, 'Unavailable', 0);
}
