/**
 * The writes of a desire (lrps.ts, `lrps/desire`). The registry journals its `added` event and,
 * in the same turn, the new LRP's supervisor journal gets its first event, the DesiredLRP: the
 * two share a commit. The supervisor is spawned at once starting from that event (nothing to
 * read) with `lrp/create` first in its mailbox, so what comes for the LRP meanwhile waits behind
 * it; it answers once both writes are durable (DESIGN.md "Guarantees": a 2xx is durable), after
 * publishing the DesiredLRP (so the query index lists it), then starts the instances. Its
 * scheduling overlaps the commit instead of coming before it.
 */
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { Ref } from '../runtime/kernel/protocol.js';
import { AuctorError } from '../base/errors.js';
import type { DesiredLRP } from '../models/desired-lrp.js';
import { lrpSupervisorKey } from './lrp-supervisor.js';
import type { LrpSupervisorEvent } from './lrp-supervisor.journal.js';
import type { LrpSupervisorMsg } from './lrp-supervisor.protocol.js';
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
 * In the supervisor's `lrp/create`: whether the desire's writes are stored. If one failed it
 * answers 503 and has the registry forget the LRP (stopping this supervisor), so the same guid
 * can be desired again.
 */
export async function createdStored(
  system: ActorSystem, registry: Ref<LrpsMsg>, msg: Extract<LrpSupervisorMsg, { type: 'lrp/create' }>, start: SupervisorStart | undefined,
): Promise<boolean> {
  try {
    if (!start) throw new Error('its supervisor was not started from it');
    await start.written;
    return true;
  } catch (error) {
    system.dispatch(registry, { type: 'lrps/forget', process_guid: msg.desired.process_guid });
    system.dispatch(msg.replyTo, { ok: false, error: new AuctorError('Unavailable', `desired lrp ${msg.desired.process_guid} not stored: ${String(error)}`) });
    return false;
  }
}
