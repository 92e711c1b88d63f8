/**
 * Host ports for container ports. A port is handed out only if nothing else holds it: not
 * another container of this backend (including containers adopted after a restart) and not any
 * process on the machine (checked by binding it). Destroying a container frees its ports.
 */
import { createServer } from 'node:net';

export interface PortRange {
  from: number;
  to: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { from: 61000, to: 62999 };

export class PortAllocator {
  private readonly taken = new Set<number>();
  private next: number;

  /**
   * `spread` (e.g. the node name) picks where in the range the search starts, so several cells
   * on one machine rarely probe the same port at the same moment (the bind check alone cannot
   * stop two processes handing out one port they both found free).
   */
  constructor(private readonly range: PortRange = DEFAULT_PORT_RANGE, spread = '') {
    if (range.from < 1 || range.to > 65535 || range.from > range.to) throw new Error(`invalid port range ${range.from}-${range.to}`);
    this.next = range.from + (spread === '' ? 0 : hashOf(spread) % (range.to - range.from + 1));
  }

  /** Marks ports as in use (a container found on disk). */
  reserve(ports: number[]): void {
    for (const p of ports) this.taken.add(p);
  }

  release(ports: number[]): void {
    for (const p of ports) this.taken.delete(p);
  }

  get inUse(): number {
    return this.taken.size;
  }

  /** `count` free ports, taken together or not at all. */
  async allocate(count: number): Promise<number[]> {
    const got: number[] = [];
    const size = this.range.to - this.range.from + 1;
    try {
      for (let tried = 0; got.length < count; tried++) {
        if (tried >= size) throw new Error(`no free host port in ${this.range.from}-${this.range.to}`);
        const port = this.next;
        this.next = port >= this.range.to ? this.range.from : port + 1;
        if (this.taken.has(port)) continue;
        // hold it before the async check so a concurrent allocate cannot hand it out too
        this.taken.add(port);
        if (await isFree(port)) got.push(port);
        else this.taken.delete(port);
      }
      return got;
    } catch (error) {
      this.release(got);
      throw error;
    }
  }
}

/** FNV-1a of `text`: a stable, well-spread start offset. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
