/** `events`: the event stream, one line per event, until Ctrl-C. */
import type { AuctorEvent } from '../../models/events.js';
import type { ClientContext } from './context.js';
import type { SseMessage } from '../../base/sse.js';
import { followSse } from './sse.js';
import { brief } from './table.js';

const lrpKey = (a: { process_guid: string; index: number }) => `${a.process_guid}/${a.index}`;
const change = (before: unknown, after: unknown) => (before === after ? String(after) : `${before}->${after}`);

/** A few words on what an event says (API.md "Events"); a type this client does not know shows its data, cut short. */
export function summarize(event: AuctorEvent): string {
  switch (event.type) {
    case 'desired_lrp_created':
      return `${event.data.desired_lrp.process_guid} instances=${event.data.desired_lrp.instances}`;
    case 'desired_lrp_changed':
      return `${event.data.after.process_guid} instances=${change(event.data.before.instances, event.data.after.instances)}`;
    case 'desired_lrp_removed':
      return event.data.desired_lrp.process_guid;
    case 'actual_lrp_instance_created':
    case 'actual_lrp_instance_removed':
      return `${lrpKey(event.data.actual_lrp)} ${event.data.actual_lrp.state}`;
    case 'actual_lrp_instance_changed': {
      const { before, after } = event.data;
      const cell = after.cell_id ? ` cell=${after.cell_id}` : '';
      const error = after.placement_error ? ` placement_error=${JSON.stringify(after.placement_error)}` : '';
      return `${lrpKey(after)} ${change(before.state, after.state)}${cell}${error}`;
    }
    case 'actual_lrp_crashed':
      return `${lrpKey(event.data)} cell=${event.data.cell_id} crash_count=${event.data.crash_count} reason=${JSON.stringify(event.data.crash_reason)}`;
    case 'task_created':
      return `${event.data.task.task_guid} ${event.data.task.state}`;
    case 'task_changed': {
      const { before, after } = event.data;
      return `${after.task_guid} ${change(before.state, after.state)}${after.failed ? ` failed: ${after.failure_reason}` : ''}`;
    }
    case 'task_removed':
      return event.data.task.task_guid;
    case 'cell_appeared':
      return `${event.data.cell.cell_id} zone=${event.data.cell.zone}`;
    case 'cell_disappeared':
      return event.data.cell_id;
    default:
      return brief((event as { data: unknown }).data);
  }
}

/** `<id> <type> <summary>`, or with `json` the event's data as sent, one line. */
export function formatEvent(message: SseMessage, json: boolean): string {
  if (json) return `${message.data}\n`;
  const event = { type: message.event, data: JSON.parse(message.data) } as AuctorEvent;
  return `${message.id} ${message.event} ${summarize(event)}\n`;
}

export async function events(ctx: ClientContext): Promise<void> {
  await followSse(ctx, '/v1/events', 'event stream', (message) => ctx.out(formatEvent(message, ctx.json)));
}
