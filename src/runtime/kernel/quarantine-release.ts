/**
 * Releasing a quarantined actor (docs/011-actor-kernel.md "Quarantine") and deleting journals
 * for it: what `ActorSystem.release` and `deleteJournalsWithPrefix` do. A journal that cannot
 * even be deleted (a key LMDB refuses) is logged, never thrown: it must not keep the record.
 */
import type { PersistenceEngine } from '../persistence/engine.js';
import type { Logger } from '../../base/logger.js';
import { describeError, type ActorRegistry, type QuarantinedActor } from './registry.js';

export async function releaseQuarantined(
  registry: ActorRegistry, engine: PersistenceEngine | undefined, log: Logger, path: string, deleteJournal: boolean,
): Promise<QuarantinedActor | undefined> {
  const marked = registry.quarantined(path);
  if (!marked) return undefined;
  const key = marked.persistenceKey;
  if (deleteJournal && key !== undefined && engine) {
    await engine.deleteJournal(key).catch((error: unknown) => log.error({ actor: path, key, error: describeError(error) }, 'actor.journal-delete-failed'));
  }
  registry.release(path);
  log.info({ actor: path, kind: marked.kind, journal_deleted: deleteJournal }, 'actor.released');
  return marked;
}

export async function deleteJournalsWithPrefix(engine: PersistenceEngine | undefined, log: Logger, prefix: string): Promise<number> {
  try {
    return (await engine?.deleteJournalsWithPrefix(prefix)) ?? 0;
  } catch (error) {
    log.error({ prefix, error: describeError(error) }, 'actor.journal-delete-failed');
    return 0;
  }
}
