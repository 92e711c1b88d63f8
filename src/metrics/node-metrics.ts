/**
 * One node's metrics (docs/033-metrics.md): its own prom-client Registry, never the global one,
 * so several nodes or tests in one process do not share series. It holds the control sink
 * (`control`), the actor-system and event-loop figures, and the gateway's request latency.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Control } from '../actors/control.js';
import type { ActorSystem } from '../runtime/kernel/system.js';
import type { RemotingStats } from '../runtime/remoting/types.js';
import { PromControlMetrics } from './control-metrics.js';

const LAG_RESOLUTION_MS = 10;

export interface NodeMetricsOptions {
  system: ActorSystem;
  /**
   * prom-client's process figures (`process_*`, `nodejs_*`): one set per process, and they
   * cannot be switched off again, so only a node that owns its process turns them on.
   */
  processMetrics?: boolean;
  /** how long a scrape waits for Control's rows; default 2 s */
  scrapeTimeoutMs?: number;
}

export class NodeMetrics {
  readonly registry = new Registry();
  /** the sink the control actors feed (ControlDeps.metrics) */
  readonly control: PromControlMetrics;
  private readonly system: ActorSystem;
  private readonly scrapeTimeoutMs: number;
  private watched: Control | undefined;
  private remoting: { stats(): RemotingStats } | undefined;
  private readonly loop: IntervalHistogram;
  private readonly actors: Gauge;
  private readonly mailbox: Gauge;
  private readonly mailboxMax: Gauge;
  private readonly restarts: Gauge;
  private readonly lag: Record<'p50' | 'p99' | 'max', Gauge>;
  private readonly http: Histogram;

  constructor(options: NodeMetricsOptions) {
    this.system = options.system;
    this.scrapeTimeoutMs = options.scrapeTimeoutMs ?? 2_000;
    const registers = [this.registry];
    this.control = new PromControlMetrics(this.registry);
    this.actors = new Gauge({ name: 'auctor_actors', help: 'Live actors, by kind', labelNames: ['kind'], registers });
    this.mailbox = new Gauge({ name: 'auctor_actor_mailbox_messages', help: 'Messages waiting in the live actors\' mailboxes, by kind', labelNames: ['kind'], registers });
    this.mailboxMax = new Gauge({ name: 'auctor_actor_mailbox_max_messages', help: 'The longest mailbox of any live actor', registers });
    this.restarts = new Gauge({ name: 'auctor_actor_restarts', help: 'Restarts of the live actors, by kind (a stopped actor\'s restarts leave the sum)', labelNames: ['kind'], registers });
    const system = this.system;
    new Counter({
      name: 'auctor_actor_dead_letters_total',
      help: 'Messages sent to actors that had stopped or never existed',
      registers,
      collect() {
        this.reset();
        this.inc(system.registry.deadLetters);
      },
    });
    const node = this;
    new Counter({
      name: 'auctor_remoting_rejected_connections_total',
      help: 'Streams to the remoting port refused before they authenticated, by reason (bad-proof, protocol-mismatch, malformed, timeout, abandoned)',
      labelNames: ['reason'],
      registers,
      collect() {
        const rejected = node.remoting?.stats().rejected;
        if (!rejected) return;
        this.reset();
        for (const [reason, count] of Object.entries(rejected)) this.inc({ reason }, count);
      },
    });
    this.loop = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
    this.loop.enable();
    this.lag = {
      p50: new Gauge({ name: 'auctor_event_loop_lag_p50_seconds', help: 'Median event-loop delay since the previous scrape', registers }),
      p99: new Gauge({ name: 'auctor_event_loop_lag_p99_seconds', help: '99th percentile event-loop delay since the previous scrape', registers }),
      max: new Gauge({ name: 'auctor_event_loop_lag_max_seconds', help: 'Longest event-loop delay since the previous scrape', registers }),
    };
    this.http = new Histogram({
      name: 'auctor_http_request_duration_seconds',
      help: 'Gateway requests by method, route pattern and status (RequestLatency, RequestCount)',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** From now on a scrape counts LRPs and tasks from `control`'s rows. */
  watchControl(control: Control): void {
    this.watched = control;
  }

  /** From now on a scrape reads the remoting layer's counters (refused streams). */
  watchRemoting(remoting: { stats(): RemotingStats }): void {
    this.remoting = remoting;
  }

  /** One gateway request: `route` is the route pattern (bounded), never the raw URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  /** The Prometheus text of every figure, the scrape-time ones refreshed first. */
  async scrape(): Promise<string> {
    if (this.watched) await this.control.refresh(this.watched, this.scrapeTimeoutMs);
    this.refreshActors();
    this.refreshLag();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Stops the event-loop monitors; the registry stays readable. */
  close(): void {
    this.loop.disable();
    this.control.close();
  }

  private refreshActors(): void {
    const byKind = new Map<string, { actors: number; mailbox: number; restarts: number }>();
    let longest = 0;
    this.system.registry.tally((kind, mailbox, restarts) => {
      const k = byKind.get(kind) ?? { actors: 0, mailbox: 0, restarts: 0 };
      k.actors += 1;
      k.mailbox += mailbox;
      k.restarts += restarts;
      byKind.set(kind, k);
      longest = Math.max(longest, mailbox);
    });
    // kinds with no live actor left drop out rather than linger at their last value
    for (const g of [this.actors, this.mailbox, this.restarts]) g.reset();
    for (const [kind, k] of byKind) {
      this.actors.set({ kind }, k.actors);
      this.mailbox.set({ kind }, k.mailbox);
      this.restarts.set({ kind }, k.restarts);
    }
    this.mailboxMax.set(longest);
  }

  private refreshLag(): void {
    // the monitor records whole timer intervals: the delay is what exceeds the resolution
    // (no sample since the last reset, e.g. a scrape right after another: no delay)
    const delay = (ns: number) => (this.loop.count === 0 ? 0 : Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) / 1000);
    this.lag.p50.set(delay(this.loop.percentile(50)));
    this.lag.p99.set(delay(this.loop.percentile(99)));
    this.lag.max.set(delay(this.loop.max));
    this.loop.reset();
  }
}
