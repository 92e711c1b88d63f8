/**
 * The completion callback (BBS's task completion worker): POST the task as JSON to its
 * `completion_callback_url`. 503 and 504 (and no answer at all) are worth another try; any other
 * status means the client has had its say and the task is deleted.
 */
import type { Task } from '../models/task.js';

export type CallbackOutcome = { outcome: 'done'; status: number } | { outcome: 'retry'; status?: number; error?: string };

export async function postCallback(task: Task, timeoutMs: number): Promise<CallbackOutcome> {
  const url = task.completion_callback_url;
  if (!url) return { outcome: 'done', status: 0 };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(task),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.status === 503 || response.status === 504) return { outcome: 'retry', status: response.status };
    return { outcome: 'done', status: response.status };
  } catch (error) {
    return { outcome: 'retry', error: error instanceof Error ? error.message : String(error) };
  }
}
