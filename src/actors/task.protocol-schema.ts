/** What one task's actor accepts from operators: the same reads and writes as through `tasks`. */
import { defineProtocol } from '../runtime/kernel/protocol-schema.js';
import type { TaskMsg } from './task.protocol.js';

export const TASK_PROTOCOL = defineProtocol<TaskMsg>('task', {
  'task/get': { description: 'the Task (null once deleted)', reply: 'required' },
  'task/cancel': { description: 'PENDING or RUNNING → COMPLETED, failed, "task was cancelled"', reply: 'required' },
  'task/resolve': { description: 'COMPLETED (or RESOLVING) → deleted', reply: 'required' },
});
