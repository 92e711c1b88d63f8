/**
 * Reaching into a node's journals from a test: the next free sequence number of a key, an event
 * appended behind the actors' back (a record that fails on replay), and the epoch a registry
 * (`lrps`, `tasks`) holds for a guid.
 */
import { persistedEvent, type PersistenceEngine } from '../../src/runtime/persistence/engine.js';

/** The highest sequence number stored for `key` (snapshots included); 0 when none. */
export async function lastSequence(engine: PersistenceEngine, key: string): Promise<number> {
  let last = (await engine.latestSnapshot(key))?.sequenceNumber ?? 0;
  for await (const event of engine.events(key, last)) last = event.sequenceNumber;
  return last;
}

/**
 * Appends `data` as the next event of `key`. `null` is an event every actor's `applyEvent` fails
 * on (`e.type` of null), so the actor's replay throws.
 */
export async function appendEvent(engine: PersistenceEngine, key: string, data: unknown = null): Promise<void> {
  await engine.persist(persistedEvent(key, (await lastSequence(engine, key)) + 1, data));
}

/** The epoch the registry journaled at `key` (`lrps` or `tasks`) holds for `guid`. */
export async function registryEpoch(engine: PersistenceEngine, key: 'lrps' | 'tasks', guid: string): Promise<string> {
  const field = key === 'lrps' ? 'process_guid' : 'task_guid';
  const snapshot = await engine.latestSnapshot(key);
  const entries = (snapshot?.data as Record<string, Record<string, string>> | undefined)?.[key] ?? {};
  let epoch: string | undefined = entries[guid];
  for await (const event of engine.events(key, snapshot?.sequenceNumber ?? 0)) {
    const e = event.data as { type: string; epoch?: string } & Record<string, string>;
    if (e[field] !== guid) continue;
    epoch = e.type === 'added' ? e.epoch : undefined;
  }
  if (epoch === undefined) throw new Error(`${key} holds no ${guid}`);
  return epoch;
}
