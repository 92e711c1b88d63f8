/** The live containers of a backend, by handle: lookups, property filters, release on close. */
import type { Container } from './backend.js';
import { containerNotFound } from './errors.js';

export class ContainerTable<C extends Container & { release(): Promise<void> }> {
  private readonly live = new Map<string, C>();

  has(handle: string): boolean {
    return this.live.has(handle);
  }

  set(container: C): void {
    this.live.set(container.handle, container);
  }

  /** The container, or `ResourceNotFound`. */
  lookup(handle: string): C {
    const container = this.live.get(handle);
    if (!container) throw containerNotFound(handle);
    return container;
  }

  /** Takes the container out of the table (to destroy it), or `ResourceNotFound`. */
  take(handle: string): C {
    const container = this.lookup(handle);
    this.live.delete(handle);
    return container;
  }

  values(): IterableIterator<C> {
    return this.live.values();
  }

  /** Containers whose properties include every pair of `filter`. */
  async matching(filter: Record<string, string> = {}): Promise<C[]> {
    const wanted = Object.entries(filter);
    const found: C[] = [];
    for (const container of this.live.values()) {
      const { properties } = await container.info();
      if (wanted.every(([k, v]) => properties[k] === v)) found.push(container);
    }
    return found;
  }

  /** Stops following every container (they keep running for the next backend) and forgets them. */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((c) => c.release()));
    this.live.clear();
  }
}
