/**
 * In-memory remoting: a hub joins several {@link Remoting} endpoints in one process, as gRPC
 * streams join node processes, with faults a test can inject: partitions, per-link delay, loss
 * on the wire, a dead endpoint (`kill`, as kill -9), an envelope from anyone (`inject`). It keeps
 * the interface's promises: `sendTo` throws a TypeError for an envelope with an empty `to` or
 * `type` (as the gRPC transport does), is false (and counts a drop) when the peer is unknown,
 * closed or partitioned away, or its bounded queue is full; envelopes between two endpoints arrive
 * in order and never synchronously; peers see each other come up and go down; a handler that
 * throws is recorded in `hub.handlerErrors`, so a test can assert nothing did. Delays run on the
 * hub's clock: a FakeClock makes them (and the `sent` log's times) move only with `advance`.
 */
import { systemClock, type Clock, type Timer } from '../../src/base/clock.js';
import { noRejections } from '../../src/runtime/remoting/rejections.js';
import type { Envelope, NodeIdentity, PeerEvent, Remoting, RemotingStats } from '../../src/runtime/remoting/types.js';

interface InFlight {
  envelope: Envelope;
  dueAt: number;
}

class Link {
  readonly queue: InFlight[] = [];
  head = 0;
  timer: Timer | undefined;

  constructor(readonly from: FakeRemoting, readonly to: FakeRemoting) {}

  get length(): number {
    return this.queue.length - this.head;
  }
}

export interface EndpointOptions {
  incarnation?: number;
  /** where peers reach it; default a fresh `<name>.fake:<n>`. A killed or closed endpoint's address may be reused. */
  address?: string;
  /** envelopes queued toward one peer before `sendTo` refuses; default 100 000 */
  queueLimit?: number;
}

/** Decides whether an envelope in flight is lost on the wire (after `sendTo` said true). */
export type DropRule = (envelope: Envelope, from: NodeIdentity, to: NodeIdentity) => boolean;

/** One envelope an endpoint handed to `sendTo`, delivered or not. */
export interface SentEnvelope {
  from: string;
  /** the address it was sent to */
  to: string;
  type: string;
  /** the hub clock's time */
  at: number;
}

export class FakeRemotingHub {
  /** what endpoint handlers threw; a correct receiver leaves this empty */
  readonly handlerErrors: unknown[] = [];
  /** envelopes lost after `sendTo` accepted them (partition or peer gone meanwhile, or a drop rule) */
  lost = 0;
  /** every envelope an open endpoint sent, delivered or not */
  readonly sent: SentEnvelope[] = [];
  private readonly clock: Clock;
  private readonly byAddress = new Map<string, FakeRemoting>();
  private readonly links = new Map<string, Link>();
  private readonly partitions = new Set<string>();
  private readonly delays = new Map<string, number>();
  private readonly dropRules = new Set<DropRule>();
  private nextPort = 1;
  private nextIncarnation = Date.now();

  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** A new endpoint for node `name`; throws if an open endpoint has its address. */
  endpoint(name: string, options: EndpointOptions = {}): FakeRemoting {
    const address = options.address ?? `${name}.fake:${this.nextPort++}`;
    const existing = this.byAddress.get(address);
    if (existing) throw new Error(`address ${address} is in use by ${existing.self.name}`);
    const self: NodeIdentity = { name, incarnation: options.incarnation ?? this.nextIncarnation++, address };
    const endpoint = new FakeRemoting(this, self, options.queueLimit ?? 100_000);
    for (const peer of this.byAddress.values()) {
      peer.emitPeer({ type: 'up', peer: self });
      endpoint.emitPeer({ type: 'up', peer: peer.self });
    }
    this.byAddress.set(self.address, endpoint);
    return endpoint;
  }

  /** Identities of the open endpoints, for a static node directory. */
  identities(): NodeIdentity[] {
    return [...this.byAddress.values()].map((e) => ({ ...e.self }));
  }

