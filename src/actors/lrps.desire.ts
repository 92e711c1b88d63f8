/**
 * The writes of a desire (lrps.ts, `lrps/desire`). The registry journals its `added` event and,
 * in the same turn, the new LRP's supervisor journal gets its first event, the DesiredLRP: the
 * two share a commit. The supervisor is spawned at once starting from that event (nothing to
 * read), so what comes for the LRP meanwhile waits in its mailbox; the caller hears once both
 * writes are durable, without waiting for the supervisor to run (DESIGN.md "Guarantees": a 2xx
 * is durable). Before that answer the DesiredLRP is published (the query index lists it) and the
 * supervisor is told to start its instances.
 */
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import { AuctorError, ok, type Result } from '../base/errors.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { Events } from '../models/events.js';
import type { ControlDeps } from './control-deps.js';
import { lrpSupervisorKey } from './lrp-supervisor.js';
import type { LrpSupervisorEvent } from './lrp-supervisor.journal.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
import type { LrpsMsg } from './lrps.protocol.js';

/** What a new LRP's supervisor starts from: the events `lrps` journals for it, and their write. */
export interface SupervisorStart {
  events: LrpSupervisorEvent[];
  written: Promise<void>;
}

/** Journals the new LRP's DesiredLRP as its supervisor's first event (call in the turn of the registry's write). */
export function journalDesired(system: ActorSystem, desired: DesiredLRP, epoch: string): SupervisorStart {
  const events: LrpSupervisorEvent[] = [{ type: 'desired', desired }];
  return { events, written: system.journal(lrpSupervisorKey(desired.process_guid, epoch), events) };
}

/**
 * Once `stored` (both writes) resolves: publishes the DesiredLRP, has the supervisor start its
 * instances, then answers. If a write failed the answer is 503 and the registry forgets the
 * LRP (stopping its supervisor), so the same guid can be desired again.
 */
export function answerOnceStored(
  system: ActorSystem, deps: ControlDeps, registry: Ref<LrpsMsg>, desired: DesiredLRP, supervisor: Ref<LrpSupervisorMsg>,
  stored: Promise<unknown>, replyTo: Ref<Result<DesiredLRP>>,
): void {
  stored.then(
    () => {
      deps.events.publish(Events.desiredLrpCreated(desired));
      system.dispatch(supervisor, { type: 'lrp/create', desired });
      system.dispatch(replyTo, ok(desired));
    },
    (error: unknown) => {
      system.dispatch(registry, { type: 'lrps/forget', process_guid: desired.process_guid });
      system.dispatch(replyTo, { ok: false, error: new AuctorError('Unavailable', `desired lrp ${desired.process_guid} not stored: ${String(error)}`) });
    },
  );
}
