/**
 * The node's remoting endpoint over gRPC (docs/050-remoting.md): a server that accepts the
 * streams peers dial (inbound-stream.ts) and one outbound stream per peer address it sends to
 * (peer-stream.ts). Each stream carries one direction: A's envelopes to B travel on the stream A
 * dialled, B's replies on the stream B dialled.
 */
import { hostname } from 'node:os';
import { Server, ServerCredentials, status, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { assertEnvelope } from './codec.js';
import { isLoopbackHost } from './handshake.js';
import { InboundStream } from './inbound-stream.js';
import { bidiBytesMethod, CONNECT_PATH, DEFAULT_LIMITS, serverOptions, type Counters, type RemotingLimits, type RemotingLog } from './options.js';
import { PeerStream } from './peer-stream.js';
import { Rejections } from './rejections.js';
import type { Envelope, NodeIdentity, PeerEvent, Remoting, RemotingStats, SendOptions } from './types.js';

export interface RemotingOptions {
  /** this node; `address` defaults to the listen host and the port actually bound */
  self: { name: string; incarnation: number; address?: string };
  /** where the server listens; port 0 picks a free port */
  listen: { host: string; port: number };
  /** the cluster secret; required unless `listen.host` is loopback (then it defaults to empty) */
  secret?: string;
  log: RemotingLog;
  limits?: Partial<RemotingLimits>;
}

const SERVICE = { connect: bidiBytesMethod(CONNECT_PATH) };

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Counts live streams per peer incarnation: 'up' on the first, 'down' when the last ends. */
class Presence {
  private readonly live = new Map<string, number>();

  constructor(private readonly emit: (event: PeerEvent) => void) {}

  up(peer: NodeIdentity): void {
    const key = `${peer.name}#${peer.incarnation}`;
    const streams = (this.live.get(key) ?? 0) + 1;
    this.live.set(key, streams);
    if (streams === 1) this.emit({ type: 'up', peer });
  }

  down(peer: NodeIdentity, reason: string): void {
    const key = `${peer.name}#${peer.incarnation}`;
    const streams = (this.live.get(key) ?? 0) - 1;
    if (streams > 0) this.live.set(key, streams);
    else if (this.live.delete(key)) this.emit({ type: 'down', peer, reason });
  }
}

export async function startRemoting(options: RemotingOptions): Promise<Remoting> {
  const { listen, log } = options;
  if (!options.secret && !isLoopbackHost(listen.host)) {
    throw new Error(`a cluster secret is required to listen on ${listen.host}, which is not loopback`);
  }
  const secret = options.secret ?? '';
  const limits: RemotingLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const server = new Server(serverOptions(limits));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(hostPort(listen.host, listen.port), ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const wildcard = ['', '0.0.0.0', '::'].includes(listen.host);
  const self: NodeIdentity = {
    name: options.self.name,
    incarnation: options.self.incarnation,
    address: options.self.address ?? hostPort(wildcard ? hostname() : listen.host, port),
  };
  return new GrpcRemoting(self, secret, limits, log, server);
}

class GrpcRemoting implements Remoting {
  private readonly counters: Counters = { sent: 0, received: 0, dropped: 0, malformed: 0 };
  private readonly rejections: Rejections;
  private readonly peers = new Map<string, PeerStream>();
  private readonly inbound = new Set<InboundStream>();
  private envelopeHandlers: ((envelope: Envelope, from: NodeIdentity) => void)[] = [];
  private peerHandlers: ((event: PeerEvent) => void)[] = [];
  private readonly presence = new Presence((event) => this.emitPeer(event));
  private closing: Promise<void> | undefined;

  constructor(
    readonly self: NodeIdentity,
    private readonly secret: string,
    private readonly limits: RemotingLimits,
    private readonly log: RemotingLog,
    private readonly server: Server,
  ) {
    const rejections = (this.rejections = new Rejections(log, { windowMs: limits.rejectionLogWindowMs }));
    const connect = (call: ServerDuplexStream<Buffer, Buffer>) => {
      if (this.closing) return call.emit('error', { code: status.UNAVAILABLE, details: 'node is closing' });
      this.inbound.add(
        new InboundStream(call, {
          self,
          secret,
          limits,
          log,
          counters: this.counters,
          rejections,
          deliver: this.deliver,
          onUp: (peer) => this.presence.up(peer),
          onDown: (peer, reason) => this.presence.down(peer, reason),
          onDone: (stream) => this.inbound.delete(stream),
        }),
      );
    };
    server.addService(SERVICE, { connect } as UntypedServiceImplementation);
    log.info({ self }, 'remoting.started');
  }

  sendTo(address: string, envelope: Envelope, options?: SendOptions): boolean {
    assertEnvelope(envelope);
    if (this.closing || envelope.body.length > this.limits.maxEnvelopeBytes) {
      this.counters.dropped++;
      if (!this.closing) {
        this.log.warn({ peer: address, to: envelope.to, type: envelope.type, bytes: envelope.body.length }, 'remoting.oversize-dropped');
      }
      return false;
    }
    let peer = this.peers.get(address);
    if (!peer) {
      const created = new PeerStream(address, {
        self: this.self,
        secret: this.secret,
        limits: this.limits,
        log: this.log,
        counters: this.counters,
        onUp: (p) => this.presence.up(p),
        onDown: (p, reason) => this.presence.down(p, reason),
        onForget: () => this.peers.get(address) === created && this.peers.delete(address),
      });
      peer = created;
      this.peers.set(address, peer);
    }
    return peer.enqueue(envelope, options?.priority === true);
  }

  onEnvelope(handler: (envelope: Envelope, from: NodeIdentity) => void): () => void {
    this.envelopeHandlers = [...this.envelopeHandlers, handler];
    return () => (this.envelopeHandlers = this.envelopeHandlers.filter((h) => h !== handler));
  }

  onPeer(handler: (event: PeerEvent) => void): () => void {
    this.peerHandlers = [...this.peerHandlers, handler];
    return () => (this.peerHandlers = this.peerHandlers.filter((h) => h !== handler));
  }

  stats(): RemotingStats {
    return { ...this.counters, rejected: this.rejections.counts() };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private readonly deliver = (envelope: Envelope, from: NodeIdentity): void => {
    for (const handler of this.envelopeHandlers) {
      try {
        handler(envelope, from);
      } catch (error) {
        this.log.error({ err: error, to: envelope.to, type: envelope.type, from: from.name }, 'remoting.handler-failed');
      }
    }
  };

  private emitPeer(event: PeerEvent): void {
    for (const handler of this.peerHandlers) {
      try {
        handler(event);
      } catch (error) {
        this.log.error({ err: error, event: event.type, peer: event.peer.name }, 'remoting.handler-failed');
      }
    }
  }

  private async shutdown(): Promise<void> {
    this.log.info({ self: this.self }, 'remoting.stopping');
    await Promise.all([...this.peers.values()].map((peer) => peer.close(this.limits.closeTimeoutMs)));
    for (const stream of [...this.inbound]) stream.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, this.limits.closeTimeoutMs).unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.envelopeHandlers = [];
    this.peerHandlers = [];
    this.log.info({ self: this.self, ...this.stats() }, 'remoting.stopped');
  }
}
