/**
 * The records the query index could not read from their journals at start (QueryIndex.unreadable)
 * are asked of their actors through the registries, as listings asked every record before the
 * index: a broken one fails (each failure counts towards its quarantine, and a listing that asked
 * it leaves it out), a quarantined one is asked no more, one that answers is indexed from its
 * answer. Healthy records are never asked.
 */
import { refPath, type Ref } from '../runtime/kernel/protocol.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { ActualLRP } from '../models/actual-lrp.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import type { Task } from '../models/task.js';
import { LrpsMsg } from './lrps.protocol.js';
import { TasksMsg } from './tasks.protocol.js';
import type { QueryIndex, UnreadableKind } from './query-index.js';

export interface UnreadableScope {
  system: ActorSystem;
  lrps: Ref<LrpsMsg>;
  tasks: Ref<TasksMsg>;
  queries: QueryIndex;
  askTimeoutMs: number;
}

/** Asks the actors of the unreadable records of these kinds, once each; resolves when all answered or failed. */
export async function askUnreadable(scope: UnreadableScope, kinds: readonly UnreadableKind[]): Promise<void> {
  const { system, queries, askTimeoutMs } = scope;
  const ask = <M, R>(ref: Ref<M>, make: (replyTo: Ref<R>) => M) => system.query<M, R>(ref, make, askTimeoutMs);
  const lrpsPath = refPath(scope.lrps);
  const tasksPath = refPath(scope.tasks);
  const asks: Array<Promise<unknown>> = [];
  for (const kind of kinds) {
    for (const guid of queries.unreadable[kind]) {
      const held = kind === 'task' ? system.registry.quarantinedChildren(tasksPath).has(guid)
        : kind === 'lrp' ? system.registry.quarantinedChildren(lrpsPath).has(guid)
          : system.registry.quarantinedChildren(`${lrpsPath}/${guid}`).size > 0 || system.registry.quarantinedChildren(lrpsPath).has(guid);
      if (held) {
        queries.unreadable[kind].delete(guid);
        continue;
      }
      const answered = kind === 'lrp'
        ? ask<LrpsMsg, DesiredLRP | undefined>(scope.lrps, (r) => LrpsMsg.get(guid, r)).then((d) => d && queries.readFromActor('lrp', d))
        : kind === 'task'
          ? ask<TasksMsg, Task | undefined>(scope.tasks, (r) => TasksMsg.get(guid, r)).then((t) => t && queries.readFromActor('task', t))
          : ask<LrpsMsg, ActualLRP[]>(scope.lrps, (r) => LrpsMsg.actuals({ process_guid: guid }, r)).then((rows) => queries.readFromActor('instances', rows, guid));
      asks.push(answered.then(() => queries.unreadable[kind].delete(guid), () => undefined));
    }
  }
  await Promise.all(asks);
}
