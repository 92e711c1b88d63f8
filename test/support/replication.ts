/** Helpers for the replication tests: an in-memory transport between nodes, and a store's whole contents. */
import type { ReplicaAddress, ReplicationMessage, ReplicationTransport } from '../../src/runtime/persistence/replication.js';
import type { ReplicationLog } from '../../src/runtime/persistence/replication-log.js';

/** Nodes that pass messages on the next turn, in order; a node `cut` off drops what it sends and is sent. */
export class MemoryNetwork {
  private readonly handlers = new Map<string, Set<(message: ReplicationMessage, from: ReplicaAddress) => void>>();
  readonly cut = new Set<string>();
  /** messages held back for a node while it is `held` (delivered on release) */
  private readonly held = new Map<string, Array<() => void>>();

  transport(name: string): ReplicationTransport {
    const self = { name, address: name };
    return {
      self,
      send: (address, message) => {
        if (this.cut.has(name) || this.cut.has(address)) return false;
        const drop = this.drops.get(address);
        if (drop && drop.type === message.type && drop.count > 0) {
          drop.count -= 1; // lost with a broken stream: the sender believes it sent
          return true;
        }
        const copy = structuredClone(message);
        const deliver = () => {
          if (this.cut.has(address)) return;
          for (const handler of this.handlers.get(address) ?? []) handler(copy, self);
        };
        const queue = this.held.get(address);
        if (queue) queue.push(deliver);
        else setImmediate(deliver);
        return true;
      },
      onMessage: (handler) => {
        const set = this.handlers.get(name) ?? new Set();
        this.handlers.set(name, set);
        set.add(handler);
        return () => set.delete(handler);
      },
    };
  }

  private readonly drops = new Map<string, { type: ReplicationMessage['type']; count: number }>();

  /** Loses the next `count` messages of `type` sent to `name`. */
  dropNext(name: string, type: ReplicationMessage['type'], count = 1): void {
    this.drops.set(name, { type, count });
  }

  hold(name: string): void {
    this.held.set(name, []);
  }

  release(name: string): void {
    const queue = this.held.get(name) ?? [];
    this.held.delete(name);
    for (const deliver of queue) setImmediate(deliver);
  }
}

/** Every record a store holds, in key order: events, snapshots, runtime records. */
export function storeContents(log: ReplicationLog): { events: unknown[]; snapshots: unknown[]; runtime: unknown[] } {
  const all = (db: { getRange(options: object): Iterable<{ key: unknown; value: unknown }> }) => [...db.getRange({})].map(({ key, value }) => [key, value]);
  return { events: all(log.dbs.events), snapshots: all(log.dbs.snapshots), runtime: all(log.dbs.runtime) };
}
