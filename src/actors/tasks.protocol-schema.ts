/**
 * What the task registry accepts from operators: the reads and the writes `/v1/tasks` offers
 * (the actor validates a desire's input with the models' validators). Reports, reconciliation,
 * convergence and `deleted` stay internal.
 */
import { defineProtocol, field } from '../runtime/kernel/protocol-schema.js';
import type { TasksMsg } from './tasks.protocol.js';

export const TASKS_PROTOCOL = defineProtocol<TasksMsg>('tasks', {
  'tasks/get': { description: 'one Task (null when unknown)', reply: 'required', properties: { task_guid: field.nonEmpty }, required: ['task_guid'] },
  'tasks/list': {
    description: 'the Tasks, optionally of one domain or cell',
    reply: 'required',
    properties: { filter: { type: 'object', properties: { domain: field.string, cell_id: field.string }, additionalProperties: false, default: {} } },
  },
  'tasks/desire': { description: 'desire a task, as POST /v1/tasks (input: a Task)', reply: 'required', properties: { input: field.input }, required: ['input'] },
  'tasks/cancel': { description: 'cancel a task, as POST /v1/tasks/:task_guid/cancel', reply: 'required', properties: { task_guid: field.nonEmpty }, required: ['task_guid'] },
  'tasks/resolve': { description: 'delete a completed task, as DELETE /v1/tasks/:task_guid', reply: 'required', properties: { task_guid: field.nonEmpty }, required: ['task_guid'] },
});
