/**
 * The runtime's own key space beside the journals: small records the kernel keeps for itself
 * (the index of virtual children, durable timers; docs/011 "Virtual actors"), in the same
 * storage as the journals so they survive a node restart with them. Keys are strings compared
 * bytewise, so one prefix is one contiguous range; reads are synchronous (LMDB reads are), writes
 * resolve once durable.
 */

/** One record of a range read. */
export interface RuntimeRecord<V = unknown> {
  key: string;
  value: V;
}

export interface RuntimeStore {
  /** The value under `key`, or undefined. */
  get<V = unknown>(key: string): V | undefined;
  /** Stores `value` under `key`; resolves once durable. */
  put(key: string, value: unknown): Promise<void>;
  /** Removes `key`; resolves once durable (a missing key is no error). */
  remove(key: string): Promise<void>;
  /**
   * Records whose key starts with `prefix`, ascending, those after `after` (exclusive) only,
   * at most `limit` of them.
   */
  range<V = unknown>(prefix: string, options?: { after?: string; limit?: number }): Array<RuntimeRecord<V>>;
  /** How many keys start with `prefix`. */
  count(prefix: string): number;
}

/** The smallest string above every key starting with `prefix`: the end of its range. */
export function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}

/** A {@link RuntimeStore} in memory, for the memory engine (tests). Values are cloned in and out. */
export class MemoryRuntimeStore implements RuntimeStore {
  private readonly records = new Map<string, unknown>();
  private sorted: string[] | undefined;

  get<V>(key: string): V | undefined {
    const value = this.records.get(key);
    return value === undefined ? undefined : (structuredClone(value) as V);
  }

  async put(key: string, value: unknown): Promise<void> {
    if (!this.records.has(key)) this.sorted = undefined;
    this.records.set(key, structuredClone(value));
  }

  async remove(key: string): Promise<void> {
    if (this.records.delete(key)) this.sorted = undefined;
  }

  range<V>(prefix: string, options: { after?: string; limit?: number } = {}): Array<RuntimeRecord<V>> {
    const keys = (this.sorted ??= [...this.records.keys()].sort(bytewise));
    const out: Array<RuntimeRecord<V>> = [];
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    for (const key of keys) {
      if (out.length >= limit) break;
      if (!key.startsWith(prefix) || (options.after !== undefined && key <= options.after)) continue;
      out.push({ key, value: structuredClone(this.records.get(key)) as V });
    }
    return out;
  }

  count(prefix: string): number {
    let n = 0;
    for (const key of this.records.keys()) if (key.startsWith(prefix)) n += 1;
    return n;
  }
}

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
