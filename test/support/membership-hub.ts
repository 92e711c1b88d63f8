/**
 * An in-memory network of Remoting endpoints for membership tests, with faults a test injects:
 * partition two nodes (both directions), delay or drop what one sends to another, crash a node
 * (it stops sending and receiving, and says no goodbye). Delivery is asynchronous (a microtask,
 * or the hub's clock for delays), and bodies are copied, as a real transport would.
 */
import type { Clock } from '../../src/actors/kernel/clock.js';
import type { Envelope, NodeIdentity, PeerEvent, Remoting } from '../../src/remoting/types.js';

export interface SentEnvelope {
  from: string;
  to: string;
  type: string;
  at: number;
}

export class MembershipHub {
  private readonly endpoints = new Map<string, HubEndpoint>();
  private readonly cuts = new Set<string>();
  private readonly delays = new Map<string, number>();
  private readonly drops = new Set<string>();
  /** every envelope sent through the hub, delivered or not */
  readonly sent: SentEnvelope[] = [];

  constructor(private readonly clock: Clock) {}

  /** A node's endpoint at `address` (default `<name>:7777`); replaces a crashed one at that address. */
  endpoint(name: string, incarnation: number, address = `${name}:7777`): HubEndpoint {
    const existing = this.endpoints.get(address);
    if (existing && !existing.closed) throw new Error(`address ${address} is in use by ${existing.self.name}`);
    const endpoint = new HubEndpoint(this, { name, incarnation, address });
    this.endpoints.set(address, endpoint);
    return endpoint;
  }

  /** Nothing passes between `a` and `b` (node names) until {@link heal}. */
  partition(a: string, b: string): void {
    this.cuts.add(pair(a, b));
  }

  heal(a: string, b: string): void {
    this.cuts.delete(pair(a, b));
  }

  /** What `from` sends to `to` arrives `ms` later (0 removes the delay). */
  delay(from: string, to: string, ms: number): void {
    if (ms > 0) this.delays.set(`${from}>${to}`, ms);
    else this.delays.delete(`${from}>${to}`);
  }

  /** What `from` sends to `to` is lost while `on`. */
  drop(from: string, to: string, on = true): void {
    if (on) this.drops.add(`${from}>${to}`);
    else this.drops.delete(`${from}>${to}`);
  }

  /** The node at `address` dies as kill -9 would: no leave, nothing in or out. */
  crash(address: string): void {
    const endpoint = this.endpoints.get(address);
    if (endpoint) endpoint.closed = true;
  }

  /** Delivers `envelope` to `address` as if `from` (an authenticated peer) had sent it. */
  inject(from: NodeIdentity, address: string, envelope: Envelope): void {
    const target = this.endpoints.get(address);
    if (target && !target.closed) target.receive(envelope, from);
  }

  /** When the envelopes of `type` from `from` to `to` were sent. */
  sendTimes(from: string, to: string, type: string): number[] {
    return this.sent.filter((s) => s.from === from && s.to === to && s.type === type).map((s) => s.at);
  }

  route(source: HubEndpoint, address: string, envelope: Envelope): void {
    this.sent.push({ from: source.self.name, to: address, type: envelope.type, at: this.clock.now() });
    const target = this.endpoints.get(address);
    if (!target || target.closed) return;
    const key = `${source.self.name}>${target.self.name}`;
    if (this.drops.has(key)) return;
    const copy: Envelope = { ...envelope, body: Uint8Array.from(envelope.body) };
    const deliver = () => {
      // the cut, and whether either side died, are judged when the envelope would arrive
      if (source.closed || target.closed || this.cuts.has(pair(source.self.name, target.self.name))) return;
      target.receive(copy, source.self);
    };
    if (this.cuts.has(pair(source.self.name, target.self.name))) return;
    const delay = this.delays.get(key);
    if (delay) this.clock.setTimeout(deliver, delay);
    else queueMicrotask(deliver);
  }
}

export class HubEndpoint implements Remoting {
  closed = false;
  private readonly envelopeHandlers = new Set<(envelope: Envelope, from: NodeIdentity) => void>();
  private readonly peerHandlers = new Set<(event: PeerEvent) => void>();
  private counts = { sent: 0, received: 0, dropped: 0, malformed: 0 };

  constructor(private readonly hub: MembershipHub, readonly self: NodeIdentity) {}

  sendTo(address: string, envelope: Envelope): boolean {
    if (this.closed) return false;
    this.counts.sent++;
    this.hub.route(this, address, envelope);
    return true;
  }

  onEnvelope(handler: (envelope: Envelope, from: NodeIdentity) => void): () => void {
    this.envelopeHandlers.add(handler);
    return () => this.envelopeHandlers.delete(handler);
  }

  onPeer(handler: (event: PeerEvent) => void): () => void {
    this.peerHandlers.add(handler);
    return () => this.peerHandlers.delete(handler);
  }

  stats() {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Handlers listening now: a test checks a stopped membership let go of its subscription. */
  get listeners(): number {
    return this.envelopeHandlers.size;
  }

  receive(envelope: Envelope, from: NodeIdentity): void {
    if (this.closed) return;
    this.counts.received++;
    for (const handler of this.envelopeHandlers) handler(envelope, from);
  }
}

function pair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