  /** Cuts the link between nodes `a` and `b` (both ways): sends refuse, envelopes in flight are lost. */
  partition(a: string, b: string): void {
    this.partitions.add(pairKey(a, b));
    this.forPair(a, b, (x, y) => x.emitPeer({ type: 'down', peer: y.self, reason: 'partitioned' }));
  }

  heal(a: string, b: string): void {
    if (!this.partitions.delete(pairKey(a, b))) return;
    this.forPair(a, b, (x, y) => x.emitPeer({ type: 'up', peer: y.self }));
  }

  /** Envelopes from node `from` to node `to` arrive `ms` later (order kept; 0 removes the delay). */
  delay(from: string, to: string, ms: number): void {
    if (ms > 0) this.delays.set(`${from}>${to}`, ms);
    else this.delays.delete(`${from}>${to}`);
  }

  /** Loses envelopes on the wire while `rule` says so; the result removes the rule. */
  dropWhere(rule: DropRule): () => void {
    this.dropRules.add(rule);
    return () => this.dropRules.delete(rule);
  }

  /** Delivers `envelope` to the open endpoint at `address` now, as if `from` (an authenticated peer) had sent it. */
  inject(from: NodeIdentity, address: string, envelope: Envelope): void {
    this.byAddress.get(address)?.receive(envelope, from);
  }

  /** When the envelopes of `type` that node `from` sent to `address` were sent. */
  sendTimes(from: string, address: string, type: string): number[] {
    return this.sent.filter((s) => s.from === from && s.to === address && s.type === type).map((s) => s.at);
  }

  /** Closes every endpoint. */
  async close(): Promise<void> {
    await Promise.all([...this.byAddress.values()].map((e) => e.close()));
  }

  /** @internal */
  send(from: FakeRemoting, address: string, envelope: Envelope): boolean {
    this.sent.push({ from: from.self.name, to: address, type: envelope.type, at: this.clock.now() });
    const to = this.byAddress.get(address);
    if (!to || this.isPartitioned(from.self.name, to.self.name)) return false;
    const key = `${from.self.address}>${address}`;
    let link = this.links.get(key);
    if (!link) this.links.set(key, (link = new Link(from, to)));
    if (link.length >= from.queueLimit) return false;
    // the wire copies: the sender may reuse its buffer
    const copy: Envelope = { ...envelope, body: envelope.body instanceof Uint8Array ? envelope.body.slice() : envelope.body };
    link.queue.push({ envelope: copy, dueAt: this.clock.now() + (this.delays.get(`${from.self.name}>${to.self.name}`) ?? 0) });
    this.schedule(link);
    return true;
  }

  /** @internal Delivers what `from` has queued at once (its close flushes), or discards it (a kill). */
  drain(from: FakeRemoting, deliver: boolean): void {
    for (const [key, link] of this.links) {
      if (link.from !== from && link.to !== from) continue;
      link.timer?.cancel();
      link.timer = undefined;
      if (deliver && link.from === from) for (const item of link.queue.slice(link.head)) this.deliver(link, item.envelope);
      else this.lost += link.length;
      this.links.delete(key);
    }
  }

  /** @internal */
  remove(endpoint: FakeRemoting, reason: string): void {
    if (this.byAddress.get(endpoint.self.address) !== endpoint) return;
    this.byAddress.delete(endpoint.self.address);
    for (const peer of this.byAddress.values()) peer.emitPeer({ type: 'down', peer: endpoint.self, reason });
  }

  /** @internal */
  recordHandlerError(error: unknown): void {
    this.handlerErrors.push(error);
  }

