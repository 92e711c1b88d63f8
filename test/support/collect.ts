import type { EventStream, PersistedEvent } from '../../src/runtime/persistence/engine.js';

/** Drains an engine's event stream into an array. */
export async function collect(stream: EventStream): Promise<PersistedEvent[]> {
  const out: PersistedEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}
