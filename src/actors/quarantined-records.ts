/**
 * Records whose actor was quarantined (docs/020-control.md "Quarantine"): a DesiredLRP, an
 * ActualLRP index or a Task whose actor spent its restart intensity, typically because its
 * journal fails on replay. The kernel keeps them (registry.ts); this is how the control side
 * names them, answers for them and removes them.
 */
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { QuarantinedActor } from '../runtime/kernel/registry.js';
import { AuctorError } from '../base/errors.js';
import { msToNs } from '../models/time.js';
import { actualLrpKey } from './actual-lrp.rows.js';

export type QuarantinedKind = 'desired_lrp' | 'actual_lrp' | 'task';

export const QUARANTINED_KINDS: readonly QuarantinedKind[] = ['desired_lrp', 'actual_lrp', 'task'];

/** One quarantined record as `GET /v1/quarantine` shows it. */
export interface QuarantinedRecord {
  /** `desired_lrp`, `actual_lrp`, `task`, or the actor's kind for anything else */
  kind: QuarantinedKind | string;
  /** process guid, `<process guid>/<index>`, task guid (the actor's path for anything else) */
  key: string;
  /** the failure that spent its restarts */
  error: string;
  /** when it was quarantined, ns since the epoch */
  since: number;
  /** its place in the supervision tree (`/control/lrps/<guid>`) */
  actor: string;
}

const ACTOR_KINDS: Record<string, QuarantinedKind> = { 'lrp-supervisor': 'desired_lrp', 'actual-lrp': 'actual_lrp', task: 'task' };
const WORDS: Record<QuarantinedKind, string> = { desired_lrp: 'desired lrp', actual_lrp: 'actual lrp', task: 'task' };

/** The answer for a quarantined record: `ResourceQuarantined` (409) naming it and why. */
export function quarantinedError(kind: QuarantinedKind, key: string, marked: QuarantinedActor): AuctorError {
  return new AuctorError('ResourceQuarantined', `${WORDS[kind]} quarantined: ${key}: ${marked.failure.message} (DELETE it to remove it)`);
}

/** Every quarantined actor of the node as a record, by actor path. */
export function quarantinedRecords(system: ActorSystem): QuarantinedRecord[] {
  return system.registry.allQuarantined().map((q) => {
    const kind = ACTOR_KINDS[q.kind];
    const parentName = q.parent?.slice(q.parent.lastIndexOf('/') + 1);
    const key = kind === 'actual_lrp' ? `${parentName}/${q.name}` : kind ? q.name : q.path;
    return { kind: kind ?? q.kind, key, error: q.failure.message, since: msToNs(q.failure.at), actor: q.path };
  });
}

/**
 * Releases a quarantined DesiredLRP and deletes its journals: its supervisor's and every
 * instance's (the supervisor could not say which indices it had). Its registry entry is the caller's.
 */
export async function releaseLrp(system: ActorSystem, supervisorPath: string, processGuid: string, epoch: string): Promise<void> {
  await system.release(supervisorPath, { deleteJournal: true });
  const instanceKey = actualLrpKey(processGuid, epoch, 0);
  await system.deleteJournalsWithPrefix(instanceKey.slice(0, instanceKey.lastIndexOf('/') + 1));
}