  private schedule(link: Link): void {
    if (link.timer || link.length === 0) return;
    const wait = link.queue[link.head]!.dueAt - this.clock.now();
    const flush = () => {
      link.timer = undefined;
      const now = this.clock.now();
      while (link.length > 0 && link.queue[link.head]!.dueAt <= now) this.deliver(link, link.queue[link.head++]!.envelope);
      if (link.head > 1024 && link.head * 2 > link.queue.length) {
        link.queue.splice(0, link.head);
        link.head = 0;
      }
      this.schedule(link);
    };
    if (wait <= 0) {
      const handle = setImmediate(flush);
      link.timer = { cancel: () => clearImmediate(handle) };
    } else {
      link.timer = this.clock.setTimeout(flush, wait);
    }
  }

  private deliver(link: Link, envelope: Envelope): void {
    const { from, to } = link;
    if (to.closed || this.byAddress.get(to.self.address) !== to || this.isPartitioned(from.self.name, to.self.name)) {
      this.lost++;
      return;
    }
    for (const rule of this.dropRules) {
      if (rule(envelope, from.self, to.self)) {
        this.lost++;
        return;
      }
    }
    to.receive(envelope, from.self);
  }

  private isPartitioned(a: string, b: string): boolean {
    return this.partitions.size > 0 && this.partitions.has(pairKey(a, b));
  }

  private forPair(a: string, b: string, f: (x: FakeRemoting, y: FakeRemoting) => void): void {
    const named = (name: string) => [...this.byAddress.values()].filter((e) => e.self.name === name);
    for (const x of named(a)) for (const y of named(b)) {
      f(x, y);
      f(y, x);
    }
  }
}

export class FakeRemoting implements Remoting {
  closed = false;
  private readonly envelopeHandlers = new Set<(envelope: Envelope, from: NodeIdentity) => void>();
  private readonly peerHandlers = new Set<(event: PeerEvent) => void>();
  private readonly counts = { sent: 0, received: 0, dropped: 0, malformed: 0 };

  constructor(private readonly hub: FakeRemotingHub, readonly self: NodeIdentity, readonly queueLimit: number) {}

  sendTo(address: string, envelope: Envelope): boolean {
    // as the gRPC transport: an envelope it cannot carry is the caller's bug
    if (typeof envelope.to !== 'string' || envelope.to === '' || typeof envelope.type !== 'string' || envelope.type === '') {
      throw new TypeError('envelope.to and envelope.type must be non-empty strings');
    }
    if (!this.closed && this.hub.send(this, address, envelope)) {
      this.counts.sent++;
      return true;
    }
    this.counts.dropped++;
    return false;
  }

  onEnvelope(handler: (envelope: Envelope, from: NodeIdentity) => void): () => void {
    this.envelopeHandlers.add(handler);
    return () => this.envelopeHandlers.delete(handler);
  }

  onPeer(handler: (event: PeerEvent) => void): () => void {
    this.peerHandlers.add(handler);
    return () => this.peerHandlers.delete(handler);
  }

  stats(): RemotingStats {
    return { ...this.counts, rejected: noRejections() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.hub.drain(this, true);
    this.closed = true;
    this.hub.remove(this, 'closed');
  }

  /** Handlers listening now: a test checks a stopped user let go of its subscription. */
  get listeners(): number {
    return this.envelopeHandlers.size;
  }

  /** Dies at once, like kill -9: what it had queued is lost, peers see it go down. */
  kill(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.drain(this, false);
    this.hub.remove(this, 'killed');
  }

  /** @internal an envelope off the wire: the shape a real transport's decoder guarantees, or counted malformed */
  receive(envelope: Envelope, from: NodeIdentity): void {
    if (typeof envelope.to !== 'string' || typeof envelope.type !== 'string' || !(envelope.body instanceof Uint8Array)) {
      this.counts.malformed++;
      return;
    }
    this.counts.received++;
    for (const handler of this.envelopeHandlers) {
      try {
        handler(envelope, from);
      } catch (error) {
        this.hub.recordHandlerError(error);
      }
    }
  }

  /** @internal */
  emitPeer(event: PeerEvent): void {
    for (const handler of this.peerHandlers) {
      try {
        handler(event);
      } catch (error) {
        this.hub.recordHandlerError(error);
      }
    }
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
