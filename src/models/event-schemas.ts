/**
 * JSON Schemas of the event stream (`events.ts`, API.md "Events"): `Event` is one SSE message
 * as `{type, data}`, where `type` is the SSE `event` name and `data` its JSON.
 */
import { EVENT_TYPES, type EventType } from './events.js';
import { componentRef as ref, integer, objectSchema, text, type JsonSchema } from './json-schema.js';
import { NON_NEGATIVE } from './validation.js';

const change = (model: string): JsonSchema => objectSchema({ before: ref(model), after: ref(model) });

const DATA: Record<EventType, JsonSchema> = {
  desired_lrp_created: objectSchema({ desired_lrp: ref('DesiredLRP') }),
  desired_lrp_changed: change('DesiredLRP'),
  desired_lrp_removed: objectSchema({ desired_lrp: ref('DesiredLRP') }),
  actual_lrp_instance_created: objectSchema({ actual_lrp: ref('ActualLRP') }),
  actual_lrp_instance_changed: change('ActualLRP'),
  actual_lrp_instance_removed: objectSchema({ actual_lrp: ref('ActualLRP') }),
  actual_lrp_crashed: ref('ActualLRPCrashed'),
  task_created: objectSchema({ task: ref('Task') }),
  task_changed: change('Task'),
  task_removed: objectSchema({ task: ref('Task') }),
  cell_appeared: objectSchema({ cell: ref('CellPresence') }),
  cell_disappeared: objectSchema({ cell_id: text }),
};

export const EVENT_SCHEMAS = {
  Event: {
    type: 'object',
    description: 'one event of GET /v1/events: type is the SSE event name, data its JSON',
    oneOf: EVENT_TYPES.map((type) => objectSchema({ type: { const: type }, data: DATA[type] })),
  },
  ActualLRPCrashed: objectSchema({
    process_guid: text,
    index: integer(NON_NEGATIVE),
    instance_guid: { type: 'string', description: 'the crashed placement' },
    cell_id: text,
    crash_count: integer(NON_NEGATIVE),
    crash_reason: text,
    since: integer(NON_NEGATIVE, 'nanoseconds since the epoch'),
  }, {}, { description: 'data of actual_lrp_crashed' }),
} satisfies Record<string, JsonSchema>;
