/**
 * The writes of a desire (lrps.ts, `lrps/desire`). The registry journals its `added` event and,
 * in the same turn, the new LRP's supervisor journal gets its first event, the DesiredLRP: the
 * two share a commit. The supervisor is spawned at once starting from that event (nothing to
 * read) with `lrp/create` first in its mailbox, so what comes for the LRP meanwhile waits behind
 * it. Once both writes are durable the registry publishes the DesiredLRP (so the query index
 * lists it) and answers (DESIGN.md "Guarantees": a 2xx is durable), without waiting for the
 * supervisor to be scheduled; then the supervisor, whose `lrp/create` waited for the same
 * writes, starts the instances.
 */
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import { AuctorError, ok, type Result } from '../base/errors.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { Events } from '../models/events.js';
import type { ControlDeps } from './control-deps.js';
import { lrpSupervisorKey } from './lrp-supervisor.js';
import type { LrpSupervisorEvent } from './lrp-supervisor.journal.js';
import type { LrpsMsg } from './lrps.protocol.js';

/** What a new LRP's supervisor starts from: the events `lrps` journals for it, and when they and the registry entry are stored. */
export interface SupervisorStart {
  events: LrpSupervisorEvent[];
  written: Promise<unknown>;
}

/**
 * Journals the new LRP's DesiredLRP as its supervisor's first event, in the turn of the
 * registry's write (`registered`); `written` resolves once both are durable.
 */
export function journalDesired(system: ActorSystem, desired: DesiredLRP, epoch: string, registered: Promise<unknown>): SupervisorStart {
  const events: LrpSupervisorEvent[] = [{ type: 'desired', desired }];
  return { events, written: Promise.all([system.journal(lrpSupervisorKey(desired.process_guid, epoch), events), registered]) };
}

/**
 * Once the desire's writes are durable: publishes the DesiredLRP, then answers. Called in the
 * registry's turn, before the supervisor awaits the same writes, so it publishes before any
 * instance exists. If a write failed the answer is 503 and the registry forgets the LRP
 * (stopping its supervisor), so the same guid can be desired again.
 */
export function answerOnceStored(
  system: ActorSystem, deps: ControlDeps, registry: Ref<LrpsMsg>, desired: DesiredLRP, start: SupervisorStart, replyTo: Ref<Result<DesiredLRP>>,
): void {
  start.written.then(
    () => {
      deps.events.publish(Events.desiredLrpCreated(desired));
      system.dispatch(replyTo, ok(desired));
    },
    (error: unknown) => {
      system.dispatch(registry, { type: 'lrps/forget', process_guid: desired.process_guid });
      system.dispatch(replyTo, { ok: false, error: new AuctorError('Unavailable', `desired lrp ${desired.process_guid} not stored: ${String(error)}`) });
    },
  );
}
