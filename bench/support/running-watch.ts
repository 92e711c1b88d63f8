/**
 * Which instances a control node has made RUNNING, as a client learns it: from the node's event
 * stream (`GET /v1/events?types=actual_lrp_instance_changed`), an instance counting from the
 * first event whose `after` is its ORDINARY row RUNNING. Should the node drop the stream (a
 * subscriber too slow for its backlog), the watch subscribes again and lists the actuals once
 * to catch up (`resyncs`).
 */
import { http } from '../../test/support/gateway-node.js';
import { SseClient, type SseEvent } from '../../test/support/sse.js';

interface Row {
  process_guid: string;
  index: number;
  state: string;
  presence: string;
}

export class RunningWatch {
  /** `process_guid/index` of every instance seen RUNNING, with when (performance.now()) */
  readonly runningAt = new Map<string, number>();
  resyncs = 0;
  private client: SseClient | undefined;
  private closed = false;
  private readonly waiters = new Set<{ done: () => boolean; resolve: () => void }>();

  private constructor(private readonly url: string) {}

  static async open(url: string): Promise<RunningWatch> {
    const watch = new RunningWatch(url);
    await watch.subscribe();
    return watch;
  }

  get running(): number {
    return this.runningAt.size;
  }

  /** Resolves once `done()` holds (checked after every event); rejects at `deadline` (performance.now()). */
  until(done: () => boolean, deadline: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${what}: not within the time left`));
      }, Math.max(0, deadline - performance.now()));
      const waiter = { done, resolve: () => (clearTimeout(timer), resolve()) };
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return this.client?.close() ?? Promise.resolve();
  }

  private async subscribe(): Promise<void> {
    const client = await SseClient.open(`${this.url}/v1/events?types=actual_lrp_instance_changed`, {}, { keep: false, onEvent: (e) => this.onEvent(e) });
    if (client.status !== 200) throw new Error(`GET /v1/events: ${client.status} ${client.body}`);
    this.client = client;
    void client.ended.then(() => this.reconnect());
  }

  private async reconnect(): Promise<void> {
    if (this.closed) return;
    this.resyncs++;
    process.stderr.write('the event stream ended; subscribing again and listing the actuals\n');
    try {
      await this.subscribe();
      const listed = await http(this.url, 'GET', '/v1/actual_lrps');
      for (const row of listed.json as Row[]) this.seen(row);
      this.check();
    } catch (error) {
      if (!this.closed) process.stderr.write(`could not subscribe again: ${(error as Error).message}\n`);
    }
  }

  private onEvent(e: SseEvent): void {
    this.seen((JSON.parse(e.data) as { after: Row }).after);
    this.check();
  }

  private seen(row: Row): void {
    if (row.state !== 'RUNNING' || row.presence !== 'ORDINARY') return;
    const key = `${row.process_guid}/${row.index}`;
    if (!this.runningAt.has(key)) this.runningAt.set(key, performance.now());
  }

  private check(): void {
    for (const waiter of this.waiters) {
      if (!waiter.done()) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
